"""Staff pages: matching. One diner's suggested cooks (`/staff/diners/{id}/match`), each a card
with the cook's full name, one distance, the score in words, the reasons, and a form that
chooses the day, time and frequency offered before inviting the cook; and batch matching
(`/staff/matching`): a preview of every pairing the batch would propose (nothing sent), the
pairs kept by their ticks, then the result.

Reads and writes through the API's services: app.matching.service.suggest_cooks and
propose_pairing (GET .../suggestions, POST /api/staff/pairings), app.matching.preview
(POST /api/staff/matching/preview and .../confirm) and app.matching.outcome. Post / redirect /
get throughout, so that Back and Reload never offer to send a form again: the preview is a GET
page (made afresh), its signed id travels in a hidden field, and a confirmation redirects to
its result (`/staff/matching/results/{id}`), read back from the audit entry that records it."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.config import Settings
from app.councils.rules import council_today
from app.councils.service import staff_council
from app.deps import SessionDep, SettingsDep
from app.diners.erasure_hold import erasure_hold
from app.diners.rules import public_status
from app.diners.service import get_councils_diner
from app.errors import Conflict, NotFound, RuleBroken
from app.geo.distance import staff_distance_text
from app.matching import outcome, preview, service
from app.matching.engine.reasons import label, labels
from app.matching.inputs import first_meal_day, history
from app.matching.schemas import MAX_PAIRS, ConfirmIn, PairIn, SuggestionOut
from app.models import Cook, Diner, Pairing
from app.names import first_name
from app.notifications.messages import how_often
from app.pages.cook_forms import long_date, redirect
from app.pages.forms import check_csrf, whole_number
from app.pages.staff_common import StaffAuth, render_staff, staff_auth
from app.pairings.people import cook_full_names, diner_full_names, open_pairing
from app.pairings.schemas import PairingCreate
from app.routing import DeferredRoute
from app.schemas import minutes
from app.vocab import (
    ALLERGEN_LABELS,
    DIET_LABELS,
    FREQUENCY_LABELS,
    TEXTURE_LABELS,
    UNMATCHED_REASON_LABELS,
    WEEKDAYS,
    DinerStatus,
    Frequency,
    PairingStatus,
    other_foods,
)

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
Text = Annotated[str, Form()]
SUGGESTIONS = 10  # cards on the page, best first (the API's default limit)
SLOT = re.compile(r"^([0-6])-([0-2][0-9]:[0-5][0-9])$")
PAIR = re.compile(r"^([1-9][0-9]{0,8})-([1-9][0-9]{0,8})$")

# Score bands (app.matching.engine: score = 1 if met before + 1000 / (1000 + the pair's other
# costs: metres of walking, 2 a minute the shared time falls short of two hours, 300 a diner
# the cook already has)). 0.6 is a cost of about 670: a short walk, a long shared window and
# no other diner; under 0.35 (a cost over about 1,860) something weighs: a long walk, a short
# window or several diners already.
STRONG, GOOD = 0.6, 0.35
NEW_COOK_REASON = "not cooking for anyone yet"  # app.matching.engine.reasons' words
CLOSE_M, SHORT_WALK_M = 400, 1000
SHORT_WINDOW_MIN = 60  # a shared time shorter than this is said: the meal has little room
NOT_SENT = "/staff/matching/not-sent"  # why a confirmation sent nothing
SENT_LISTED = 100  # pairs sent before that NOT_SENT's address names (about 1.5 kB of it)
NONE_TICKED = "none-ticked"  # the preview's error: sent with nothing ticked


# --- words ----------------------------------------------------------------------------------


def when_words(weekday: int, start: str, frequency: str) -> str:
    """ "Tuesdays at 17:30, every week"."""
    often = how_often(frequency)
    return f"{WEEKDAYS[weekday]}s at {start}, {often}"


def diner_days(diner: Diner) -> list[int]:
    return sorted({int(str(w["weekday"])) for w in diner.availability})


def needs_words(diner: Diner) -> str | None:
    """What the diner's food needs ask of a cook, in the engine's words, or None."""
    food = [labels(diner.diets)] if diner.diets else []
    if diner.texture != "regular":
        food.append(label(diner.texture))
    text = f"cooks {', '.join(food)} food" if food else ""
    if diner.allergies:
        free = f"free from {labels(diner.allergies)}"
        text = f"{text} {free}" if text else f"cooks {free}"
    return text or None


def days_words(cook_days: set[int], wanted: list[int], name: str) -> str:
    """How many of the diner's days the cook is free on too."""
    shared, n = len(cook_days & set(wanted)), len(wanted)
    if shared == n:
        whole = {1: f"free on {name}’s day", 2: f"free on both of {name}’s days"}
        return whole.get(n, f"free on all {n} of {name}’s days")
    return f"free on {shared} of {name}’s {n} days"


