"""Count the statements a request runs (for tests that a read takes a fixed number of them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event


def selects_run(engine: Engine, action: Callable[[], Any]) -> list[str]:
    """The SELECT statements ``engine`` runs while ``action()`` runs."""
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def beyond_sign_in(statements: list[str]) -> list[str]:
    """The statements other than the sign-in check (the one that reads ``auth_session``)."""
    return [s for s in statements if "auth_session" not in s]
