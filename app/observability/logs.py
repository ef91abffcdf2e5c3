"""Log lines as plain text (the default) or, with PORTION_LOG_FORMAT=json, one JSON object each.

A JSON line carries the time (UTC, ISO 8601), level, logger and message, and for the request
log (app/middleware.py) the request id, route template, method, status and duration: what the
middleware's RequestRecord holds, never a body, a query string, an address or a client IP.
Uvicorn's own lines (start, stop, errors) get the same shape; its access log stays off (it
writes raw paths and client addresses).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from app.config import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# The request log's fields (log_request's `extra`), copied into a JSON line when present.
REQUEST_FIELDS = ("request_id", "route", "method", "status", "duration_ms")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")
# Loggers that write personal data below the level each is given here: a request's full URL at
# INFO (an online geocoder's has the postcode in it); GOV.UK Notify's client, each refused
# request with Notify's own words at WARNING ("email_address edna@... Not a valid email
# address": an outside check), which our sender reports without them.
QUIET_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "notifications_python_client": logging.ERROR,
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            if name in record.__dict__:
                entry[name] = record.__dict__[name]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_line(message: str, *, level: int, logger: str) -> str:
    """A record's JSON line, for what a command says before its logging is set up."""
    return JsonFormatter().format(
        logging.LogRecord(logger, level, __file__, 0, message, None, None)
    )


def configure_logging(settings: Settings) -> None:
    """The root logger's level and format; in JSON, uvicorn's handlers are switched over too
    (they are set up before the app is imported)."""
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    if settings.log_format != "json":
        logging.basicConfig(level=settings.log_level, format=TEXT_FORMAT)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    for name in UVICORN_LOGGERS:
        for existing in logging.getLogger(name).handlers:
            existing.setFormatter(JsonFormatter())


def uvicorn_log_config(settings: Settings) -> dict[str, Any] | None:
    """Uvicorn's logging set-up for `portion serve`: its default in text, ours in JSON (so that
    the parent of several workers, which never imports the app, writes JSON too)."""
    if settings.log_format != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "default": {
                "formatter": "json",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "INFO", "propagate": False},
        },
    }