def band(score: float) -> str:
    """The score's band: met before first, then by the other costs."""
    if score >= 1:
        return "Best match"
    if score >= STRONG:
        return "Strong match"
    if score >= GOOD:
        return "Good match"
    return "Possible match"


def score_words(s: SuggestionOut, diner: Diner) -> str:
    """The score explained: "Strong match: lives close by, free on both of Edna’s days, ..."."""
    name = first_name(diner.full_name)
    points = []
    if s.score >= 1:
        points.append(f"has met {name} before")
    if s.distance_m <= CLOSE_M:
        points.append("lives close by")
    elif s.distance_m <= SHORT_WALK_M:
        points.append("a short walk away")
    else:
        points.append("a longer walk away")
    days = days_words({w.weekday for w in s.slots}, diner_days(diner), name)
    longest = max((minutes(w.end) - minutes(w.start) for w in s.slots), default=0)
    if longest < SHORT_WINDOW_MIN:
        days += f" (only {longest} minutes together)"
    points.append(days)
    if needs := needs_words(diner):
        points.append(needs)
    points.append(NEW_COOK_REASON if NEW_COOK_REASON in s.reasons else "already cooks for others")
    return f"{band(s.score)}: {', '.join(points)}."


def listed_reasons(reasons: list[str]) -> list[str]:
    """The engine's reasons but its distance ("460 m away"): a card shows one distance."""
    return [r for r in reasons if not r.endswith(" m away")]


def rule_words(rule: str, message: str, *, cook: str, diner: str) -> str:
    """A refused proposal's rule in words, naming the people (API.md's rule names)."""
    words = {
        "cook_away": f"{cook} is away on the day of the first meal",
        "location_review": f"{cook} has moved: confirm their new place on their record first",
        "cook_not_matchable": f"{cook} is not approved with checks in date",
        "out_of_reach": f"{cook} lives too far from {diner} to walk",
        "no_shared_time": f"{cook} and {diner} are not both free then",
        "diet_unmet": f"{cook} does not cook for {diner}’s diet",
        "texture_unmet": f"{cook} cannot make the food texture {diner} needs",
        "allergen_unsafe": f"{cook} cannot cook free from {diner}’s allergens",
        "excluded_pair": f"{cook} must not be matched with {diner} again",
        "erasure_requested": f"{diner}’s carer asked for their data to be erased: no cook "
        "can be invited",
        "not_found": f"{diner} or {cook} is no longer on the council’s lists",
        # The batch's own refusals, as its result page words them (their messages, which
        # name people, are not kept: app.matching.outcome).
        "cook_busy": f"{cook} already cooks for someone else, or covers a meal, near that time",
        "conflict": f"{cook} has no place left, or {diner} is no longer waiting for a cook",
    }
    return words.get(rule, message)


# --- one diner's suggestions ------------------------------------------------------------------


def _id(raw: str) -> int:
    if (number := whole_number(raw)) is None:
        raise NotFound("Diner not found")
    return number


@dataclass(frozen=True)
class Choice:
    """What was posted for one card: the cook, the slot ("1-17:30") and the frequency."""

    cook_id: int
    slot: str
    frequency: str


