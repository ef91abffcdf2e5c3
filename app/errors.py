"""The error hierarchy services raise, and the one handler that renders it (API.md "Errors")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


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

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            # Starlette names only the first matching route's methods; RFC 9110 wants the
            # path's: read them from the OpenAPI paths, which list every included route.
            allowed = _methods_for(app, request.url.path)
            headers = {"Allow": ", ".join(sorted(allowed))} if allowed else None
            return JSONResponse(
                status_code=405, content={"detail": "Method Not Allowed"}, headers=headers
            )
        if exc.status_code == 400:
            # FastAPI answers 400 for a body it cannot even decode (not UTF-8, not JSON);
            # API.md promises a 422 in the validation shape for every bad payload.
            detail = [{"loc": ["body"], "msg": str(exc.detail), "type": "body_unparsable"}]
            return JSONResponse(status_code=422, content={"detail": detail})
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": exc.detail},
            headers=getattr(exc, "headers", None),
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


def _methods_for(app: FastAPI, path: str) -> set[str]:
    found: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            found |= {method.upper() for method in operations}
    return found
