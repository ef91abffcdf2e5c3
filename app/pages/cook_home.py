"""The cook's own pages after sign-up: waiting for checks, or (approved) the next meal at the
top, invitations to accept or decline (with a confirmation and an optional reason), meals to
record, cover to take, and away periods (listed, changed, cancelled; only in the future).

Every action is a form posting to the server (CSRF checked), calling the API's services, then
redirecting (post/redirect/get)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from app.audit import views_to_record
from app.config import Settings
from app.cooks.checks import council_contact, council_of, typical_check_days
from app.councils.rules import council_today, local_date
from app.db import utcnow, writing
from app.deps import SessionDep, SettingsDep
from app.errors import NotFound, RuleBroken
from app.flows.diner_changes import paused_only_for_distance
from app.geo.distance import public_distance_text
from app.meals import away as aways
from app.meals import cover
from app.meals import service as meals
from app.meals.next_meal import NextMeal, next_meal
from app.models import Cook, Council, Diner, Meal, Pairing
from app.names import first_name
from app.notifications.feeds import feed_url, revoke_calendar_token, rotate_calendar_token
from app.notifications.messages import why_ended_to_cook
from app.pages import drafts
from app.pages.cook_forms import (
    ALLERGENS,
    DIETS,
    FREQUENCIES,
    MEAL_STATUS,
    TEXTURES,
    WEEKDAYS,
    CookAuth,
    cook_auth,
    label_of,
    labels_of,
    long_date,
    national_phone,
    redirect,
    to_sign_in,
)
from app.pages.cook_profile import has_unsaved_changes
from app.pages.dates import DateProblem, date_errors, date_fields, parse_date
from app.pages.forms import FormDep, check_csrf, reason_problem, render_page, typed_text
from app.pages.kept_answers import keep_if_sign_in_ended, kept_answers
from app.pairings import service as pairings
from app.pairings.decline import decline_with_reason
from app.routing import DeferredRoute
from app.schemas import PathId
from app.vocab import (
    SAFETY_PAUSES,
    CookStatus,
    MealStatus,
    PairingStatus,
    PauseReason,
    other_foods,
)

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

Text = Annotated[str, Form()]
# The home page lists the meals of the next 4 weeks (and earlier ones still to record): a
# long list pushed everything else far down a phone.
MEAL_DAYS = 28
ENDED_SHOWN_DAYS = 28  # a pairing that ended is shown this long after, with why
NOTICES = {
    "sent": "Your profile has been sent for checks.",
    "saved": "Your changes have been saved.",
    "accepted": "You have accepted the invitation. Their address is below.",
    "declined": "You have declined the invitation. We have told the coordinator.",
    "delivered": "The meal is recorded as delivered. Thank you.",
    "missed": "The meal is recorded as missed. We have told the carer and the coordinator.",
    "covered": "You are bringing this meal. It is in your meals below.",
    "away-added": "Your away dates are saved. We are looking for cover for the meals in them.",
    "away-merged": (
        "Your away dates are saved, joined to the away dates you had already given us. We are "
        "looking for cover for the meals on the new days."
    ),
    "away-already": "You had already told us you are away on those dates. Nothing has changed.",
    "away-changed": "Your away dates have been changed.",
    "away-cancelled": (
        "Your away dates have been cancelled. Your meals on those days are yours again."
    ),
    "calendar": (
        "Your new calendar address is below, under “Your meals in your calendar”. Any address "
        "you had before no longer works."
    ),
    "calendar-off": "Your calendar address no longer works.",
    "stopped": "You have stopped cooking with Extra Portion. Thank you for every meal.",
}
# A meal recorded or cancelled since the page was shown (another tab, another device): said
# so on the page, not as a success, and not on an error page with no way back (a walk found
# "Sorry, something went wrong" there).
ALREADY: dict[str, str] = {
    MealStatus.delivered: (
        "That meal was already recorded as delivered, so nothing has changed. If that is "
        "wrong, tell the coordinator."
    ),
    MealStatus.missed: (
        "That meal was already recorded as missed, so nothing has changed. If that is wrong, "
        "tell the coordinator."
    ),
    MealStatus.cancelled: "That meal has been cancelled, so there is nothing to record.",
}


def _needs_cook(request: Request, session: Session, settings: Settings) -> CookAuth | Response:
    ca = cook_auth(request, session, settings)
    if ca is None:
        return to_sign_in(request)
    return ca


def _needs_profile(request: Request, session: Session, settings: Settings) -> Any:
    """The signed-in cook with a profile, or where they should go instead."""
    ca = _needs_cook(request, session, settings)
    if isinstance(ca, Response):
        return ca
    if ca.cook is None:
        return redirect("/cook/")
    return ca


@router.get("/cook/index.html")
def old_home() -> Response:
    return redirect("/cook/")


@router.get("/cook/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    return _home(request, session, settings)


def _home(request: Request, session: Session, settings: Settings) -> Response:
    ca = _needs_cook(request, session, settings)
    if isinstance(ca, Response):
        return ca
    done = request.query_params.get("done", "")
    already = ALREADY.get(done.removeprefix("already-")) if done.startswith("already-") else None
    notice = (
        already
        or NOTICES.get(done)
        or next((NOTICES[k] for k in ("sent", "saved") if request.query_params.get(k)), None)
    )
    context: dict[str, Any] = {
        "notice": notice,
        "notice_is_news": already is not None,
        "first_name": first_name(ca.user.full_name),
    }
    cook = ca.cook
    if cook is None:
        context["title"] = "Finish your profile"
        return render_page(
            request, session, settings, "cook/no-profile.html", context, auth=ca.auth
        )
    council = council_of(session, cook)
    contact = council_contact(session, cook=cook)
    owner = drafts.owner_of(request, ca.user.id) or ""
    context["profile_unsaved"] = has_unsaved_changes(session, owner, cook)
    if cook.status != CookStatus.approved:
        context |= {
            # The browser's title says what the heading says (it said "My cooking" on the
            # pages of a suspended, rejected or stopped cook).
            "title": PENDING_TITLES.get(cook.status, "My cooking"),
            # The staff's words end the sentence the page builds ("under review.." before).
            "reason": (cook.status_reason or "").strip().rstrip("."),
            "cook": cook,
            "council": council,
            "council_name": council.name,
            "contact": contact,
            "contact_phone": _phone(contact),
            "typical_days": typical_check_days(session, council_id=council.id or 0),
        }
        return render_page(request, session, settings, "cook/pending.html", context, auth=ca.auth)
    today = council_today(council)
    rows = pairings.list_cook_pairings(
        session,
        user=ca.user,
        statuses=(PairingStatus.proposed, PairingStatus.active, PairingStatus.paused),
    )
    invitations = [_pairing(p, d) for p, d, _ in rows if p.status == PairingStatus.proposed]
    neighbours = [_pairing(p, d) for p, d, _ in rows if p.status == PairingStatus.active]
    paused_rows = [
        (p, d, _paused(session, p, d)) for p, d, _ in rows if p.status == PairingStatus.paused
    ]
    paused = [shown for _, _, shown in paused_rows]
    since = utcnow() - timedelta(days=ENDED_SHOWN_DAYS)
    ended = [
        _ended(p, d, council)
        for p, d in pairings.ended_since(session, cook_id=cook.id or 0, since=since)
    ]
    stopped_by_profile = [
        (d, shown["too_far"])
        for p, d, shown in paused_rows
        if p.pause_reason == PauseReason.cook_changed
    ]
    if request.query_params.get("saved") and stopped_by_profile:
        # Not a success to celebrate: the change has stopped a neighbour's meals.
        who = " and ".join(first_name(d.full_name) for d, _ in stopped_by_profile)
        why = (
            "you now live too far apart to walk the meals round"
            if all(too_far for _, too_far in stopped_by_profile)
            else "your profile no longer meets their needs safely"
        )
        context["notice"] = (
            f"Your changes have been saved. Meals with {who} are paused: {why}. See below."
        )
        context["notice_is_news"] = True
    upcoming = meals.list_cook_meals(
        session, cook=cook, from_=today - timedelta(days=14), to=today + timedelta(days=MEAL_DAYS)
    )
    requests = cover.cover_requests_for(session, user=ca.user)
    soon = next_meal(session, cook=cook, today=today)
    # One query for every diner shown: their names, and the needs of a meal to cover or next.
    asked = {m.diner_id for m, _ in requests}
    diners = _diners(session, {m.diner_id for m in upcoming} | asked | _ids(soon))
    context |= {
        "title": "My cooking",
        "cook": cook,
        "next": soon,
        "next_phone": _phone(soon.contact) if soon else None,
        "long_date": long_date,
        "invitations": invitations,
        "neighbours": neighbours,
        "paused": paused,
        "ended": ended,
        "next_needs": _needs(diners[soon.diner_id]) if soon else None,
        "meals": [_meal(m, diners, today) for m in upcoming if _shown(m, today)],
        "cover": [
            _meal(m, diners, today) | {"distance": public_distance_text(metres)}
            for m, metres in requests
        ],
        "away": aways.list_away(session, cook=cook, today=today),
        "today": today,
        "council_name": council.name,
        "contact": contact,
        "contact_phone": _phone(contact),
        "calendar_url": feed_url(settings.public_url, cook.calendar_token),
    }
    seen = {p["diner_id"] for p in neighbours} | ({soon.diner_id} if soon else set())
    if seen:  # the page shows these diners' addresses: recorded as the API does (once per
        # diner within audit.VIEW_WINDOW)
        with writing(session):
            views = views_to_record(
                session,
                actor_id=ca.user.id,
                action="diner.address_viewed",
                subject_type="diner",
                subjects=dict.fromkeys(sorted(seen), cook.council_id),
            )
            session.add_all(views)
    return render_page(request, session, settings, "cook/home.html", context, auth=ca.auth)


def _phone(contact: Any) -> str | None:
    return national_phone(contact.phone) if contact is not None and contact.phone else None


def _ids(soon: NextMeal | None) -> set[int]:
    return {soon.diner_id} if soon else set()


def _diners(session: Session, ids: set[int]) -> dict[int, Diner]:
    if not ids:
        return {}
    return {
        d.id: d for d in session.exec(select(Diner).where(col(Diner.id).in_(ids))).all() if d.id
    }


def _needs(d: Diner) -> dict[str, Any]:
    """What a meal for the diner must be, in words (a cook covering for another learns it
    nowhere else)."""
    return {
        "diets": labels_of(DIETS, d.diets),
        "allergies": labels_of(ALLERGENS, d.allergies),
        # Foods beyond the 14 that the carer named: matching did not check them.
        "other_foods": other_foods(d.other_allergies),
        "texture": label_of(TEXTURES, d.texture),
    }


def _shown(meal: Meal, today: date) -> bool:
    """Meals from today on, and earlier ones still waiting to be recorded."""
    return meal.date >= today or meal.status == MealStatus.scheduled


def _meal(meal: Meal, diners: dict[int, Diner], today: date) -> dict[str, Any]:
    text, tag = MEAL_STATUS.get(meal.status, (meal.status, "govuk-tag--grey"))
    diner = diners.get(meal.diner_id)
    return {
        "id": meal.id,
        "date": long_date(meal.date),
        "start": meal.start,
        "diner": _first_name_of(diner),
        "needs": _needs(diner) if diner else None,
        "status": text,
        "tag": tag,
        "is_cover": meal.is_cover,
        "to_record": meal.status == MealStatus.scheduled and meal.date <= today,
        "can_miss": not meals.missed_too_soon(meal, utcnow()),
        "upcoming": meal.date >= today,  # a label to print (today's too, beside its outcome)
    }


def _first_name_of(diner: Diner | None) -> str:
    """The diner's first name; "your neighbour" once their details are erased."""
    if diner is None or diner.anonymised_at is not None:
        return "your neighbour"
    return first_name(diner.full_name)