def _cards(
    session: Session, sa: StaffAuth, diner: Diner, choice: Choice | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The suggestion cards, best first, and the unmatched reason in words when there are none."""
    found = service.suggest_cooks(session, staff=sa.user, diner_id=diner.id or 0, limit=SUGGESTIONS)
    ids = [s.cook_id for s in found.items]
    names = cook_full_names(session, council_id=sa.council_id, cook_ids=ids)
    offered = (
        dict(session.exec(select(Cook.id, Cook.frequencies).where(col(Cook.id).in_(ids))).all())
        if ids
        else {}
    )
    cards = []
    for s in found.items:
        full = names.get(s.cook_id, s.display_name)
        mine = choice if choice and choice.cook_id == s.cook_id else None
        cards.append(
            {
                "cook_id": s.cook_id,
                "name": full,
                "first": first_name(full),
                "distance": staff_distance_text(s.distance_m),
                "words": score_words(s, diner),
                "reasons": listed_reasons(s.reasons),
                "slots": [
                    {
                        "value": f"{w.weekday}-{w.start}",
                        "text": f"{WEEKDAYS[w.weekday]} at {w.start}",
                        "hint": {"text": f"Both free {w.start} to {w.end}"},
                        # The only one ticked already (a first "Invite" asked to choose it).
                        "checked": (mine.slot == f"{w.weekday}-{w.start}")
                        if mine is not None
                        else len(s.slots) == 1,
                    }
                    for w in s.slots
                ],
                "often": _often_items(
                    diner, mine.frequency if mine else diner.frequency, offered.get(s.cook_id)
                ),
            }
        )
    reason = found.unmatched_reason
    return cards, UNMATCHED_REASON_LABELS[reason] if reason and not cards else None


def _listed(words: Mapping[Any, str], codes: list[str]) -> str:
    """The codes' labels as the forms show them, in the forms' order."""
    return ", ".join(words[c] for c in words if c in codes)


def _often_items(
    diner: Diner, chosen: str, cook_offers: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """The frequency radios, of those the cook offers (a choice they do not was offered, and
    refused on sending), the diner's own choice said and (unless posted otherwise) ticked."""
    name = first_name(diner.full_name)
    return [
        {
            "value": f.value,
            "text": FREQUENCY_LABELS[f]
            + (f" ({name} asked for this)" if f == diner.frequency else ""),
            "checked": f.value == chosen,
        }
        for f in Frequency
        if cook_offers is None or f.value in cook_offers
    ]


def _match_context(
    session: Session, sa: StaffAuth, diner: Diner, choice: Choice | None = None
) -> dict[str, Any]:
    council = staff_council(session, sa.user)
    status = public_status(diner, council_today(council))
    current = open_pairing(session, diner_id=diner.id or 0)
    # Their carer asked for erasure: no cook is suggested or invited, and the page says why
    # (it offered cooks while only the record said so, a newcomer's walk found).
    held = erasure_hold(session, diner=diner, council=council)
    context: dict[str, Any] = {
        "title": f"Suggested cooks for {diner.full_name}",
        "diner": diner,
        "first": first_name(diner.full_name),
        "status": status,
        "needs": needs_words(diner),
        "diets": _listed(DIET_LABELS, diner.diets) or "No special diet",
        "allergies": _listed(ALLERGEN_LABELS, diner.allergies) or "None",
        # Free text: no suggestion below was checked against it (the engine cannot read it).
        "other_foods": (
            f"{', '.join(other_foods(diner.other_allergies))}. Not checked in these "
            "suggestions: the cook reads it in the invitation before accepting."
            if diner.other_allergies
            else "None"
        ),
        "texture": TEXTURE_LABELS.get(diner.texture, diner.texture),
        "times": [
            f"{WEEKDAYS[int(str(w['weekday']))]} {w['start']} to {w['end']}"
            for w in sorted(diner.availability, key=lambda w: (str(w["weekday"]), str(w["start"])))
        ],
        "how_often": FREQUENCY_LABELS.get(diner.frequency, diner.frequency),
        "current": None,
        "cards": [],
        "unmatched": None,
        # Cooks who declined the diner or are ruled out for them are never suggested: said, so
        # that "no room" or "none in reach" is not read as the whole story (an outside check).
        "set_aside": len(history(session, [diner.id or 0])[0][diner.id or 0]),
        "held": held,
        "long_date": long_date,
    }
    if current is not None:
        p = current.pairing
        context["current"] = {
            "cook_id": p.cook_id,
            "cook_name": current.cook_name,
            "status": p.status,
            "when": when_words(p.weekday, p.start, p.frequency),
            "words": {
                PairingStatus.proposed: "is invited to cook for",
                PairingStatus.active: "cooks for",
                PairingStatus.paused: "cooks (paused just now) for",
            }.get(p.status, "is paired with"),
        }
    elif status in (DinerStatus.waiting, DinerStatus.matched) and held is None:
        context["cards"], context["unmatched"] = _cards(session, sa, diner, choice)
    return context


def _diner(session: Session, sa: StaffAuth, diner_id: str) -> Diner:
    return get_councils_diner(session, staff=sa.user, diner_id=_id(diner_id))


@router.get("/staff/diners/{diner_id}/match", response_class=HTMLResponse)
def match_page(
    diner_id: str, request: Request, session: SessionDep, settings: SettingsDep, done: str = ""
) -> Response:
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    diner = _diner(session, sa, diner_id)
    context = _match_context(session, sa, diner)
    current = context["current"]
    if done == "invited" and current and current["status"] == PairingStatus.proposed:
        context["banner"] = f"Invitation sent to {current['cook_name']}."
    return render_staff(request, session, settings, "staff/match.html", context, staff=sa)


def _proposal_errors(
    session: Session, sa: StaffAuth, diner: Diner, choice: Choice
) -> dict[str, str]:
    """Propose the chosen slot (POST /api/staff/pairings' service); the problems by field id."""
    slot_id, often_id = f"slot-{choice.cook_id}", f"frequency-{choice.cook_id}"
    names = cook_full_names(session, council_id=sa.council_id, cook_ids=[choice.cook_id])
    cook = first_name(names.get(choice.cook_id, "The cook"))
    diner_first = first_name(diner.full_name)
    errors: dict[str, str] = {}
    chosen = SLOT.match(choice.slot)
    if chosen is None:
        errors[slot_id] = f"Choose the day and time to offer {cook}"
    if choice.frequency not in set(Frequency):
        errors[often_id] = f"Choose how often {cook} would cook for {diner_first}"
    if errors or chosen is None:
        return errors
    weekday, start = int(chosen.group(1)), chosen.group(2)
    try:
        body = PairingCreate(
            diner_id=diner.id or 0,
            cook_id=choice.cook_id,
            weekday=weekday,
            start=start,
            frequency=Frequency(choice.frequency),
        )
    except ValidationError:
        return {slot_id: f"Choose the day and time to offer {cook}"}
    try:
        service.propose_pairing(session, staff=sa.user, body=body)
    except RuleBroken as broken:
        if broken.rule == "cook_away":
            council = staff_council(session, sa.user)
            day = long_date(first_meal_day(weekday, council_today(council)))
            return {
                slot_id: f"{cook} is away on {day}, the day of the first meal: choose another "
                "day, or invite another cook"
            }
        if broken.rule == "no_shared_time" and "does not offer" in broken.message:
            # The engine's words when the cook does not cook at the chosen frequency.
            often = FREQUENCY_LABELS[Frequency(choice.frequency)].lower()
            return {often_id: f"{cook} does not cook {often}: choose how often {cook} offers"}
        return {slot_id: rule_words(broken.rule, broken.message, cook=cook, diner=diner_first)}
    except Conflict as conflict:
        return {slot_id: conflict.message}
    return {}


@router.post("/staff/diners/{diner_id}/match", response_class=HTMLResponse)
def propose(
    diner_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    cook_id: Text = "",
    slot: Text = "",
    frequency: Text = "",
    csrf_token: Text = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    diner = _diner(session, sa, diner_id)
    if (cook := whole_number(cook_id)) is None:
        raise NotFound("Cook not found")
    choice = Choice(cook, slot, frequency)
    errors = _proposal_errors(session, sa, diner, choice)
    if not errors:
        return redirect(f"/staff/diners/{diner.id}/match?done=invited")
    context = {**_match_context(session, sa, diner, choice), "errors": errors}
    if not any(c["cook_id"] == choice.cook_id for c in context["cards"]):
        # The cook is no longer suggested (a place taken, an absence): the message stays, by
        # the list's heading.
        context["errors"] = {"suggestions-title": next(iter(errors.values()))}
    return render_staff(
        request, session, settings, "staff/match.html", context, staff=sa, status_code=422
    )


# --- batch matching ---------------------------------------------------------------------------


@router.get("/staff/matching.html")
def old_matching() -> RedirectResponse:
    return RedirectResponse("/staff/matching", status_code=301)


@router.get("/staff/matching/confirm")
def matching_step_again() -> RedirectResponse:
    """The address a confirmation posts to, asked for by GET (a bookmark): back to the start."""
    return redirect("/staff/matching")


@router.get("/staff/matching", response_class=HTMLResponse)
def matching_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    context = {"title": "Match all waiting diners"}
    return render_staff(request, session, settings, "staff/matching.html", context, staff=sa)


def _preview_context(
    session: Session,
    sa: StaffAuth,
    settings: Settings,
    kept: set[str] | None,
    left_out: outcome.LeftOut | None = None,
) -> dict[str, Any]:
    """A new preview (nothing written): every pair, ticked unless `kept` leaves it out or
    the staff member left it out of their last confirmation (`left_out`)."""
    made = preview.preview_matching(session, staff=sa.user, secret=settings.secret_key)
    dropped = left_out.pairs if left_out is not None else frozenset()
    diners = diner_full_names(
        session,
        council_id=sa.council_id,
        diner_ids=[p.diner_id for p in made.proposed] + [u.diner_id for u in made.unmatched],
    )
    cooks = cook_full_names(
        session, council_id=sa.council_id, cook_ids=[p.cook_id for p in made.proposed]
    )
    pairs = [
        {
            "key": f"{p.diner_id}-{p.cook_id}",
            "diner_id": p.diner_id,
            "diner": diners.get(p.diner_id, p.diner_first_name),
            "cook_id": p.cook_id,
            "cook": cooks.get(p.cook_id, p.cook_display_name),
            "when": when_words(p.weekday, p.start, p.frequency),
            "distance": staff_distance_text(p.distance_m),
            "reasons": listed_reasons(p.reasons),
            "ticked": (kept is None or f"{p.diner_id}-{p.cook_id}" in kept)
            and (p.diner_id, p.cook_id) not in dropped,
        }
        for p in made.proposed
    ]
    untouched = sum((p.diner_id, p.cook_id) in dropped for p in made.proposed)
    unmatched = [
        {
            "diner_id": u.diner_id,
            "diner": diners.get(u.diner_id, u.first_name),
            "why": UNMATCHED_REASON_LABELS[u.reason],
        }
        for u in made.unmatched
    ]
    when = _when_sent(session, sa, left_out.at) if untouched and left_out is not None else ""
    return {
        "title": "Check the invitations before sending",
        "preview_id": made.preview_id,
        "pairs": pairs,
        "unmatched": unmatched,
        "left_out": {"count": untouched, "when": when} if untouched else None,
    }


@router.get("/staff/matching/preview", response_class=HTMLResponse)
def preview_page(
    request: Request, session: SessionDep, settings: SettingsDep, error: str = ""
) -> Response:
    """A new preview, by GET: Back from the result, or a reload, comes here without offering to
    send a form again. Made afresh on each load (it writes nothing, so a GET may), not kept and
    shown by id: a preview id signs every pair and grows with the batch (megabytes for a big
    council's), too long for an address, and a kept preview would show pairs already sent or
    out of date after Back; the confirmation refuses those anyway (409). `error`: it was sent
    with nothing ticked (said beside the pairs, none ticked, as they were sent)."""
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    if error == NONE_TICKED:
        context = {
            **_preview_context(session, sa, settings, set()),
            "errors": {"pairs": "Tick at least one pairing to send its invitation"},
        }
    else:
        left_out = outcome.left_out_lately(session, staff=sa.user)
        context = _preview_context(session, sa, settings, None, left_out)
    return render_staff(
        request, session, settings, "staff/matching-preview.html", context, staff=sa
    )


@router.post("/staff/matching/preview")
def preview_posted() -> RedirectResponse:
    """The button of a page from before the preview was a GET (a tab left open): to it. It
    changes nothing, so it needs no CSRF token."""
    return redirect("/staff/matching/preview")


@router.post("/staff/matching/confirm", response_class=HTMLResponse)
async def confirm_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    # Every ticked pair is a field: a big council's batch has more than Starlette's 1,000.
    form = await request.form(max_fields=MAX_PAIRS + 10)
    token = str(form.get("csrf_token") or "")
    preview_id = str(form.get("preview_id") or "")
    kept = [str(v) for v in form.getlist("pair")]
    # The confirmation writes: off the event loop, or a write waiting for SQLite's lock (or its
    # turn in db.WriteQueue) would stop every other request, the holder's commit among them.
    return await run_in_threadpool(_confirm, request, session, settings, token, preview_id, kept)


def _confirm(
    request: Request,
    session: Session,
    settings: Settings,
    token: str,
    preview_id: str,
    kept: list[str],
) -> Response:
    check_csrf(request, settings, token)
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    pairs = [(int(m.group(1)), int(m.group(2))) for k in kept if (m := PAIR.match(k))]
    if not pairs:
        # Said on the preview's GET page (a new preview, as the error page always made), so
        # that Back to it from the result, once sent, offers no form to send again.
        return redirect(f"/staff/matching/preview?error={NONE_TICKED}")
    try:
        body = ConfirmIn(
            preview_id=preview_id, pairs=[PairIn(diner_id=d, cook_id=c) for d, c in pairs]
        )
        done = preview.confirm_preview(
            session, staff=sa.user, secret=settings.secret_key, body=body
        )
    except (ValidationError, NotFound, RuleBroken):
        return redirect(f"{NOT_SENT}?why=gone")
    except Conflict:
        # Nothing was sent: why, on a GET page (the same words as ever), with the ticked pairs
        # invited before now (by a colleague, or this form sent twice), as many as an address
        # holds; that page checks them again, so a made-up address shows nothing untrue.
        sent = _invited_already(session, sa, pairs)
        query = {
            "why": "stale",
            "sent": ",".join(f"{d}-{c}" for d, c in sent[:SENT_LISTED]),
            "more": str(max(0, len(sent) - SENT_LISTED)),
            "every": "1" if len(sent) == len(pairs) else "",
        }
        return redirect(f"{NOT_SENT}?{urlencode({k: v for k, v in query.items() if v})}")
    return redirect(f"/staff/matching/results/{done.outcome_id}")


@router.get("/staff/matching/results/{outcome_id}", response_class=HTMLResponse)
def result_page(
    outcome_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """What a confirmation sent and refused, for the staff member who sent it (else 404)."""
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    if (number := whole_number(outcome_id)) is None:
        raise NotFound("Matching result not found")
    done = outcome.read_outcome(session, staff=sa.user, outcome_id=number)
    context = _result_context(session, sa, done)
    return render_staff(request, session, settings, "staff/matching-result.html", context, staff=sa)


def _when_sent(session: Session, sa: StaffAuth, at: datetime) -> str:
    """A confirmation's time in the council's words: "13:05 on Friday 4 December 2026"."""
    local = at.astimezone(ZoneInfo(staff_council(session, sa.user).timezone))
    return f"{local:%H:%M} on {long_date(local.date())}"


def _result_context(session: Session, sa: StaffAuth, done: outcome.Outcome) -> dict[str, Any]:
    """The result in words: each pair's full names (linked), when, and why one was refused."""
    invited_ids = [(p.diner_id, p.cook_id) for p in done.invited]
    refused_ids = [(d, c) for d, c, _ in done.refused]
    everyone = invited_ids + refused_ids + done.unticked
    diners = diner_full_names(session, council_id=sa.council_id, diner_ids=[d for d, _ in everyone])
    cooks = cook_full_names(session, council_id=sa.council_id, cook_ids=[c for _, c in everyone])

    def person(diner_id: int, cook_id: int) -> dict[str, Any]:
        return {
            "diner_id": diner_id,
            "diner": diners.get(diner_id, "A diner who has left"),
            "cook_id": cook_id,
            "cook": cooks.get(cook_id, "A cook who has left"),
        }

    invited = [
        {**person(p.diner_id, p.cook_id), "when": when_words(p.weekday, p.start, p.frequency)}
        for p in done.invited
    ]
    refused = []
    for diner_id, cook_id, reason in done.refused:
        row = person(diner_id, cook_id)
        cook, diner = first_name(row["cook"]), first_name(row["diner"])
        why = rule_words(reason, f"{cook} could not be invited for {diner}", cook=cook, diner=diner)
        refused.append({**row, "why": why})
    return {
        "title": f"{len(invited)} invitation{'' if len(invited) == 1 else 's'} sent",
        "sent_at": f"Sent at {_when_sent(session, sa, done.at)}",
        "invited": invited,
        "refused": refused,
        "unticked": [person(d, c) for d, c in done.unticked],
    }


@router.get(NOT_SENT, response_class=HTMLResponse)
def not_sent_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    why: str = "",
    sent: str = "",
    more: str = "",
    every: str = "",
) -> Response:
    """Why a confirmation sent nothing: its preview was out of date (with the ticked pairs
    invited before now), or not one this staff member can confirm."""
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    asked = [m for k in sent.split(",")[:SENT_LISTED] if (m := PAIR.match(k))]
    found = _invited_already(session, sa, [(int(m.group(1)), int(m.group(2))) for m in asked])
    diners = diner_full_names(session, council_id=sa.council_id, diner_ids=[d for d, _ in found])
    cooks = cook_full_names(session, council_id=sa.council_id, cook_ids=[c for _, c in found])
    listed = [{"diner": diners.get(d, "A diner"), "cook": cooks.get(c, "A cook")} for d, c in found]
    stale = why == "stale"
    all_sent = stale and every == "1" and bool(listed)
    title = "This preview is out of date" if stale else "This preview cannot be used"
    context = {
        "title": "These invitations were already sent" if all_sent else title,
        "stale": stale,
        "sent": listed,
        # Whether more were sent than the address lists: not how many, which the address
        # alone would vouch for (a review made one read "and 999999999 more").
        "more": bool(whole_number(more)) and bool(listed),
        "all_sent": all_sent,
    }
    return render_staff(request, session, settings, "staff/matching-stale.html", context, staff=sa)


def _invited_already(
    session: Session, sa: StaffAuth, pairs: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The pairs, of this council, already invited (or accepted): the same form sent twice (a
    second click without JavaScript) read "No invitation was sent" (an outside check)."""
    if not pairs:
        return []
    rows = session.exec(
        select(Pairing.diner_id, Pairing.cook_id).where(
            Pairing.council_id == sa.council_id,
            col(Pairing.status).in_((PairingStatus.proposed, PairingStatus.active)),
            col(Pairing.diner_id).in_([d for d, _ in pairs]),
        )
    ).all()
    return sorted(set(rows) & set(pairs))
