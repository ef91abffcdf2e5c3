"""The carer's own pages: "My relatives" (each one's cook and next meal), a relative's page,
changing their needs, times, address or access notes (the same service as
PATCH /api/diners/{id}, and what happened said in plain words), rating a meal, the friendship
question (only after a few delivered meals), pausing, a different cook, stopping, and the
carer's own details: phone, how we contact them, email, and asking for their data to go."""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, func, select
from starlette.datastructures import FormData

from app.accounts.contact import set_contact
from app.concerns.categories import RAISER_STATUS
from app.concerns.service import raised_by
from app.config import Settings
from app.councils.rules import council_today, local_date
from app.db import utcnow
from app.deps import Auth, SessionDep, SettingsDep
from app.diners.erasure_hold import ErasureHold, erasure_hold, erasure_holds
from app.diners.presenters import diner_out
from app.diners.schemas import DinerChangeOnPages, DinerOut, PauseIn
from app.diners.service import list_carers_diners, pause_held
from app.errors import Conflict, NotFound, RuleBroken
from app.flows.diner_changes import CONTACT_DETAILS, change_diner, paused_only_for_distance
from app.flows.diners import cancel_pause, leave_diner, pause_diner
from app.meals.feedback import answer_outcome, rate_meal
from app.models import Concern, Council, Diner, Meal, MealFeedback, Neighbourhood, Pairing, User
from app.names import first_name
from app.notifications.messages import why_ended_to_carer
from app.pages.carer_common import (
    CONTACT_CHOICES,
    DAY_TIME_FIELDS,
    POSTCODE_MESSAGES,
    availability,
    carer_auth,
    check_access,
    check_address,
    check_details,
    check_food,
    check_times,
    needs_summary,
    read_form,
    relative_of,
    times_answers,
    when_words,
)
from app.pages.carer_register import step_context
from app.pages.carer_signup import contact_problems
from app.pages.cook_forms import (
    WEEKDAYS,
    items,
    long_date,
    national_phone,
    redirect,
    to_sign_in,
)
from app.pages.dates import DATE_PARTS, DateProblem, date_errors, date_fields, parse_date
from app.pages.forms import (
    FormDep,
    check_csrf,
    reason_problem,
    render_page,
    text_rule_problem,
    typed_text,
    whole_number,
)
from app.pages.kept_answers import keep_if_sign_in_ended, kept_answers
from app.pairings.lifecycle import request_change
from app.pairings.service import last_ended
from app.privacy.erasure_requests import (
    erase_by,
    erasure_asked_on,
    erasure_begun,
    request_erasure,
    withdraw_erasure,
)
from app.privacy.service import ERASED
from app.routing import DeferredRoute
from app.schemas import PathId
from app.vocab import (
    OPEN_PAIRING_STATUSES,
    RUNNING_PAIRING_STATUSES,
    DinerStatus,
    MealStatus,
    PairingStatus,
    PauseReason,
)

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

# The friendship question comes after this many meals delivered by the current cook: about a
# month of weekly visits. Asked earlier, it measures politeness towards a stranger rather than
# a friendship, and a carer asked before the first meal cannot answer at all.
FRIENDSHIP_AFTER_MEALS = 3
FRIENDSHIP_EVERY = timedelta(days=90)  # then asked again each quarter
DINER_STATUS = {
    DinerStatus.waiting: ("Waiting for a cook", "govuk-tag--blue"),
    DinerStatus.matched: ("Has a cook", "govuk-tag--green"),
    DinerStatus.paused: ("Meals paused", "govuk-tag--yellow"),
    DinerStatus.left: ("Left Extra Portion", "govuk-tag--grey"),
}
MEAL_STATUS = {
    MealStatus.scheduled: ("Planned", "govuk-tag--blue"),
    MealStatus.needs_cover: ("Finding another cook", "govuk-tag--yellow"),
    MealStatus.delivered: ("Delivered", "govuk-tag--green"),
    MealStatus.missed: ("Missed", "govuk-tag--red"),
    MealStatus.cancelled: ("Cancelled", "govuk-tag--grey"),
}
RATINGS = [
    ("5", "Loved it"),
    ("4", "Liked it"),
    ("3", "It was fine"),
    ("2", "Did not like it much"),
    ("1", "Did not like it"),
]
CHANGES = {
    "food": ("diets", "allergies", "other_allergies", "texture"),
    "times": ("availability", "frequency"),
    "address": ("address_line", "postcode"),
    "access": ("access_notes",),
    "details": ("full_name", "phone"),
}
CHANGE_TITLES = {
    "food": "Change what {first} can eat",
    "times": "Change when {first} could have a meal",
    "address": "Change {first}'s address",
    "access": "Change how the cook gets in",
    "details": "Change {first}'s name or phone number",
}


