"""The first pages shared by the cook's and the carer's sign-up: the area check of a postcode
(also the home page's), and the waiting list where no council runs Extra Portion yet. Each
router passes its own words, draft names and URLs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from app.config import Settings
from app.errors import RuleBroken
from app.geo.postcodes import parse_postcode
from app.pages import drafts
from app.pages.cook_forms import redirect
from app.pages.forms import email_problem, render_page
from app.pages.views import AreaAnswer, check_area
from app.privacy.waiting_list import join_waiting_list

MAX_POSTCODE = 20
POSTCODE_MESSAGES = {
    "invalid_postcode": "Enter a real postcode, like N3 1HT",
    "unknown_postcode": "We cannot find this postcode: check it and enter it again",
}
CONSENT_MISSING = (
    "Select that you agree to us keeping your email address, so we can tell you when we start"
)


def checked_area(
    session: Session,
    settings: Settings,
    postcode: str,
    *,
    missing: str,
    messages: Mapping[str, str] = POSTCODE_MESSAGES,
    note: bool = True,
) -> tuple[AreaAnswer | None, str | None]:
    """The area answer for a stripped postcode, or the message to show beside the field
    (`note`: as check_area's)."""
    if not postcode:
        return None, missing
    if len(postcode) > MAX_POSTCODE:
        return None, messages["invalid_postcode"]
    try:
        return check_area(session, postcode=postcode, settings=settings, note=note), None
    except RuleBroken as exc:
        return None, messages.get(exc.rule, exc.message)


def kept_area(answer: AreaAnswer) -> dict[str, str | None]:
    """What the anonymous start draft keeps of a checked postcode."""
    return {
        "postcode": answer.postcode,
        "council": answer.council,
        "district": parse_postcode(answer.postcode).district,
    }


@dataclass(frozen=True)
class Journey:
    """One role's start of sign-up: its draft names, URLs, templates and words."""

    role: str  # "cook" or "carer": the waiting list's role and the URLs' first part
    start_draft: str  # the anonymous draft holding the checked postcode
    not_yet_title: str

    @property
    def start_url(self) -> str:
        return f"/{self.role}/start"

    @property
    def waiting_draft(self) -> str:
        return f"{self.role}-waiting"


def not_yet_form(
    request: Request, session: Session, settings: Settings, journey: Journey
) -> Response:
    kept = drafts.load(session, drafts.owner_of(request), journey.start_draft)
    if not kept.get("postcode") or kept.get("council"):
        return redirect(journey.start_url)
    context = {"title": journey.not_yet_title, "kept": kept}
    return render_page(request, session, settings, f"{journey.role}/not-yet.html", context)


def join_not_yet(
    request: Request,
    session: Session,
    settings: Settings,
    journey: Journey,
    *,
    email: str,
    consent: str,
) -> Response:
    """Puts the email on the area's waiting list (CSRF already checked by the router)."""
    owner = drafts.owner_of(request)
    kept = drafts.load(session, owner, journey.start_draft)
    if not kept.get("postcode") or kept.get("council"):
        return redirect(journey.start_url)
    email = email.strip()
    errors: dict[str, str] = {}
    if problem := email_problem(email):
        errors["email"] = problem
    if consent != "yes":
        errors["consent"] = CONSENT_MISSING
    if errors:
        context = {
            "title": journey.not_yet_title,
            "kept": kept,
            "errors": errors,
            "values": {"email": email, "consent": consent == "yes"},
        }
        return render_page(
            request,
            session,
            settings,
            f"{journey.role}/not-yet.html",
            context,
            status_code=422,
        )
    join_waiting_list(session, district=kept["district"], role=journey.role, email=email)
    drafts.clear(session, owner, journey.start_draft)
    drafts.save(session, owner, journey.waiting_draft, {"district": kept["district"]})
    return redirect(f"/{journey.role}/not-yet/done")


def not_yet_done(
    request: Request, session: Session, settings: Settings, journey: Journey
) -> Response:
    kept = drafts.load(session, drafts.owner_of(request), journey.waiting_draft)
    if not kept.get("district"):
        return redirect(journey.start_url)
    context = {"title": "You are on the waiting list", "district": kept["district"]}
    return render_page(request, session, settings, f"{journey.role}/not-yet-done.html", context)


def postcode_to_fill(request: Request, kept: Mapping[str, object]) -> str | None:
    """The postcode a start page shows: the one typed there before, else the one checked on the
    home page that linked here (the home page's answer lost it: an outside check)."""
    if typed := kept.get("postcode"):
        return str(typed)
    checked = request.query_params.get("postcode", "").strip()
    return checked if 0 < len(checked) <= MAX_POSTCODE else None
