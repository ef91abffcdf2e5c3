"""Many rows into one table at once, in the session's transaction: a batch's proposals.

A national batch writes tens of thousands of pairings, audit entries and invitations. Through
SQLAlchemy's executemany each row is a dictionary whose every value goes through its column's
bind processor, one row at a time; here each column's processor is looked up once, a value
repeated on every row (a timestamp, a status) is processed once, and the processed tuples go
to the driver as they are: ``executemany`` on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL
(psycopg 3). The database receives the same values as ``session.execute(insert(table), rows)``
would send it (tests/matching/test_bulk_insert.py compares the two).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, TypeDecorator, insert
from sqlmodel import Session

from app.db import READ_ONLY, WROTE, ReadOnlySessionError

Processor = Callable[[Any], Any]


def insert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    same: Mapping[str, Any] | None = None,
) -> None:
    """Insert ``rows`` (values of ``columns``, in that order, as the model holds them) into
    ``table``, each with the values of ``same`` (the same on every row) too.

    Every column with a default in the model must be given (SQLAlchemy would fill it in; this
    does not), and values are written as they are (no check against the model's types).
    """
    # What app.db's do_orm_execute hook does for a write through session.execute: refuse it in
    # a read-only session, and note that the transaction has written (end_reads keeps it).
    if session.info.get(READ_ONLY):
        raise ReadOnlySessionError
    session.info[WROTE] = True
    connection = session.connection()
    dialect = connection.dialect
    same = dict(same or {})
    given = {*columns, *same}
    if missing := [c.name for c in table.columns if c.default is not None and c.name not in given]:
        raise ValueError(f"{table.name}: give {', '.join(missing)} (they have defaults)")
    if not (
        dialect.name == "sqlite" or (dialect.name, dialect.driver) == ("postgresql", "psycopg")
    ):
        session.execute(
            insert(table), [dict(zip(columns, row, strict=True)) | same for row in rows]
        )
        return
    fixed_names = list(same)
    constant = tuple(_processor(table, name, dialect, memo=False)(same[name]) for name in same)
    processors = [(i, _processor(table, name, dialect)) for i, name in enumerate(columns)]
    processors = [(i, p) for i, p in processors if p is not _identity]
    prepared = (_prepared(row, processors) + constant for row in rows)
    names = [*columns, *fixed_names]
    quote = dialect.identifier_preparer.quote
    target = f"{dialect.identifier_preparer.format_table(table)} ({', '.join(map(quote, names))})"
    if dialect.name == "sqlite":
        marks = ", ".join("?" * len(names))
        connection.exec_driver_sql(f"INSERT INTO {target} VALUES ({marks})", list(prepared))
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in prepared:
            copy.write_row(row)


def _identity(value: Any) -> Any:
    return value


def _processor(table: Table, name: str, dialect: Any, *, memo: bool = True) -> Processor:
    """The column's bind processor for this dialect (``_identity`` when it has none); for a
    column of our own types (vocabularies, timestamps; not JSON), each distinct value is
    processed once."""
    kind = table.c[name].type
    process = kind.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return _identity
    if not memo or isinstance(kind, JSON) or not isinstance(kind, TypeDecorator):
        return process  # a JSON value is not hashable; a float's or an int's is cheap to process
    seen: dict[Any, Any] = {}

    def once(value: Any) -> Any:
        key = (type(value), value)  # 1 and True are equal keys, but not the same value
        try:
            return seen[key]
        except KeyError:
            found = seen[key] = process(value)
            return found

    return once


def _prepared(row: Sequence[Any], processors: list[tuple[int, Processor]]) -> tuple[Any, ...]:
    if not processors:
        return tuple(row)
    values = list(row)
    for i, process in processors:
        values[i] = process(values[i])
    return tuple(values)