def _page(
    request: Request,
    session: Session,
    settings: Settings,
    auth: Auth,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    return render_page(
        request, session, settings, name, context, status_code=status_code, auth=auth
    )


def _when(weekday: int, start: str, frequency: str) -> str:
    day = WEEKDAYS[weekday]
    return {
        "weekly": f"every {day} at {start}",
        "fortnightly": f"every other {day} at {start}",
        "monthly": f"on the same {day} of each month, at {start}",
    }.get(frequency, f"on {day}s at {start}")


NOT_LOOKING = ("Not looking for a cook", "govuk-tag--grey")


def _status(out: DinerOut, *, held: bool = False) -> tuple[str, str]:
    """The tag: "Meals paused" too while the pairing is paused (the diner stays matched);
    "Not looking for a cook" for a relative waiting while their carer's erasure request names
    them (`held`), as the line under it says: "Waiting for a cook" beside it was untrue (a
    review)."""
    if held and out.pairing is None and out.status == DinerStatus.waiting:
        return NOT_LOOKING
    if (
        out.status != DinerStatus.left
        and out.pairing is not None
        and out.pairing.status == PairingStatus.paused
    ):
        return DINER_STATUS[DinerStatus.paused]
    return DINER_STATUS.get(out.status, (out.status, "govuk-tag--grey"))


LOOKING = "We are looking for a cook who lives nearby and is free at the right times."
ENDED_SHOWN_DAYS = 28  # how long a relative's page says how their last cook's meals stopped


def _too_far(session: Session, out: DinerOut) -> bool:
    """Whether the relative's pairing is paused for safety only because the cook and the
    relative now live too far apart (a move): said so, not put down to their needs."""
    if out.pairing is None or out.pairing.status != PairingStatus.paused:
        return False  # no read for the pairing of a relative whose meals run
    found = session.get(Pairing, out.pairing.id)
    return found is not None and paused_only_for_distance(session, found)


def _cook_line(out: DinerOut, ended: str = "", *, too_far: bool = False, held: bool = False) -> str:
    """Where the relative stands with a cook, in words; `ended` says how the last cook's meals
    stopped (`_ended_line`), for a relative waiting again; `too_far` (`_too_far`): a pause for
    safety is down to the distance between the cook's home and the relative's; `held`: the
    carer's erasure request names this relative, so no cook is looked for
    (app/diners/erasure_hold.py)."""
    first = first_name(out.full_name)
    pairing = out.pairing
    cook = pairing.cook.display_name if pairing and pairing.cook else "their cook"
    if out.status == DinerStatus.left:
        return f"{first} has left Extra Portion."
    if pairing is None and held:
        # "We are looking for a cook" was untrue once they asked (a newcomer's walk).
        stopped = (
            f"We are not looking for a cook: you asked us to erase your data and {first}'s, "
            "and the council is doing that."
        )
        return f"{ended} {stopped}" if ended else stopped
    if pairing is None:
        return f"{ended} {LOOKING}" if ended else LOOKING
    if pairing.status == PairingStatus.proposed:
        return "We have found a cook and asked them. We will show their name when they say yes."
    if pairing.status == PairingStatus.paused and too_far:
        return (
            f"Meals with {cook} are paused because {first} and {cook} now live too far apart "
            f"for {cook} to walk the meals round. The coordinator will contact you."
        )
    if pairing.status == PairingStatus.paused and pairing.pause_reason == PauseReason.needs_changed:
        return (
            f"Meals with {cook} are paused because {first}'s needs changed and {cook} may not "
            "be able to cook safely for them. The coordinator will contact you."
        )
    if pairing.status == PairingStatus.paused and pairing.pause_reason == PauseReason.cook_changed:
        return (
            f"Meals with {cook} are paused because what {cook} can cook no longer meets "
            f"{first}'s needs. The coordinator will contact you."
        )
    if pairing.status == PairingStatus.paused:
        return f"Meals with {cook} are paused while the council looks into a concern."
    when = _when(pairing.weekday, pairing.start, pairing.frequency)
    return f"{first}'s cook is {cook}, who brings a meal {when}."


def _ended_line(session: Session, diner: Diner) -> str:
    """ "Priya's meals stopped on Tuesday 1 December 2026. Priya has moved out of the council's
    area.": a carer whose relative waits again sees why, not only that a cook is sought (the
    email said it once)."""
    assert diner.id is not None
    ended = last_ended(session, diner_id=diner.id)
    council = session.get(Council, diner.council_id)
    if ended is None or council is None:
        return ""
    pairing, cook = ended
    assert pairing.ended_at is not None  # set whenever a pairing ends
    if pairing.ended_at < utcnow() - timedelta(days=ENDED_SHOWN_DAYS):
        return ""  # long ago: the relative is simply waiting, as the cook's page has it too
    name = "Their cook" if cook.display_name == ERASED else cook.display_name
    why = why_ended_to_carer(
        cook_name=name,
        diner_name=first_name(diner.full_name),
        reason=pairing.end_reason,
    )
    on = long_date(local_date(pairing.ended_at, council))
    return f"{name}'s meals stopped on {on}. {why} The coordinator can tell you more."


def _next_meal(out: DinerOut) -> dict[str, str | None] | None:
    meal = next(
        (
            m
            for m in out.upcoming_meals
            if m.status in (MealStatus.scheduled, MealStatus.needs_cover)
        ),
        None,
    )
    if meal is None:
        return None
    return {
        "date": long_date(meal.date),
        "start": meal.start,
        "status": meal.status,
        "cover_cook": meal.cover_cook if meal.status == MealStatus.scheduled else None,
    }


def _coordinators(session: Session, user: User) -> list[dict[str, str]]:
    """The coordinators of the neighbourhoods the carer's relatives live in."""
    hood_ids = {
        d
        for d in session.exec(select(Diner.neighbourhood_id).where(Diner.carer_id == user.id))
        if d is not None
    }
    found = []
    if hood_ids:
        for hood in session.exec(select(Neighbourhood).where(col(Neighbourhood.id).in_(hood_ids))):
            person = session.get(User, hood.coordinator_id) if hood.coordinator_id else None
            if person is not None and person.is_active:
                found.append(
                    {
                        "neighbourhood": hood.name,
                        "name": person.full_name,
                        "email": person.email,
                        "phone": national_phone(person.phone) if person.phone else "",
                        "tel": person.phone or "",
                    }
                )
    return found


# --- My relatives -------------------------------------------------------------------------------


@router.get("/carer/index.html")
def old_home() -> Response:
    return redirect("/carer/")


@router.get("/carer/relative.html")
def old_relative(id: str = "") -> Response:
    number = whole_number(id)
    return redirect(f"/carer/relatives/{number}" if number is not None else "/carer/")


@router.get("/carer/", response_class=HTMLResponse)
def home(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    registered: str = "",
    done: str = "",
) -> Response:
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diners, _ = list_carers_diners(session, carer=auth.user, limit=50, offset=0)
    live = [
        diner
        for listed in diners
        if (diner := session.get(Diner, listed.id)) is not None and diner.anonymised_at is None
    ]
    # The request holds only the relatives it names: one registered after asking is matched
    # as usual (app/diners/erasure_hold.py), and the page says so.
    council = session.get(Council, live[0].council_id) if live else None
    holds = erasure_holds(session, diners=live, council=council)
    erasure = _erasure_asked(session, auth.user, live, holds)
    relatives = []
    notice: tuple[str, str | None] | None = None
    for diner in live:
        out = diner_out(session, diner)
        held = diner.id in holds
        relatives.append(
            {
                "id": out.id,
                "name": out.full_name,
                "first": first_name(out.full_name),
                "status": _status(out, held=held),
                "cook_line": _cook_line(
                    out,
                    "" if out.pairing else _ended_line(session, diner),
                    too_far=_too_far(session, out),
                    held=held,
                ),
                "next_meal": _next_meal(out),
            }
        )
        if registered == str(out.id):
            notice = (
                f"{out.full_name} is registered",
                "The council will look for a checked cook who lives nearby and is free at the "
                "right times. We will tell you when a cook says yes.",
            )
    user = auth.user
    notice = notice or {
        "contact": ("Your contact details are saved", None),
        "erasure_withdrawn": (
            "You took back your request to erase your data",
            "Nothing will be erased. The council will look for a cook again for a relative who "
            "needs one. We have told your coordinator.",
        ),
    }.get(done)
    context = {
        "title": "My relatives",
        "relatives": relatives,
        "notice": notice,
        "me": {
            "name": user.full_name,
            "email": user.email,
            "phone": national_phone(user.phone) if user.phone else "Not given",
            "preference": dict(CONTACT_CHOICES).get(user.contact_preference, "Email"),
        },
        "coordinators": _coordinators(session, user),
        "erasure": erasure,
    }
    return _page(request, session, settings, auth, "carer/home.html", context)


def _erasure_asked(
    session: Session, user: User, live: list[Diner], holds: dict[int, ErasureHold]
) -> dict[str, str | bool] | None:
    """The carer's request to be erased, while it waits: the page gave no sign of it after, and
    offered to ask again (a browser walk). `live`: their relatives not erased; `holds`: those
    the request names. Those it does not name were registered after asking: they are said
    not to be covered, and the carer may ask again for them."""
    relative = session.exec(select(Diner).where(Diner.carer_id == user.id)).first()
    council = session.get(Council, relative.council_id) if relative else None
    asked = erasure_asked_on(session, carer_id=user.id or 0, council=council)
    if asked is None:
        return None
    named = [first_name(d.full_name) for d in live if d.id in holds]
    later = [first_name(d.full_name) for d in live if d.id not in holds]
    return {
        "on": long_date(asked),
        "by": long_date(erase_by(asked)),
        "whose": f"your data, and {_and(named)}’s," if named else "your data",
        "later": _and(later),
        "later_them": "them" if len(later) > 1 else "".join(later),
        "later_whose": "their" if len(later) > 1 else f"{''.join(later)}’s",
        # Staff have erased a relative already: what is done cannot be undone, nor taken back.
        "begun": erasure_begun(session, carer_id=user.id or 0),
    }


def _and(names: list[str]) -> str:
    """'Arthur', 'Arthur and Betty', 'Arthur, Betty and Carol'."""
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


# --- a relative's page --------------------------------------------------------------------------


def _delivered_by_current_cook(session: Session, out: DinerOut) -> int:
    if out.pairing is None or out.pairing.status != PairingStatus.active:
        return 0
    return session.exec(
        select(func.count()).where(
            Meal.pairing_id == out.pairing.id, Meal.status == MealStatus.delivered
        )
    ).one()


def _ask_friendship(session: Session, out: DinerOut) -> bool:
    if _delivered_by_current_cook(session, out) < FRIENDSHIP_AFTER_MEALS:
        return False
    return out.outcome is None or out.outcome.answered_at < utcnow() - FRIENDSHIP_EVERY


def _done_message(
    done: str, out: DinerOut, *, too_far: bool = False
) -> tuple[str, str | None] | None:
    first = first_name(out.full_name)
    cook = out.pairing.cook.display_name if out.pairing and out.pairing.cook else "Their cook"
    why = (
        f"{first} now lives too far from {cook} for {cook} to walk the meals round"
        if too_far
        else f"{cook} cannot cook safely for {first}'s new needs"
    )
    return {
        "paused": (
            f"{first}'s meals are paused",
            f"{why}, so the meals stop from today and the coming ones are cancelled. We have "
            f"told {cook} and the coordinator, who will contact you about what happens next.",
        ),
        "withdrawn": (
            f"{first}'s new needs are saved",
            "The cook we had asked cannot meet them safely, so we have withdrawn the "
            "invitation and are looking for another cook.",
        ),
        "told-coordinator": (
            f"{first}'s new times are saved",
            "We have told the coordinator. The meals stay as they are until the coordinator "
            f"agrees any change with you and {cook}.",
        ),
        "resumed": (
            f"{first}'s meals start again",
            f"{cook} can bring {first}'s meals safely again, so the meals start again. We have "
            f"told {cook} and the coordinator.",
        ),
        "still-paused": (
            "Your changes are saved",
            f"{first}'s meals with {cook} are still paused. We have told {cook} and the "
            "coordinator about the change, and the coordinator will contact you about what "
            "happens next.",
        ),
        "told-cook": (
            "Your changes are saved",
            f"{cook} can still cook safely for {first}. We have told {cook} and the "
            "coordinator about the change.",
        ),
        "details-saved": (
            "Your changes are saved",
            f"They do not change the meals, so we have not sent {cook} or the coordinator a "
            "message about them.",
        ),
        "saved": ("Your changes are saved", "We will use them when we look for a cook."),
        "unchanged": ("Nothing has changed", "The answers you sent are the ones we had."),
        "rated": ("Thank you for rating the meal", None),
        "answered": ("Thank you for your answer", None),
        "paused-dates": (
            f"{first}'s meals are paused for those dates",
            "Meals on those days are cancelled and the cook is told. They start again after."
            if out.pairing and out.pairing.status in RUNNING_PAIRING_STATUSES
            else "We will not plan meals on those days when we find a cook.",
        ),
        "change-cook": (
            f"We will look for a different cook for {first}",
            "The meals with their cook have stopped. We will tell you when a new cook says yes.",
        ),
        "left": (f"{first}'s meals have stopped for good", "Thank you for using Extra Portion."),
        "pause-cancelled": (
            f"{first}'s pause is cancelled",
            # Meals stopped for another reason (a need the cook cannot meet, a concern) stay
            # stopped: the banner said they were back on (a browser walk).
            f"Meals are still stopped for the reason under Their cook: {first}'s pause did not "
            "change that."
            if out.pairing and out.pairing.status == PairingStatus.paused
            else "Meals it had stopped are back on, and the cook is told."
            if out.pairing and out.pairing.status == PairingStatus.active
            else "We will plan meals on any day when we find a cook.",
        ),
    }.get(done)


@router.get("/carer/relatives/{diner_id}", response_class=HTMLResponse)
def relative(
    diner_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, done: str = ""
) -> Response:
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diner = relative_of(session, auth, diner_id)
    out = diner_out(session, diner)
    words = needs_summary(out.model_dump(mode="json"))
    concerns = [
        c
        for c in raised_by(session, user=auth.user, limit=500, offset=0)[0]
        if c.diner_id == diner.id
    ]
    too_far = _too_far(session, out)
    held = erasure_hold(session, diner=diner) is not None  # if the request names them
    context = {
        "title": out.full_name,
        "d": out,
        "first": first_name(out.full_name),
        "status": _status(out, held=held),
        "cook_line": _cook_line(
            out,
            "" if out.pairing else _ended_line(session, diner),
            too_far=too_far,
            held=held,
        ),
        "cook_name": out.pairing.cook.display_name if out.pairing and out.pairing.cook else None,
        "next_meal": _next_meal(out),
        "meals": [
            {
                "date": long_date(m.date),
                "start": m.start,
                "status": MEAL_STATUS.get(m.status),
                "cover_cook": m.cover_cook if m.status == MealStatus.scheduled else None,
            }
            for m in out.upcoming_meals
            if m.status != MealStatus.cancelled
        ],
        "to_rate": [
            {"id": m.id, "date": long_date(m.date)} for m in out.recent_meals if m.rating is None
        ],
        "ask_friendship": _ask_friendship(session, out),
        "words": words,
        "when": when_words([w.model_dump() for w in out.availability]),
        "phone": national_phone(out.phone) if out.phone else "Not given",
        "concerns": [_concern_row(c, session.get(Council, diner.council_id)) for c in concerns],
        "notice": _done_message(done, out, too_far=too_far),
        "notice_is_news": done in ("paused", "withdrawn"),
        "active": out.status != DinerStatus.left,
        "can_change_cook": bool(out.pairing and out.pairing.status in RUNNING_PAIRING_STATUSES),
        "pause": _pause_words(session, diner),
        # A pause of the pairing's own (safety, a concern) outlasts the dates the carer chose.
        "also_stopped": bool(out.pairing and out.pairing.status == PairingStatus.paused),
    }
    return _page(request, session, settings, auth, "carer/relative.html", context)


def _pause_words(session: Session, diner: Diner) -> dict[str, str] | None:
    """The relative's pause still to end, in words (it was shown nowhere, so a carer could
    neither see nor cancel it)."""
    council = session.get(Council, diner.council_id)
    assert council is not None
    held = pause_held(diner, council_today(council))
    if held is None or diner.status == DinerStatus.left:
        return None
    return {"from": long_date(held[0]), "to": long_date(held[1])}


@router.post("/carer/relatives/{diner_id}/pause/cancel", response_class=HTMLResponse)
def cancel_the_pause(
    diner_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    """Home early: the pause is off and its meals come back (their cooks told)."""
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diner = relative_of(session, auth, diner_id)
    try:
        cancel_pause(session, actor=auth.user, diner=diner)
    except Conflict:  # no pause left to cancel (another tab did it): the page shows none
        return redirect(f"/carer/relatives/{diner_id}")
    return redirect(f"/carer/relatives/{diner_id}?done=pause-cancelled")


def _concern_row(concern: Concern, council: Council | None) -> dict[str, str]:
    assert council is not None
    words, tag, _ = RAISER_STATUS[concern.status]
    return {
        "reference": concern.reference,
        "date": long_date(local_date(concern.created_at, council)),
        "status": words,
        "tag": tag,
    }


# --- changing a relative's answers: the same service as PATCH /api/diners/{id} ------------------


def answers_of(diner: Diner) -> dict[str, Any]:
    return {
        "full_name": diner.full_name,
        "phone": national_phone(diner.phone) if diner.phone else "",
        "address_line": diner.address_line,
        "postcode": diner.postcode,
        "diets": list(diner.diets),
        "allergies": list(diner.allergies),
        "other_allergies": diner.other_allergies or "",
        "texture": diner.texture,
        "frequency": diner.frequency,
        "access_notes": diner.access_notes or "",
        **times_answers(diner.availability),
    }


def _change_step(what: str) -> str:
    """The registration step that asks a change's questions (the address, the name and phone
    number are on "about")."""
    return "about" if what in ("address", "details") else what


def change_template(what: str) -> str:
    return f"carer/relative-{_change_step(what)}.html"


def change_context(
    what: str, diner: Diner, a: dict[str, Any], record: str | None = None
) -> dict[str, Any]:
    """A change page of the diner's answers; `record`: the page it goes back to (the carer's
    relative page, or the staff's record of the diner)."""
    step = _change_step(what)
    first = first_name(diner.full_name)
    record = record or f"/carer/relatives/{diner.id}"
    return {
        **step_context(step, a, back=record, change=False),
        "title": CHANGE_TITLES[what].format(first=first),
        "action": f"{record}/change/{what}",
        "caption": diner.full_name,
        "button": "Save changes",
        "changing": True,
        "address_only": what == "address",
        "details_only": what == "details",
        # Staff change a diner from their record: the carer's words ("your relative", "we will
        # tell you") misled them (a walk).
        "for_staff": record.startswith("/staff/"),
    }


@router.get("/carer/relatives/{diner_id}/change/{what}", response_class=HTMLResponse)
def change_form(
    diner_id: PathId, what: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diner = relative_of(session, auth, diner_id)
    if what not in CHANGES or diner.status == "left":
        return redirect(f"/carer/relatives/{diner_id}")
    a = answers_of(diner)
    if kept := kept_answers(request, session, auth, action=request.url.path):
        a = {**a, **typed_change(what, kept)}
    context = change_context(what, diner, a)
    return _page(request, session, settings, auth, change_template(what), context)


@router.post("/carer/relatives/{diner_id}/change/{what}", response_class=HTMLResponse)
def change(
    diner_id: PathId,
    what: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    if what in CHANGES:
        keep_if_sign_in_ended(request, session, settings, form, fields=change_fields(what))
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diner = relative_of(session, auth, diner_id)
    if what not in CHANGES or diner.status == "left":
        return redirect(f"/carer/relatives/{diner_id}")
    a, body, errors = read_change(session, settings, diner, what, form)
    if body is not None:
        before = _pairing_state(session, diner)
        try:
            changed = change_diner(
                session, actor=auth.user, diner=diner, body=body, settings=settings
            )
        except RuleBroken as exc:
            errors = {str(exc.loc[-1]): POSTCODE_MESSAGES.get(exc.rule, exc.message)}
        else:
            return redirect(
                f"/carer/relatives/{diner_id}?done={_outcome(session, diner, before, changed)}"
            )
    context = {**change_context(what, diner, a), "errors": errors}
    return _page(request, session, settings, auth, change_template(what), context, status_code=422)


def read_change(
    session: Session, settings: Settings, diner: Diner, what: str, form: FormData
) -> tuple[dict[str, Any], DinerChangeOnPages | None, dict[str, str]]:
    """One change page's answers, checked: (the answers, the update or None, the errors)."""
    a = {**answers_of(diner), **typed_change(what, form)}
    errors = {
        "food": lambda: check_food(a),
        "times": lambda: check_times(a),
        "address": lambda: check_address(a, session=session, settings=settings),
        "access": lambda: check_access(a),
        "details": lambda: check_details(a),
    }[what]()
    if errors:
        return a, None, errors
    sent = {name: a[name] for name in CHANGES[what] if name in a}
    if what == "times":
        sent["availability"] = availability(a)
    if what == "access":
        sent["access_notes"] = a["access_notes"] or None
    if what == "details":
        sent["phone"] = a["phone"] or None  # left empty: the number is taken off
    try:
        return a, DinerChangeOnPages.model_validate(sent), {}
    except ValidationError as exc:  # a rule the checks above don't know: shown, never a 500
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else CHANGES[what][0]
        return a, None, {"days" if field == "availability" else field: str(first["msg"])}


def change_fields(what: str) -> tuple[str, ...]:
    """A change page's fields: the change's own, but for the times, asked day by day."""
    return ("days", *DAY_TIME_FIELDS, "frequency") if what == "times" else CHANGES[what]


def typed_change(what: str, form: FormData) -> dict[str, Any]:
    """A change page's answers as typed (posted, or kept when the sign-in had ended)."""
    return read_form(form, change_fields(what), ("diets", "allergies", "days"))


def _pairing_state(session: Session, diner: Diner) -> tuple[int | None, str | None]:
    pairing = session.exec(
        select(Pairing).where(
            Pairing.diner_id == diner.id, col(Pairing.status).in_(OPEN_PAIRING_STATUSES)
        )
    ).first()
    return (pairing.id, pairing.status) if pairing else (None, None)


def _outcome(
    session: Session, diner: Diner, before: tuple[int | None, str | None], changed: list[str]
) -> str:
    """What the change did, as the key of the message the relative's page shows."""
    if not changed:
        return "unchanged"
    pairing_id, status = before
    if pairing_id is None:
        return "saved"
    pairing = session.get(Pairing, pairing_id)
    assert pairing is not None
    if status == PairingStatus.proposed:
        return "withdrawn" if pairing.status != PairingStatus.proposed else "saved"
    if status == PairingStatus.active and pairing.status == PairingStatus.paused:
        return "paused"
    if status == PairingStatus.paused and pairing.status == PairingStatus.active:
        return "resumed"
    if set(changed) <= CONTACT_DETAILS:
        # The service sends nobody a message for a name or phone number (it is audited): the
        # page said "We have told Priya and the coordinator" (a newcomer's walk).
        return "details-saved"
    if set(changed) <= {"availability", "frequency"}:
        return "told-coordinator"
    # Paused before and still: "Priya can still cook safely for Edna" was untrue when the
    # pause was for Edna's needs, and the meals had not come back either way (a review).
    return "still-paused" if pairing.status == PairingStatus.paused else "told-cook"


# --- rating a meal, the friendship question ------------------------------------------------------


def _meal_to_rate(session: Session, diner: Diner, meal_id: int) -> Meal | None:
    """The relative's delivered meal still to rate; None when it is not (yet, or any more) one
    to rate, and not found when it is not the relative's meal at all."""
    meal = session.get(Meal, meal_id)
    if meal is None or meal.diner_id != diner.id:
        raise NotFound("Meal not found")
    if meal.status != MealStatus.delivered:
        return None
    rated = session.exec(select(MealFeedback.id).where(MealFeedback.meal_id == meal_id)).first()
    return None if rated is not None else meal


@router.get("/carer/relatives/{diner_id}/meals/{meal_id}/rating", response_class=HTMLResponse)
def rating_form(
    diner_id: PathId, meal_id: PathId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diner = relative_of(session, auth, diner_id)
    meal = _meal_to_rate(session, diner, meal_id)
    if meal is None:
        return redirect(f"/carer/relatives/{diner_id}")
    kept = kept_answers(request, session, auth, action=request.url.path)
    values = _typed_rating(kept) if kept else {}
    return _page(
        request, session, settings, auth, "carer/rating.html", _rating_context(diner, meal, values)
    )


def _typed_rating(form: FormData) -> dict[str, str]:
    return {
        "rating": str(form.get("rating", ""))[:2],
        # A line break counts one, as the API counts it (a browser sends two characters).
        "comment": typed_text(form.get("comment", "")),
    }


def _rating_context(diner: Diner, meal: Meal, values: dict[str, str]) -> dict[str, Any]:
    first = first_name(diner.full_name)
    return {
        "title": f"How did {first} like the meal on {long_date(meal.date)}?",
        "diner_id": diner.id,
        "meal_id": meal.id,
        "values": values,
        "rating_items": items(RATINGS, [values.get("rating", "")]),
    }


@router.post("/carer/relatives/{diner_id}/meals/{meal_id}/rating", response_class=HTMLResponse)
def rate(
    diner_id: PathId,
    meal_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    keep_if_sign_in_ended(request, session, settings, form, fields=("rating", "comment"))
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diner = relative_of(session, auth, diner_id)
    meal = _meal_to_rate(session, diner, meal_id)
    if meal is None:
        return redirect(f"/carer/relatives/{diner_id}")
    values = _typed_rating(form)
    errors: dict[str, str] = {}
    if values["rating"] not in dict(RATINGS):
        errors["rating"] = "Select how much they liked the meal"
    if len(values["comment"]) > 1000:
        errors["comment"] = "Your message to the cook must be 1,000 characters or fewer"
    elif problem := text_rule_problem(
        values["comment"], what="Your message to the cook", lines=True
    ):
        errors["comment"] = problem
    if not errors:
        # Rated meanwhile (another tab): the page says thank you all the same.
        with suppress(Conflict):
            rate_meal(
                session,
                carer=auth.user,
                meal_id=meal_id,
                rating=int(values["rating"]),
                comment=values["comment"] or None,
            )
        return redirect(f"/carer/relatives/{diner_id}?done=rated")
    context = {**_rating_context(diner, meal, values), "errors": errors}
    return _page(request, session, settings, auth, "carer/rating.html", context, status_code=422)


@router.get("/carer/relatives/{diner_id}/friendship", response_class=HTMLResponse)
def friendship_form(
    diner_id: PathId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diner = relative_of(session, auth, diner_id)
    out = diner_out(session, diner)
    if not _ask_friendship(session, out):
        return redirect(f"/carer/relatives/{diner_id}")
    return _page(request, session, settings, auth, "carer/friendship.html", _friend_context(out))


def _friend_context(out: DinerOut) -> dict[str, Any]:
    first = first_name(out.full_name)
    cook = out.pairing.cook.display_name if out.pairing and out.pairing.cook else "their cook"
    return {
        "title": f"Does {first} consider {cook} a friend?",
        "diner_id": out.id,
        "first": first,
        "answer_items": items([("yes", "Yes"), ("no", "No, not yet")], []),
    }


@router.post("/carer/relatives/{diner_id}/friendship", response_class=HTMLResponse)
def friendship(
    diner_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diner = relative_of(session, auth, diner_id)
    out = diner_out(session, diner)
    if not _ask_friendship(session, out):
        return redirect(f"/carer/relatives/{diner_id}")
    answer = form.get("considers_friend")
    if answer not in ("yes", "no"):
        context = {**_friend_context(out), "errors": {"considers_friend": "Select yes or no"}}
        return _page(
            request, session, settings, auth, "carer/friendship.html", context, status_code=422
        )
    answer_outcome(session, carer=auth.user, diner=diner, considers_friend=answer == "yes")
    return redirect(f"/carer/relatives/{diner_id}?done=answered")


# --- pause, a different cook, stop -------------------------------------------------------------

ACTIONS = ("pause", "change-cook", "leave")
# What these forms keep when sent after the sign-in ended: the reason, and a pause's dates.
ACTION_FIELDS = ("reason", *(f"{when}-{part}" for when in ("from", "to") for part in DATE_PARTS))


def _action_context(
    kind: str, diner: Diner, cook: str | None, values: dict[str, Any]
) -> dict[str, Any]:
    first = first_name(diner.full_name)
    titles = {
        "pause": f"Pause {first}'s meals for a while",
        "change-cook": f"Ask for a different cook for {first}",
        "leave": f"Stop {first}'s meals for good",
    }
    return {
        "title": titles[kind],
        "kind": kind,
        "diner_id": diner.id,
        "first": first,
        "cook": cook or "their cook",
        "values": values,
    }


def _cook_name(session: Session, diner: Diner) -> str | None:
    out = diner_out(session, diner)
    return out.pairing.cook.display_name if out.pairing and out.pairing.cook else None


@router.get("/carer/relatives/{diner_id}/{kind}", response_class=HTMLResponse)
def action_form(
    diner_id: PathId, kind: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diner = relative_of(session, auth, diner_id)
    if kind not in ACTIONS or diner.status == "left":
        return redirect(f"/carer/relatives/{diner_id}")
    values: dict[str, Any] = {}
    if kept := kept_answers(request, session, auth, action=request.url.path):
        values = {"reason": typed_text(kept.get("reason", ""))}
        values.update({part: date_fields(kept, part) for part in ("from", "to")})
    context = _action_context(kind, diner, _cook_name(session, diner), values)
    return _page(request, session, settings, auth, f"carer/{kind}.html", context)


@router.post("/carer/relatives/{diner_id}/{kind}", response_class=HTMLResponse)
def action(
    diner_id: PathId,
    kind: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    keep_if_sign_in_ended(request, session, settings, form, fields=ACTION_FIELDS)
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    diner = relative_of(session, auth, diner_id)
    if kind not in ACTIONS or diner.status == "left":
        return redirect(f"/carer/relatives/{diner_id}")
    reason = typed_text(form.get("reason", ""))
    values: dict[str, Any] = {"reason": reason}
    errors: dict[str, str] = {}
    dates: dict[str, DateProblem] = {}
    if problem := reason_problem(reason, what="The reason"):
        errors["reason"] = problem
    if kind == "pause":
        done = _pause(session, auth, diner, form, values, dates, blocked=bool(errors))
        # The summary in the page's order, the reason last (it came first: an outside check).
        errors = {**date_errors(dates), **errors}
    elif not reason and "reason" not in errors:
        errors["reason"] = (
            "Tell us why you would like a different cook"
            if kind == "change-cook"
            else "Tell us why the meals should stop"
        )
        done = None
    else:
        done = None
    if not errors and kind == "change-cook":
        try:
            request_change(session, diner=diner)
        except Conflict:
            errors["reason"] = "There is no cook to change: we are still looking for one"
        else:
            diner.status_reason = reason
            session.add(diner)
            done = "change-cook"
    if not errors and kind == "leave":
        leave_diner(session, actor=auth.user, diner=diner, reason=reason)
        done = "left"
    if done and not errors:
        return redirect(f"/carer/relatives/{diner_id}?done={done}")
    context = {
        **_action_context(kind, diner, _cook_name(session, diner), values),
        "errors": errors,
        "dates": dates,
    }
    return _page(request, session, settings, auth, f"carer/{kind}.html", context, status_code=422)


def _pause(
    session: Session,
    auth: Auth,
    diner: Diner,
    form: FormData,
    values: dict[str, Any],
    dates: dict[str, DateProblem],
    *,
    blocked: bool,
) -> str | None:
    """Check the two dates (three fields each) into `dates` and pause, unless they or another
    answer (`blocked`) have a problem: the service of POST .../pause."""
    council = session.get(Council, diner.council_id)
    assert council is not None
    today = council_today(council)
    values["from"], values["to"] = date_fields(form, "from"), date_fields(form, "to")
    start, problem = parse_date(values["from"], what="the first day without meals")
    if problem:
        dates["from"] = problem
    elif start is not None and start < today:
        dates["from"] = DateProblem("The first day without meals must be today or in the future")
    end, problem = parse_date(values["to"], what="the last day without meals")
    if problem:
        dates["to"] = problem
    elif start is not None and end is not None and end < start:
        dates["to"] = DateProblem(
            "The last day without meals must be the same as or after the first day"
        )
    elif start is not None and end is not None and (end - start).days > 366:
        dates["to"] = DateProblem("A pause can last at most a year")
    if blocked or dates or start is None or end is None:
        return None
    body = PauseIn.model_validate({"from": start, "to": end, "reason": values["reason"] or None})
    try:
        pause_diner(session, actor=auth.user, diner=diner, body=body)
    except Conflict as exc:  # a pause already held, apart from these dates
        dates["from"] = DateProblem(exc.message)
        return None
    return "paused-dates"


# --- the carer's own details ----------------------------------------------------------------------


@router.get("/carer/account/contact", response_class=HTMLResponse)
def contact_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    user = auth.user
    values = {
        "phone": national_phone(user.phone) if user.phone else "",
        "contact_preference": user.contact_preference,
    }
    return _page(request, session, settings, auth, "carer/contact.html", _contact_context(values))


def _contact_context(values: dict[str, str]) -> dict[str, Any]:
    return {
        "title": "Your phone number and how we contact you",
        "values": values,
        "contact_items": items(CONTACT_CHOICES, [values.get("contact_preference", "")]),
    }


@router.post("/carer/account/contact", response_class=HTMLResponse)
def contact(
    request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    values = {
        "phone": str(form.get("phone", "")).strip()[:40],
        "contact_preference": str(form.get("contact_preference", ""))[:10],
    }
    errors = contact_problems(values["phone"], values["contact_preference"])
    if not errors:
        set_contact(
            session,
            user=auth.user,
            phone=values["phone"],
            contact_preference=values["contact_preference"],
        )
        return redirect("/carer/?done=contact")
    context = {**_contact_context(values), "errors": errors}
    return _page(request, session, settings, auth, "carer/contact.html", context, status_code=422)


@router.get("/carer/account/erase", response_class=HTMLResponse)
def erase_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    context = {"title": "Ask us to erase your data"}
    return _page(request, session, settings, auth, "carer/erase.html", context)


@router.post("/carer/account/erase", response_class=HTMLResponse)
def erase(request: Request, session: SessionDep, settings: SettingsDep, form: FormDep) -> Response:
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    request_erasure(session, user=auth.user, settings=settings)
    return redirect("/carer/account/erase/sent")


@router.post("/carer/account/erase/withdraw", response_class=HTMLResponse)
def withdraw_erase(
    request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    """The carer takes back their request to be erased, shown while it is still to do; with
    none, nothing changes and the carer is back on their page."""
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    carer_id = auth.user.id or 0
    if erasure_asked_on(session, carer_id=carer_id) is None or erasure_begun(
        session, carer_id=carer_id
    ):
        return redirect("/carer/")
    withdraw_erasure(session, user=auth.user, settings=settings)
    return redirect("/carer/?done=erasure_withdrawn")


@router.get("/carer/account/erase/sent", response_class=HTMLResponse)
def erase_sent(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    context = {"title": "We have your request"}
    return _page(request, session, settings, auth, "carer/erase-sent.html", context)
