"""The error hierarchy services raise, and the one handler that renders it (API.md "Errors")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class AppError(Exception):
    """A failure the client can act on; never raised for a bug."""

    status_code = 400

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code

    def detail(self) -> Any:
        return self.message

    def headers(self) -> dict[str, str] | None:
        return None


class Unauthorized(AppError):
    status_code = 401

    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404

    def __init__(self, what: str = "Not found") -> None:
        super().__init__(what)


class Conflict(AppError):
    status_code = 409


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after_s)}


class RuleBroken(AppError):
    """A payload that breaks a product rule: 422 in FastAPI's validation shape."""

    status_code = 422

    def __init__(self, rule: str, loc: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.loc = ["body", *loc]

    def detail(self) -> Any:
        return [{"loc": self.loc, "msg": self.message, "type": self.rule}]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": exc.detail()}, headers=exc.headers()
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Keep only loc/msg/type (and ctx): echoing `input` back could repeat a password.
        return JSONResponse(
            status_code=422, content={"detail": [_public_error(e) for e in exc.errors()]}
        )


def _public_error(err: dict[str, Any]) -> dict[str, Any]:
    """loc/msg/type only: echoing `input` back could repeat a password."""
    out = {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]}
    if ctx := err.get("ctx"):
        out["ctx"] = {
            k: v if isinstance(v, int | float | str | bool) else str(v) for k, v in ctx.items()
        }
    return jsonable_encoder(out)
