"""Concerns from the pages: a carer or a cook raises one about a diner, gets a reference to
quote, and follows its status (the same service as POST /api/concerns and its raiser's view)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.concerns.categories import CATEGORIES, CATEGORY_NAMES, RAISER_STATUS
from app.concerns.service import get_raised_concern, may_raise, raise_concern, raised_by
from app.councils.rules import local_date
from app.deps import Auth, SessionDep, SettingsDep
from app.errors import Forbidden, NotFound
from app.models import Concern, Council, Diner
from app.names import first_name
from app.pages.cook_forms import long_date, redirect, to_sign_in
from app.pages.forms import (
    FormDep,
    check_csrf,
    render_page,
    signed_in,
    text_rule_problem,
    typed_text,
    whole_number,
)
from app.pages.kept_answers import keep_if_sign_in_ended, kept_answers
from app.pages.templating import home_of
from app.routing import DeferredRoute
from app.vocab import ConcernCategory

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
Text = Annotated[str, Form()]
MAX_DESCRIPTION = 2000
NEW = "/concerns/new"
# What a new concern's form keeps when posted after its sign-in ended (app/pages/kept_answers.py).
KEPT_FIELDS = ("diner", "kind", "serious", "description")


def _raiser(request: Request, session: SessionDep, settings: SettingsDep) -> Auth | None:
    auth = signed_in(request, session, settings)
    if auth is not None and auth.user.role not in ("cook", "carer"):
        raise Forbidden("Cooks and carers raise concerns; staff record them on the diner")
    return auth


def _category_items(first: str, chosen: str, *, by_cook: bool) -> list[dict[str, Any]]:
    words = {
        "welfare": f"{first}’s health or wellbeing",
        "safeguarding": f"{first}’s safety, or the way someone treats them",
    }
    if by_cook:  # "The cook’s behaviour", offered to the cook (a browser walk): another's
        words["cook_behaviour"] = "Another cook’s behaviour"
    return [
        {"value": code, "text": words.get(code, text), "checked": code == chosen}
        for code, text in CATEGORIES.items()
    ]


def _new_context(diner: Diner, values: dict[str, str], auth: Auth) -> dict[str, Any]:
    first = first_name(diner.full_name)
    by_cook = auth.user.role == "cook"
    back = home_of("cook") if by_cook else f"/carer/relatives/{diner.id}"
    stops = f"Your meals with {first}" if by_cook else f"Meals with {first}’s cook"
    return {
        "title": f"Raise a concern about {first}",
        "first": first,
        "diner_id": diner.id,
        "back": back,
        "values": values,
        "category_items": _category_items(first, values.get("kind", ""), by_cook=by_cook),
        "serious_hint": f"{stops} stop at once, until the council has looked into it.",
        "limit": MAX_DESCRIPTION,
    }


@router.get("/concerns/new", response_class=HTMLResponse)
def new_form(
    request: Request, session: SessionDep, settings: SettingsDep, diner: str = ""
) -> Response:
    auth = _raiser(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    if (diner_id := whole_number(diner)) is None:
        raise NotFound("Diner not found")
    found = may_raise(session, user=auth.user, diner_id=diner_id)
    values: dict[str, str] = {}
    if kept := kept_answers(request, session, auth, action=NEW, where={"diner": str(diner_id)}):
        values = _typed(kept)
    context = _new_context(found, values, auth)
    return render_page(request, session, settings, "concerns/new.html", context, auth=auth)


def _typed(form: FormData) -> dict[str, str]:
    """The new concern's answers as typed: what happened comes back however long, and the
    character count then says by how much it is over (text past 4,000 characters was cut
    without a word)."""
    return {
        "kind": str(form.get("kind", "")),
        "serious": str(form.get("serious", "")),
        "description": typed_text(form.get("description", "")),
    }


@router.post("/concerns/new", response_class=HTMLResponse)
def new(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    diner: Text = "",
    csrf_token: Text = "",
) -> Response:
    back = f"{NEW}?diner={diner_id}" if (diner_id := whole_number(diner)) else None
    keep_if_sign_in_ended(request, session, settings, form, fields=KEPT_FIELDS, back_to=back)
    check_csrf(request, settings, csrf_token)
    auth = _raiser(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    if diner_id is None:
        raise NotFound("Diner not found")
    found = may_raise(session, user=auth.user, diner_id=diner_id)
    values = _typed(form)
    kind, serious, description = values["kind"], values["serious"], values["description"]
    errors: dict[str, str] = {}
    if kind not in CATEGORIES:
        errors["kind"] = "Select what the concern is about"
    if not description:
        errors["description"] = "Tell us what happened"
    elif len(description) < 3:
        errors["description"] = "Tell us what happened in a few words"
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = f"What happened must be {MAX_DESCRIPTION:,} characters or fewer"
    elif problem := text_rule_problem(description, what="What happened", lines=True):
        errors["description"] = problem
    if errors:
        context = {**_new_context(found, values, auth), "errors": errors}
        return render_page(
            request, session, settings, "concerns/new.html", context, status_code=422, auth=auth
        )
    concern = raise_concern(
        session,
        user=auth.user,
        diner_id=diner_id,
        kind=ConcernCategory(kind),
        serious=serious == "yes",
        description=description,
    )
    return redirect(f"/concerns/{concern.reference}?sent=1")


@router.get("/concerns", response_class=HTMLResponse)
def my_concerns(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    auth = _raiser(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    rows, _ = raised_by(session, user=auth.user, limit=200, offset=0)
    names = {}
    for diner_id in {c.diner_id for c in rows}:
        diner = session.get(Diner, diner_id)
        names[diner_id] = first_name(diner.full_name) if diner else ""
    concerns = [
        {
            "reference": c.reference,
            "about": names[c.diner_id],
            "category": CATEGORY_NAMES.get(c.kind, c.kind),
            "date": long_date(local_date(c.created_at, _council(session, c))),
            "status": RAISER_STATUS[c.status][0],
            "tag": RAISER_STATUS[c.status][1],
        }
        for c in rows
    ]
    context = {
        "title": "Concerns you raised",
        "concerns": concerns,
        "home": home_of(auth.user.role),
    }
    return render_page(request, session, settings, "concerns/list.html", context, auth=auth)


@router.get("/concerns/{reference}", response_class=HTMLResponse)
def view(
    reference: str, request: Request, session: SessionDep, settings: SettingsDep, sent: str = ""
) -> Response:
    auth = _raiser(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    concern = get_raised_concern(session, user=auth.user, reference=reference[:12])
    diner = session.get(Diner, concern.diner_id)
    words, tag, next_step = RAISER_STATUS[concern.status]
    context = {
        "title": f"Concern {concern.reference}",
        "c": concern,
        "sent": bool(sent),
        "about": first_name(diner.full_name) if diner else "",
        "category": CATEGORY_NAMES.get(concern.kind, concern.kind),
        "raised": long_date(local_date(concern.created_at, _council(session, concern))),
        "updated": long_date(local_date(concern.updated_at, _council(session, concern))),
        "status": words,
        "tag": tag,
        "next_step": next_step,
        "home": home_of(auth.user.role),
    }
    return render_page(request, session, settings, "concerns/view.html", context, auth=auth)


def _council(session: Session, concern: Concern) -> Council:
    """The concern's council, whose clock its dates are told in."""
    council = session.get(Council, concern.council_id)
    assert council is not None
    return council
