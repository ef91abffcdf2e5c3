"""A cook stops cooking with Extra Portion from their page (PRODUCT.md: a cook "can stop"; only
the API could, a browser walk found): a confirmation that says what happens to each neighbour,
an optional reason for the council, then the API's service (`flows.stop_cooking`)."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import SessionDep, SettingsDep
from app.errors import Conflict
from app.flows.cooks import stop_cooking
from app.names import first_name
from app.pages.cook_forms import CookAuth, cook_auth, redirect, to_sign_in
from app.pages.forms import FormDep, check_csrf, reason_problem, render_page, typed_text
from app.pages.kept_answers import keep_if_sign_in_ended, kept_answers
from app.pairings import service as pairings
from app.routing import DeferredRoute
from app.vocab import CookStatus, PairingStatus

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)


def _stopping_cook(
    request: Request, session: SessionDep, settings: SettingsDep
) -> CookAuth | Response:
    ca = cook_auth(request, session, settings)
    if ca is None:
        return to_sign_in(request)
    if ca.cook is None or ca.cook.status != CookStatus.approved:
        # Only an approved cook has meals or covers to stop, and a link here: a suspension or
        # rejection stopping would not lift, and a cook waiting for checks read of covers and
        # away dates that were not theirs (reviews).
        return redirect("/cook/")
    return ca


def _context(
    session: SessionDep, ca: CookAuth, reason: str, errors: dict[str, str]
) -> dict[str, object]:
    rows = pairings.list_cook_pairings(
        session,
        user=ca.user,
        statuses=(PairingStatus.proposed, PairingStatus.active, PairingStatus.paused),
    )
    return {
        "title": "Stop cooking with Extra Portion",
        "neighbours": sorted(
            first_name(d.full_name) for p, d, _ in rows if p.status != PairingStatus.proposed
        ),
        "invited": sorted(first_name(d.full_name) for p, d, _ in rows if p.status == "proposed"),
        "values": {"reason": reason},
        "errors": errors,
    }


@router.get("/cook/stop", response_class=HTMLResponse)
def stop_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ca = _stopping_cook(request, session, settings)
    if isinstance(ca, Response):
        return ca
    kept = kept_answers(request, session, ca.auth, action="/cook/stop")
    reason = typed_text(kept.get("reason", "")) if kept else ""
    context = _context(session, ca, reason, {})
    return render_page(request, session, settings, "cook/stop.html", context, auth=ca.auth)


@router.post("/cook/stop", response_class=HTMLResponse)
def stop(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    keep_if_sign_in_ended(request, session, settings, form, fields=("reason",))
    check_csrf(request, settings, csrf_token)
    ca = _stopping_cook(request, session, settings)
    if isinstance(ca, Response):
        return ca
    assert ca.cook is not None
    reason = typed_text(reason)
    errors = {"reason": problem} if (problem := reason_problem(reason, what="The reason")) else {}
    if errors:
        context = _context(session, ca, reason, errors)
        return render_page(
            request, session, settings, "cook/stop.html", context, status_code=422, auth=ca.auth
        )
    with suppress(Conflict):  # stopped meanwhile, in another tab
        stop_cooking(session, cook=ca.cook, reason=reason or "Stopped from their page")
    return redirect("/cook/?done=stopped")
