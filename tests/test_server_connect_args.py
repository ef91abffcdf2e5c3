"""libpq's time limits on every connection to a PostgreSQL server, and a URL's own settings
kept over them (a review: ?connect_timeout=30 reached libpq as 5)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from app.db import SERVER_CONNECT_ARGS, make_engine


def connect_params(url: str) -> dict[str, Any]:
    """What the driver is asked to connect with (to a port where nothing listens)."""
    engine = make_engine(url)
    seen: dict[str, Any] = {}

    @event.listens_for(engine, "do_connect")
    def _capture(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        seen.update(cparams)

    with pytest.raises(OperationalError), engine.connect():
        pass
    engine.dispose()
    return seen


def test_each_connection_has_libpq_time_limits_unless_the_url_sets_its_own():
    base = "postgresql+psycopg://app@127.0.0.1:9/app"
    plain = connect_params(base)
    assert {k: plain[k] for k in SERVER_CONNECT_ARGS} == SERVER_CONNECT_ARGS
    own = connect_params(f"{base}?connect_timeout=30&keepalives_idle=60")
    assert own["connect_timeout"] == "30" and own["keepalives_idle"] == "60"
    assert own["tcp_user_timeout"] == SERVER_CONNECT_ARGS["tcp_user_timeout"]
