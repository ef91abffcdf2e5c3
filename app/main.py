"""The ASGI app: routers, error handlers, the request middleware and the frontend."""

from __future__ import annotations

import gc

# Start-up makes some 200,000 objects that live as long as the process (every route's analysed
# signature, every model's schema) and frees almost none, yet the cycle collector kept walking
# them: a tenth of the import. It pauses while the app is built, and then those objects are set
# aside (gc.freeze), so that neither the first collection after start-up nor any later one walks
# them again. Imports therefore follow a statement here.
# ruff: noqa: E402
_COLLECTING = gc.isenabled()
gc.disable()

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from app.accounts.router import router as accounts_router
from app.concerns.router import router as concerns_router
from app.config import ConfigurationError, get_settings
from app.cooks.router import router as cooks_router
from app.db import DatabaseProbe, get_database_probe, get_engine
from app.db_slots import watch_slots
from app.diners.router import router as diners_router
from app.diners.router import staff_router as staff_diners_router
from app.errors import (
    DATABASE_NOT_MIGRATED,
    DATABASE_RETRY_AFTER_S,
    DATABASE_UNAVAILABLE,
    AppError,
    ServiceBusy,
    install_error_handlers,
)
from app.in_use import in_use
from app.matching.router import router as matching_router
from app.meals.labels import meal_label
from app.meals.router import router as meals_router
from app.middleware import RequestMiddleware, inline_style_hashes, log_request
from app.moderation.router import audit_router
from app.moderation.router import router as moderation_router
from app.notifications.router import router as calendar_router
from app.notifications.worker import BackgroundSender
from app.observability.logs import configure_logging
from app.observability.metrics import observe_request, observe_slot_wait
from app.observability.router import router as metrics_router
from app.openapi import install_openapi
from app.pages.devmail import router as dev_mail_router
from app.pages.errors import error_page, too_large_page
from app.pages.router import ROUTERS as PAGE_ROUTERS
from app.pairings.router import router as pairings_router
from app.privacy.router import router as privacy_router
from app.reports.router import router as reports_router
from app.routing import include_deferred

FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"
# The printed meal label is one fixed page with its own <style>: the CSP allows exactly that.
LABEL_STYLES = inline_style_hashes(
    meal_label(
        first_name="-", diets=["halal"], allergies=[], texture="regular", cooked_on=date(2000, 1, 1)
    )
)


def create_app() -> FastAPI:
    try:
        settings = get_settings()
        if problem := settings.database_problem():
            raise ConfigurationError(problem)
    except ConfigurationError as exc:  # one line for the operator, also under plain uvicorn
        raise SystemExit(f"Error: {exc}") from None
    configure_logging(settings)  # plain text, or JSON lines (PORTION_LOG_FORMAT=json)
    # Uvicorn's access log writes raw paths, and the calendar feed's secret is in its path:
    # our request log (app/middleware.py) names route templates instead.
    logging.getLogger("uvicorn.access").disabled = True
    app = FastAPI(
        title="Extra Portion",
        summary="Neighbours cook an extra portion for an older neighbour, the same one each time.",
        version="0.1.0",
        lifespan=_lifespan,
    )
    install_error_handlers(app, error_page=error_page)  # HTML pages off /api
    # Request id, 1 MiB body cap, security headers, the request log and the request metrics
    # (app/middleware.py, app/observability/).
    app.add_middleware(
        RequestMiddleware,
        style_sources=LABEL_STYLES,
        observers=(log_request, observe_request),
        too_large_page=too_large_page,
    )
    watch_slots(observe_slot_wait)  # waits for a database slot, in the metrics too

    # First: a request is matched against the routes in order, and health checks are many.
    @app.get(
        "/healthz",
        tags=["health"],
        responses={503: {"description": "The database cannot be reached, or is not migrated"}},
    )
    async def healthz(probe: Annotated[DatabaseProbe, Depends(get_database_probe)]) -> JSONResponse:
        """200 while the database answers at this version's schema. Its probe is shared and
        cached for up to a second, so any number of checks cost one query a second; it is asked
        off the event loop, and a database that does not answer within 3 s is unavailable."""
        health = await probe.answer()
        if health == "unavailable":
            raise ServiceBusy(DATABASE_UNAVAILABLE, retry_after_s=DATABASE_RETRY_AFTER_S)
        if health == "not_migrated":
            # Every page would fail ("no such table"): the health check must say so, and why.
            # Not ServiceBusy: no Retry-After, waiting mends nothing until someone migrates.
            raise AppError(DATABASE_NOT_MIGRATED, status_code=503)
        return JSONResponse({"status": "ok"})

    include_deferred(app.router, metrics_router)  # GET /metrics for Prometheus (app/observability/)
    for router in (
        accounts_router,
        cooks_router,
        diners_router,
        staff_diners_router,
        moderation_router,
        matching_router,
        pairings_router,
        meals_router,
        concerns_router,
        audit_router,
        privacy_router,
        reports_router,
        calendar_router,
        *PAGE_ROUTERS,  # each on its own, in this order
        dev_mail_router,  # /dev/mail: 404 unless PORTION_ENV=development
    ):
        # Their routes on the app's own router, each analysed when first used (app/routing.py).
        include_deferred(app.router, router)

    if FRONTEND_DIR.is_dir():
        # The frontend answers only what no route claims: a mount at "/" would also catch a
        # wrong method on an API path and hide its 405.
        app.router.default = FrontendFiles(directory=FRONTEND_DIR, html=True)
    install_openapi(app)  # each operation's error statuses, read from what its route uses
    return app


class FrontendFiles(StaticFiles):
    """The static frontend, less the page templates (source for the server, not for browsers)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if Path(path).parts[:1] == ("templates",):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


@asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    """Development: send queued notifications from a thread of this process. The database is
    held as in use while the app runs (app/in_use.py)."""
    settings = get_settings()
    sender = None
    if settings.sends_notifications_in_process:
        from app.notifications.channels import delivery_from_settings  # only when sending here

        sender = BackgroundSender(
            interval_s=settings.notifications_interval_s,
            engine=get_engine(),
            channels=delivery_from_settings(settings).channels,
        ).start()
    try:
        with in_use(settings.database_url):  # `portion restore` refuses meanwhile
            yield
    finally:
        if sender is not None:
            await asyncio.to_thread(sender.stop)  # joins the thread: off the event loop


try:
    app = create_app()
finally:
    gc.freeze()  # what start-up made lives as long as the process: no collection walks it
    if _COLLECTING:
        gc.enable()
