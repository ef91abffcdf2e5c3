"""HTTP routes for suggestions and batch matching (API.md "Staff")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from app.deps import SessionDep, SettingsDep, StaffUser
from app.matching import preview, service
from app.matching.schemas import BatchOut, ConfirmIn, ConfirmOut, PreviewOut, SuggestionsOut
from app.observability.metrics import timed_batch
from app.routing import DeferredRoute
from app.schemas import PathId

router = APIRouter(prefix="/api/staff", tags=["staff"], route_class=DeferredRoute)


@router.get("/diners/{diner_id}/suggestions", response_model=SuggestionsOut)
def suggestions(
    diner_id: PathId,
    user: StaffUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 10,
) -> Response:
    return _json(service.suggest_cooks(session, staff=user, diner_id=diner_id, limit=limit))


@router.post("/matching/run", response_model=BatchOut)
def run_matching(user: StaffUser, session: SessionDep) -> Response:
    answer = timed_batch(service.run_matching)(session, staff=user)  # already serialised
    return Response(content=answer, media_type="application/json")


@router.post("/matching/preview", response_model=PreviewOut)
def preview_matching(user: StaffUser, session: SessionDep, settings: SettingsDep) -> Response:
    """The batch ``matching/run`` would propose now, nothing written."""
    secret = settings.secret_key
    return _json(preview.preview_matching(session, staff=user, secret=secret))


@router.post("/matching/confirm", response_model=ConfirmOut)
def confirm_matching(
    body: ConfirmIn, user: StaffUser, session: SessionDep, settings: SettingsDep
) -> ConfirmOut:
    """Propose the pairs kept from a preview (each checked again); 409 if it is stale."""
    secret = settings.secret_key
    return preview.confirm_matching(session, staff=user, secret=secret, body=body)


def _json(model: BaseModel) -> Response:
    """The answer serialised once, by its own model (returned as a model, FastAPI would dump
    it, validate the dump against ``response_model`` and dump it again: for a national
    batch's hundred thousand pairings that is seconds). ``response_model`` still documents it."""
    return Response(content=model.model_dump_json(), media_type="application/json")
