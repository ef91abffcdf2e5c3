"""API routes analysed when first used, not when the app starts.

FastAPI analyses a route when it is defined: its signature and each dependency's, a model field
for every parameter, its body and its response model (a third of `import app.main`). And a route
defined on a router is analysed again when the app includes that router, in a copy made when the
first request walks past it, so the first analysis served nothing. Here, a router made with
`APIRouter(..., route_class=DeferredRoute)` keeps each route's definition, unanalysed;
`include_deferred` adds those definitions to the app's own router as `DeferredRoute`s too (what
`include_router` with no prefix, tags or dependencies of its own makes of them, less the copy),
and each is analysed, by FastAPI's own `APIRoute.__init__`, the first time anything reads what
the analysis makes: its first request, or the OpenAPI document. Until then a route holds only what
matching a request and `url_for` read, set as `APIRoute.__init__` sets it.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path, get_name

from app.db import end_reads_here

Definition = tuple[str, Callable[..., Any], dict[str, Any]]


class DeferredRoute(APIRoute):
    """An `APIRoute` whose analysis waits for the first read of an attribute it makes."""

    definition: Definition  # the path, endpoint and options it was made with
    _pending: bool
    _analysing: bool
    _lock = threading.RLock()  # one analysis at a time; re-entrant for the thread analysing

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        self.definition = (path, endpoint, options)
        self._pending, self._analysing = True, False
        self.path = path
        self.endpoint = endpoint
        name = options.get("name")
        self.name = get_name(endpoint) if name is None else name
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)
        self.methods = {method.upper() for method in options.get("methods") or ["GET"]}

    def __getattr__(self, name: str) -> Any:
        # Only for attributes not set yet: the first such read analyses the route.
        if name.startswith("__") or not self.__dict__.get("_pending"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        with DeferredRoute._lock:
            if self._pending and not self._analysing:
                path, endpoint, options = self.definition
                self._analysing = True  # a read during the analysis finds nothing, as usual
                try:
                    APIRoute.__init__(self, path, in_worker_thread(endpoint), **options)
                    self.endpoint = endpoint  # what matching puts in the scope, as before
                    self._pending = False
                finally:
                    self._analysing = False
        return object.__getattribute__(self, name)

    @property
    def analysed(self) -> bool:
        return not self._pending


def in_worker_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A sync endpoint as a coroutine that runs it in a worker thread, as FastAPI would.

    FastAPI checks a sync endpoint's answer against its response model in a second worker
    thread (a coroutine's, on the event loop): one thread hop more per request, worth 5 to 14 %
    of a small answer's throughput under load (bench/README.md). The check itself is quick
    (our presenters build the models). FastAPI reads the signature and the type hints
    through `__wrapped__`, so the route is analysed as before; its error context (in the log of a
    response that fails its model) names the route's function and line, but this file.

    Only a plain sync function is wrapped, judged as FastAPI judges it, the function and what it
    wraps: FastAPI awaits a coroutine and streams what a generator yields, and a thread would
    hand it the coroutine or the generator object as the answer."""
    if not all(
        inspect.isfunction(f)
        and not (
            inspect.iscoroutinefunction(f)
            or inspect.isgeneratorfunction(f)
            or inspect.isasyncgenfunction(f)
        )
        for f in (endpoint, inspect.unwrap(endpoint))
    ):
        return endpoint

    @functools.wraps(endpoint)
    def answer_then_end_reads(*args: Any, **kwargs: Any) -> Any:
        answer = endpoint(*args, **kwargs)
        end_reads_here()  # in the route's own thread: closing its session then needs none
        return answer

    @functools.wraps(endpoint)
    async def endpoint_in_worker_thread(*args: Any, **kwargs: Any) -> Any:
        # A partial: a route parameter named "func" would clash with run_in_threadpool's own.
        return await run_in_threadpool(functools.partial(answer_then_end_reads, *args, **kwargs))

    return endpoint_in_worker_thread


def include_deferred(app_router: APIRouter, router: APIRouter) -> None:
    """Add `router`'s routes to `app_router` itself, each analysed when first used. A router with
    any other kind of route is included as FastAPI includes it."""
    if not router.routes or not all(isinstance(r, DeferredRoute) for r in router.routes):
        app_router.include_router(router)
        return
    for route in router.routes:
        assert isinstance(route, DeferredRoute)
        path, endpoint, options = route.definition
        # The app's router sets its own: `app.dependency_overrides` apply, as when included.
        options = {k: v for k, v in options.items() if k != "dependency_overrides_provider"}
        app_router.add_api_route(path, endpoint, route_class_override=DeferredRoute, **options)