def _pairing(p: Pairing, d: Diner) -> dict[str, Any]:
    return {
        "id": p.id,
        "diner_id": d.id,
        "first_name": first_name(d.full_name),
        "when": f"{WEEKDAYS[p.weekday]}s at {p.start}",
        "how_often": label_of(FREQUENCIES, p.frequency),
        "distance": public_distance_text(p.distance_m),
        **_needs(d),
        "address_line": d.address_line if p.status == PairingStatus.active else None,
        "postcode": d.postcode if p.status == PairingStatus.active else None,
        "access_notes": d.access_notes if p.status == PairingStatus.active else None,
    }


def _ended(p: Pairing, d: Diner, council: Council) -> dict[str, str]:
    """A pairing that ended lately: when, and why in the cook's words (a diner who asked for
    their data to go is "your neighbour")."""
    first = "your neighbour" if d.anonymised_at is not None else first_name(d.full_name)
    why = why_ended_to_cook(diner_name=first, reason=p.end_reason)
    assert p.ended_at is not None  # set whenever a pairing ends
    return {
        "first_name": first,
        "on": long_date(local_date(p.ended_at, council)),
        "why": why[:1].upper() + why[1:],
    }


def _paused(session: Session, p: Pairing, d: Diner) -> dict[str, Any]:
    """A paused pairing, why in the cook's words, and the diner's needs, so that the cook can
    see what their profile must offer again (no address: it is not running). A pause that only
    the distance between their homes keeps (a move) says so, and shows no needs: no change of
    what they cook would restart it."""
    first = first_name(d.full_name)
    # A concern's pause gives no reason: the concern may be about the cook (safeguarding),
    # and they are not told of it.
    why = "for now"
    too_far = paused_only_for_distance(session, p)
    if too_far:
        why = f"because you and {first} now live too far apart for you to walk the meals round"
    elif p.pause_reason == PauseReason.cook_changed:
        why = f"because your profile no longer meets {first}'s needs safely"
    elif p.pause_reason == PauseReason.needs_changed:
        why = f"because {first}'s needs changed and you may not be able to cook safely for them"
    return {
        "first_name": first,
        "why": why,
        "explained": p.pause_reason in SAFETY_PAUSES and not too_far,
        "too_far": too_far,
        **_needs(d),
    }


