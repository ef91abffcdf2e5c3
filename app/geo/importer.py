"""Import a council's ONS Postcode Directory extract into postcode_unit (database service).

The file is streamed (app.geo.onspd reads one row at a time) and written in batches with an
upsert, so a re-import of the same or a newer release updates positions in place: running it
twice leaves the same rows, and the newer values win. The whole import runs in one savepoint:
a bad line anywhere leaves the table exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.geo.onspd import OnspdRow, OnspdStats, read_onspd
from app.models import PostcodeUnit

DEFAULT_BATCH_SIZE = 5000
_UPDATED = ("latitude", "longitude", "lad_code")


def import_onspd(
    session: Session,
    lines: Iterable[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[OnspdStats], None] | None = None,
) -> OnspdStats:
    """Upsert the live, geocoded postcodes of an ONSPD CSV; flushes, the caller commits."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    stats = OnspdStats()
    # Keyed by postcode: a repeated postcode in one batch would make PostgreSQL's
    # ON CONFLICT DO UPDATE fail ("cannot affect row a second time"); the later row wins.
    batch: dict[str, dict[str, Any]] = {}
    with session.begin_nested():
        for row in read_onspd(lines, stats):
            batch[row.postcode] = _values(row)
            if len(batch) >= batch_size:
                _write(session, batch, stats, on_batch)
        if batch:
            _write(session, batch, stats, on_batch)
    # The upsert bypasses the identity map: reload any unit this session already holds.
    for held in list(session.identity_map.values()):
        if isinstance(held, PostcodeUnit):
            session.expire(held)
    return stats


def _write(
    session: Session,
    batch: dict[str, dict[str, Any]],
    stats: OnspdStats,
    on_batch: Callable[[OnspdStats], None] | None,
) -> None:
    _upsert(session, list(batch.values()))
    batch.clear()
    if on_batch is not None:
        on_batch(stats)


def _values(row: OnspdRow) -> dict[str, Any]:
    return {
        "postcode": row.postcode,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "lad_code": row.lad_code,
    }


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        lite = sqlite.insert(PostcodeUnit)
        session.exec(
            lite.on_conflict_do_update(
                index_elements=["postcode"],
                set_={name: lite.excluded[name] for name in _UPDATED},
            ),
            params=rows,
        )
    elif dialect == "postgresql":
        pg = postgresql.insert(PostcodeUnit)
        session.exec(
            pg.on_conflict_do_update(
                index_elements=["postcode"],
                set_={name: pg.excluded[name] for name in _UPDATED},
            ),
            params=rows,
        )
    else:  # a database without an upsert we know: slower, one row at a time, same result
        for values in rows:
            session.merge(PostcodeUnit(**values))
        session.flush()
