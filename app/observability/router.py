"""GET /metrics for Prometheus: open in development; with PORTION_METRICS_TOKEN set, only to
`Authorization: Bearer <token>`; in production without a token, 404 (as if it did not exist)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Header
from starlette.responses import Response

from app.config import Settings
from app.deps import SessionDep, SettingsDep
from app.errors import NotFound, Unauthorized
from app.observability.metrics import METRICS_PATH, exposition
from app.routing import DeferredRoute

router = APIRouter(route_class=DeferredRoute)


@router.get(METRICS_PATH, include_in_schema=False)
def metrics(
    session: SessionDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    check_scraper(settings, authorization)
    body, content_type = exposition(session, settings=settings, accept=accept)
    return Response(content=body, media_type=content_type)


def check_scraper(settings: Settings, authorization: str | None) -> None:
    """Raises unless this request may read the metrics."""
    if settings.metrics_token is None:
        if settings.env == "production":
            raise NotFound()
        return
    expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
    if not secrets.compare_digest((authorization or "").encode(), expected):
        raise Unauthorized("/metrics needs the bearer token set in PORTION_METRICS_TOKEN")
