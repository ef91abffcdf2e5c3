"""The OpenAPI schema tells the truth about errors (API.md "Errors").

FastAPI declares an operation's success status, and 422 when it takes parameters. `install_openapi`
adds every other status an operation can answer, each with its error body's schema
(`app.errors.ErrorBody`, or `ValidationErrorBody` for a 422), derived from what its route uses:

- the sign-in dependency: 401; a role check on it (a dependency that takes the signed-in user),
  or a method for which a browser session must send its CSRF token: 403;
- a path parameter (a record's id, a feed's token): 404; a request body: 413 (over the body cap)
  and 422;
- the `AppError`s its endpoint and its dependencies can raise, found in their code and that of
  the `app` functions they use, transitively (`RaiseReader`): a `Conflict` anywhere below: 409;
  a `TooManyRequests`: 429; a `NotFound` for an id in the body or "you have no profile": 404;
- every operation: 503, when the database is unavailable (or every password-hashing slot busy).

A route's own `responses=` stays as declared; add one where a route's error cannot be seen this
way (an error raised by code outside `app`, or reached through an object's method).
"""

from __future__ import annotations

import dis
import inspect
import types
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel

from app.db import SAFE_METHODS
from app.deps import get_current_auth, get_current_user
from app.errors import (
    AppError,
    Conflict,
    ErrorBody,
    Forbidden,
    NotFound,
    RuleBroken,
    ServiceBusy,
    TooManyRequests,
    Unauthorized,
    ValidationErrorBody,
)
from app.middleware import TOO_LARGE

SCHEMAS = "#/components/schemas/"
SIGN_IN = (get_current_auth, get_current_user)
DESCRIPTIONS: dict[int, str] = {
    cls.status_code: cls.description
    for cls in (
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        TooManyRequests,
        ServiceBusy,
        RuleBroken,
    )
} | {413: TOO_LARGE}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: {
        "Retry-After": {
            "description": "Seconds to wait",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    503: {
        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}},
    },
}
# FastAPI's own 422 body, replaced by ours (it has no `input`: a password is never echoed back).
FASTAPI_422 = ("HTTPValidationError", "ValidationError")


def install_openapi(app: FastAPI) -> None:
    """Build the app's schema (once, when first asked) with the error statuses declared."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        cached = app.openapi_schema
        schema = build()
        if schema is not cached:  # FastAPI built it afresh (first call, or routes changed)
            declare_errors(app, schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way


def declare_errors(app: FastAPI, schema: dict[str, Any]) -> None:
    """Add each operation's error statuses (module docstring) to `schema`, in place."""
    reader = RaiseReader()
    for path, method, route in _operations(app):
        operation = schema["paths"].get(path, {}).get(method.lower())
        if operation is None:
            continue
        responses = operation.setdefault("responses", {})
        for status in sorted(statuses_of(route, method, reader)):
            responses.setdefault(str(status), {"description": _description(status)})
        for code, response in responses.items():
            if code.isdigit() and int(code) >= 400:
                _with_error_body(int(code), response)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorBody, ValidationErrorBody):
        components.update(_component(model))
    if f"{SCHEMAS}{FASTAPI_422[0]}'" not in repr(schema["paths"]):
        for name in FASTAPI_422:  # FastAPI's 422 body and the item schema only it uses
            components.pop(name, None)
    schema["components"]["schemas"] = dict(sorted(components.items()))


def statuses_of(route: routing.APIRoute, method: str, reader: RaiseReader) -> set[int]:
    """The error statuses an operation can answer, from what its route uses."""
    statuses = {ServiceBusy.status_code}
    calls = list(_dependency_calls(route.dependant))
    if any(call in SIGN_IN for call, _ in calls):
        statuses.add(Unauthorized.status_code)
        if method.upper() not in SAFE_METHODS:  # a browser session's CSRF check
            statuses.add(Forbidden.status_code)
    if any(call not in SIGN_IN and set(subs) & set(SIGN_IN) for call, subs in calls[1:]):
        statuses.add(Forbidden.status_code)  # a role check on the signed-in user
    if route.dependant.path_params or any(d.path_params for d in _dependants(route.dependant)):
        statuses.add(NotFound.status_code)
    if route.body_field is not None:
        statuses |= {413, RuleBroken.status_code}
    for call, _ in calls:
        if call is not get_current_auth:  # its 401/403 are judged above, by route
            statuses |= reader.statuses(call)
    return statuses