PENDING_TITLES = {
    CookStatus.pending: "Waiting for checks",
    CookStatus.rejected: "You have not been approved to cook",
    CookStatus.suspended: "Your cooking is suspended",
    CookStatus.left: "You have stopped cooking",
}


# --- invitations -----------------------------------------------------------------------------


@router.post("/cook/invitations/{pairing_id}/accept")
def accept(
    pairing_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    pairing = pairings.get_invited_pairing(session, user=ca.user, pairing_id=pairing_id)
    # A second click on "Accept" finds it accepted (the first's lock waited for): the page the
    # first click leads to, not "Sorry, something went wrong" (an outside check).
    if pairing.status != PairingStatus.active:
        # The API's accept: the address the next page shows is audited in the same transaction.
        pairings.accept_invitation(session, cook_user=ca.user, pairing=pairing)
    return redirect("/cook/?done=accepted")


def _invitation(session: Session, ca: CookAuth, pairing_id: int) -> tuple[Pairing, Diner]:
    pairing = pairings.get_invited_pairing(session, user=ca.user, pairing_id=pairing_id)
    if pairing.status != PairingStatus.proposed:
        raise NotFound("This invitation is no longer open")
    diner = session.get(Diner, pairing.diner_id)
    assert diner is not None
    return pairing, diner


@router.get("/cook/invitations/{pairing_id}/decline", response_class=HTMLResponse)
def decline_form(
    pairing_id: PathId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    pairing, diner = _invitation(session, ca, pairing_id)
    context = {
        "title": f"Are you sure you want to decline cooking for {first_name(diner.full_name)}?",
        "invitation": _pairing(pairing, diner),
    }
    if kept := kept_answers(request, session, ca.auth, action=request.url.path):
        context["values"] = {"reason": typed_text(kept.get("reason", ""))}
    return render_page(request, session, settings, "cook/decline.html", context, auth=ca.auth)


@router.post("/cook/invitations/{pairing_id}/decline", response_class=HTMLResponse)
def decline(
    pairing_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    reason: Text = "",
    csrf_token: Text = "",
) -> Response:
    keep_if_sign_in_ended(request, session, settings, form, fields=("reason",))
    check_csrf(request, settings, csrf_token)
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    pairing, diner = _invitation(session, ca, pairing_id)
    reason = typed_text(reason)
    if problem := reason_problem(reason, what="Your reason"):
        context = {
            "title": f"Are you sure you want to decline cooking for {first_name(diner.full_name)}?",
            "invitation": _pairing(pairing, diner),
            "errors": {"reason": problem},
            "values": {"reason": reason},
        }
        return render_page(
            request, session, settings, "cook/decline.html", context, status_code=422, auth=ca.auth
        )
    decline_with_reason(session, pairing=pairing, reason=reason or None)
    return redirect("/cook/?done=declined")


# --- meals and cover -------------------------------------------------------------------------


@router.get("/cook/meals/{meal_id}/missed", response_class=HTMLResponse)
def missed_form(
    meal_id: PathId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Asked first: "Missed" tells the carer and the coordinator at once and cannot be taken
    back by the cook, and sat beside "Delivered", one tap on a phone (a newcomer's walk)."""
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    meal, _cook = meals.own_meal(session, user=ca.user, meal_id=meal_id, lock=False)
    if meal.status in ALREADY:  # recorded meanwhile (another tab): said, as a second click is
        return redirect(f"/cook/?done=already-{meal.status}")
    council = session.get(Council, meal.council_id)
    assert council is not None
    if (
        meal.status != MealStatus.scheduled
        or meal.date > council_today(council)
        or meals.missed_too_soon(meal, utcnow())
    ):
        return redirect("/cook/")  # not one to record as missed (yet): the list says why
    diner = session.get(Diner, meal.diner_id)
    first = _first_name_of(diner)
    context = {
        "title": f"Record the meal for {first} as missed?",
        "meal": {"id": meal.id, "date": long_date(meal.date), "start": meal.start},
        "told": (
            f"{first}'s carer and the coordinator"
            if diner is not None and diner.carer_id is not None
            else "the coordinator"
        ),
        "first": first,
    }
    return render_page(request, session, settings, "cook/missed.html", context, auth=ca.auth)


@router.post("/cook/meals/{meal_id}/{outcome}")
def record(
    meal_id: PathId,
    outcome: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    if outcome not in (MealStatus.delivered, MealStatus.missed):
        raise NotFound("Page not found")
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    meal, _cook = meals.own_meal(session, user=ca.user, meal_id=meal_id)
    # Recorded so a moment ago (a second click; own_meal's lock waited for the first): where
    # the first click leads, not an error page (an outside check). Another outcome is refused.
    if meal.status in ALREADY and meal.status != outcome:
        return redirect(f"/cook/?done=already-{meal.status}")
    if meal.status != outcome:
        meals.record_outcome(session, meal=meal, outcome=MealStatus(outcome))
    # No fragment: the banner at the top takes focus (a fragment scrolled past it, unread).
    return redirect(f"/cook/?done={outcome}")


@router.post("/cook/cover/{meal_id}")
def take_cover(
    meal_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    cover.take_cover(session, user=ca.user, meal_id=meal_id)
    return redirect("/cook/?done=covered")


# --- the calendar feed -------------------------------------------------------------------------


@router.post("/cook/calendar")
def new_calendar(
    request: Request, session: SessionDep, settings: SettingsDep, csrf_token: Text = ""
) -> Response:
    """A calendar address (POST /api/cooks/me/calendar), new each time: only the API could
    make one, so a cook using the pages had none."""
    check_csrf(request, settings, csrf_token)
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    rotate_calendar_token(session, user=ca.user)
    return redirect("/cook/?done=calendar")


@router.post("/cook/calendar/off")
def calendar_off(
    request: Request, session: SessionDep, settings: SettingsDep, csrf_token: Text = ""
) -> Response:
    check_csrf(request, settings, csrf_token)
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    revoke_calendar_token(session, user=ca.user)
    return redirect("/cook/?done=calendar-off")


# --- away ------------------------------------------------------------------------------------


def _away_context(cook: Cook, session: Session, today: date) -> dict[str, Any]:
    listed = aways.list_away(session, cook=cook, today=today)
    return {
        "away": [
            {
                "id": a.id,
                "from": long_date(a.from_date),
                "to": long_date(a.to_date),
                "changeable": a.from_date > today,
            }
            for a in listed
        ],
        "example": today + timedelta(days=14),
    }


def _read_dates(
    form: FormData,
) -> tuple[dict[str, dict[str, str]], dict[str, DateProblem], dict[str, date]]:
    """The two three-field dates as typed, their problems, and the dates that parsed."""
    typed = {name: date_fields(form, name) for name in ("from", "to")}
    problems: dict[str, DateProblem] = {}
    parsed: dict[str, date] = {}
    for name, what in (("from", "the first day you are away"), ("to", "the last day you are away")):
        value, problem = parse_date(typed[name], what=what)
        if problem:
            problems[name] = problem
        elif value is not None:
            parsed[name] = value
    return typed, problems, parsed


def _rule_problems(parsed: dict[str, date], today: date) -> dict[str, DateProblem]:
    """The away rules' messages, each about its date as a whole."""
    broken = aways.check_dates(parsed["from"], parsed["to"], today=today)
    return {name: DateProblem(message) for name, message in broken.items()}


@router.get("/cook/away", response_class=HTMLResponse)
def away_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    today = council_today(council_of(session, ca.cook))
    context = {
        "title": "When you are away",
        "notice": NOTICES.get(request.query_params.get("done", "")),
        **_away_context(ca.cook, session, today),
    }
    return render_page(request, session, settings, "cook/away.html", context, auth=ca.auth)


@router.post("/cook/away", response_class=HTMLResponse)
def add_away(
    request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    today = council_today(council_of(session, ca.cook))
    typed, problems, parsed = _read_dates(form)
    if not problems:
        problems = _rule_problems(parsed, today)
    if problems:
        context = {
            "title": "When you are away",
            **_away_context(ca.cook, session, today),
            "errors": date_errors(problems),
            "dates": problems,
            "values": typed,
        }
        return render_page(
            request, session, settings, "cook/away.html", context, status_code=422, auth=ca.auth
        )
    saved = aways.add_away(
        session, cook=ca.cook, from_=parsed["from"], to=parsed["to"], today=today
    )
    # Say what saving did: dates already given change nothing, and the cook should not read
    # that cover is being looked for again (a newcomer's walk).
    return redirect(f"/cook/away?done=away-{saved.outcome}")


@router.get("/cook/away/{away_id}/change", response_class=HTMLResponse)
def change_away_form(
    away_id: PathId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    away = aways.own_away(session, cook=ca.cook, away_id=away_id)
    typed = {
        name: {"day": str(d.day), "month": str(d.month), "year": str(d.year)}
        for name, d in (("from", away.from_date), ("to", away.to_date))
    }
    today = council_today(council_of(session, ca.cook))
    context = {
        "title": "Change your away dates",
        "away_id": away.id,
        "values": typed,
        "example": today + timedelta(days=14),
    }
    return render_page(request, session, settings, "cook/away-change.html", context, auth=ca.auth)


@router.post("/cook/away/{away_id}/change", response_class=HTMLResponse)
def change_away(
    away_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    today = council_today(council_of(session, ca.cook))
    away = aways.own_away(session, cook=ca.cook, away_id=away_id)
    typed, problems, parsed = _read_dates(form)
    if not problems:
        problems = _rule_problems(parsed, today)
    if not problems:
        try:
            aways.change_away(
                session,
                cook=ca.cook,
                away_id=away_id,
                from_=parsed["from"],
                to=parsed["to"],
                today=today,
            )
        except RuleBroken as exc:
            problems = {"from": DateProblem(exc.message)}
        else:
            return redirect("/cook/away?done=away-changed")
    context = {
        "title": "Change your away dates",
        "away_id": away.id,
        "example": today + timedelta(days=14),
        "errors": date_errors(problems),
        "dates": problems,
        "values": typed,
    }
    return render_page(
        request, session, settings, "cook/away-change.html", context, status_code=422, auth=ca.auth
    )


@router.get("/cook/away/{away_id}/cancel", response_class=HTMLResponse)
def cancel_away_form(
    away_id: PathId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    away = aways.own_away(session, cook=ca.cook, away_id=away_id)
    context = {
        "title": "Are you sure you want to cancel these away dates?",
        "away_id": away.id,
        "from": long_date(away.from_date),
        "to": long_date(away.to_date),
    }
    return render_page(request, session, settings, "cook/away-cancel.html", context, auth=ca.auth)


@router.post("/cook/away/{away_id}/cancel")
def cancel_away(
    away_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    ca = _needs_profile(request, session, settings)
    if isinstance(ca, Response):
        return ca
    today = council_today(council_of(session, ca.cook))
    aways.cancel_away(session, cook=ca.cook, away_id=away_id, today=today)
    return redirect("/cook/away?done=away-cancelled")