class RaiseReader:
    """Which statuses' `AppError`s a function can raise: the error classes its code names, and
    those of the `app` functions it names (called, or handed on as a callback), transitively.

    It reads the functions' bytecode, i.e. the code the process runs (their source files may have
    changed since), and follows names it can resolve without running anything: a global, a
    closure variable, and attributes of modules and classes (`service.approve`)."""

    def __init__(self) -> None:
        self._known: dict[types.FunctionType, set[int]] = {}

    def statuses(self, func: Any) -> set[int]:
        func = inspect.unwrap(func) if callable(func) else func
        if isinstance(func, types.MethodType):
            func = func.__func__
        if not isinstance(func, types.FunctionType) or not func.__module__.startswith("app."):
            return set()
        if func in self._known:
            return self._known[func]
        found: set[int] = set()
        self._known[func] = found  # a recursive call adds nothing new
        names = {**func.__globals__, **inspect.getclosurevars(func).nonlocals}
        for named in _named_objects(func.__code__, names):
            if isinstance(named, type) and issubclass(named, AppError):
                found.add(named.status_code)
            else:
                found |= self.statuses(named)
        return found


def _named_objects(code: types.CodeType, names: dict[str, Any]) -> Iterator[Any]:
    """The objects `code` (and the functions nested in it) names, as far as they resolve."""
    current: Any = None
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_DEREF", "LOAD_NAME"):
            current = names.get(instruction.argval)
        elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD") and current is not None:
            current = _attribute(current, instruction.argval)
        else:
            current = None
        if current is not None:
            yield current
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _named_objects(constant, names)


def _attribute(owner: Any, name: str) -> Any:
    """`owner.name` for a module or a class (never runs a property or an object's getattr)."""
    if isinstance(owner, types.ModuleType):
        return getattr(owner, name, None)
    if isinstance(owner, type):
        found = inspect.getattr_static(owner, name, None)
        return found.__func__ if isinstance(found, staticmethod | classmethod) else found
    return None


def _operations(app: FastAPI) -> Iterator[tuple[str, str, routing.APIRoute]]:
    for context in routing.iter_route_contexts(app.routes):
        if not isinstance(context.original_route, routing.APIRoute):
            continue
        route: routing.APIRoute = context  # type: ignore[assignment]  # FastAPI's route-like view
        if route.include_in_schema and route.path_format:
            for method in route.methods or ():
                yield route.path_format, method, route


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependants(sub)


def _dependency_calls(dependant: Dependant) -> Iterator[tuple[Any, list[Any]]]:
    """The endpoint and every dependency's callable, each with its own dependencies' callables."""
    for d in (dependant, *_dependants(dependant)):
        if d.call is not None:
            yield d.call, [sub.call for sub in d.dependencies]


def _description(status: int) -> str:
    return DESCRIPTIONS.get(status) or HTTPStatus(status).phrase


def _with_error_body(status: int, response: dict[str, Any]) -> None:
    model: type[BaseModel] = ValidationErrorBody if status == 422 else ErrorBody
    response["content"] = {"application/json": {"schema": {"$ref": SCHEMAS + model.__name__}}}
    if status in HEADERS:
        response.setdefault("headers", HEADERS[status])


def _component(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema and those of the models it uses, as components."""
    body = model.model_json_schema(ref_template=SCHEMAS + "{model}")
    nested = body.pop("$defs", {})
    return {model.__name__: body, **nested}
