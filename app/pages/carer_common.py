"""What the carer's pages share: who the signed-in carer is, their relative, the labels and
the checks of a relative's answers (one place for registering and for changing them)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlmodel import Session

from app.config import Settings
from app.deps import Auth
from app.diners.schemas import OTHER_ALLERGIES_MAX, DinerIn
from app.diners.service import get_carers_diner
from app.errors import Forbidden, NotFound, RuleBroken
from app.models import Diner
from app.pages.cook_forms import (
    ALLERGENS,
    DIETS,
    FREQUENCIES,
    TEXTURES,
    WEEKDAYS,
    clock_time,
    label_of,
    labels_of,
    phone_problem,
    text_problem,
    ticked_days,
)
from app.pages.forms import signed_in, text_rule_problem, typed_text
from app.places import locate_place
from app.schemas import minutes
from app.vocab import OTHER_ALLERGIES_LABEL

POSTCODE_MESSAGES = {
    "invalid_postcode": "Enter a real postcode, like N3 1HT",
    "unknown_postcode": "We cannot find this postcode: check it and enter it again",
    "outside_service_area": "We do not run in this area yet: check the postcode, or contact "
    "your council about other meal services",
    "outside_council_area": "This postcode is in another council's area: contact your "
    "coordinator to move your relative to that council",
}
CONTACT_CHOICES = [("email", "Email"), ("sms", "Text message")]
DAY_TIME_FIELDS = tuple(f"{e}-{d}" for d in range(7) for e in ("start", "end"))
DRAFT_TEXT = 2000  # characters of a text answer a draft keeps (app/pages/drafts.py)


def carer_auth(request: Request, session: Session, settings: Settings) -> Auth | None:
    """The signed-in carer (None if nobody is signed in; 403 for another role)."""
    auth = signed_in(request, session, settings)
    if auth is None:
        return None
    if auth.user.role != "carer":
        raise Forbidden(
            "These pages are for carers: you are signed in with another kind of account"
        )
    return auth


def relative_of(session: Session, auth: Auth, diner_id: int) -> Diner:
    """The carer's own relative; anyone else's (or a left one's) page is not found."""
    diner = get_carers_diner(session, carer=auth.user, diner_id=diner_id)
    if diner.anonymised_at is not None:
        raise NotFound("Diner not found")
    return diner


def read_form(form: Any, fields: tuple[str, ...], lists: tuple[str, ...]) -> dict[str, Any]:
    """The posted answers to `fields` (a list for those in `lists`, bounded), trimmed. Text is
    kept as typed, so that a field's "must be 500 characters or fewer" comes back beside all of
    it: it was cut at 2,000 characters, without a word, and the character count was wrong. A
    line break counts one, as the character count and the API count it (a browser sends two)."""
    answers: dict[str, Any] = {}
    for field in fields:
        if field in lists:
            answers[field] = [str(v)[:40] for v in form.getlist(field)][:20]
        else:
            answers[field] = typed_text(form.get(field, ""))
    return answers


def for_draft(a: dict[str, Any]) -> dict[str, Any]:
    """The answers as a draft keeps them: each text to DRAFT_TEXT characters, longer than any
    field takes (the page has said so beside it), so that a draft stays within its size."""
    return {k: v[:DRAFT_TEXT] if isinstance(v, str) else v for k, v in a.items()}


# --- the checks (field → GOV.UK message, in the page's order) ---------------------------------


def check_about(a: dict[str, Any], session: Session, settings: Settings) -> dict[str, str]:
    # In the page's order: the name, the address, the phone number.
    return {
        **_name_problem(a),
        **check_address(a, session=session, settings=settings),
        **_phone_problem(a),
    }


def check_details(a: dict[str, Any]) -> dict[str, str]:
    """The relative's name, and their phone number if one is given (a change of them)."""
    return {**_name_problem(a), **_phone_problem(a)}


def _name_problem(a: dict[str, Any]) -> dict[str, str]:
    empty = "Enter your relative's full name"
    problem = text_problem(a.get("full_name", ""), empty=empty, what="Full name", limit=200)
    return {"full_name": problem} if problem else {}


def _phone_problem(a: dict[str, Any]) -> dict[str, str]:
    phone = a.get("phone", "")
    example = "Enter a UK phone number, like 020 7946 0018 or 07700 900 982"
    # The relative's number, not the carer's: "enter your own phone number" was wrong here.
    not_in_use = (
        "That is an example number, not one in use: enter your relative's phone number, "
        "or leave it empty"
    )
    problem = phone_problem(phone, example, not_in_use=not_in_use) if phone else None
    return {"phone": problem} if problem else {}


def check_address(
    a: dict[str, Any], *, session: Session | None, settings: Settings | None
) -> dict[str, str]:
    """The address line and postcode; with a session, the postcode must be one we run in."""
    errors: dict[str, str] = {}
    if problem := text_problem(
        a.get("address_line", ""),
        empty="Enter the first line of your relative's address, like 14 Gravel Hill",
        what="Address",
        limit=200,
    ):
        errors["address_line"] = problem
    postcode = a.get("postcode", "")
    if not postcode:
        errors["postcode"] = "Enter your relative's postcode"
    elif len(postcode) > 16:
        errors["postcode"] = POSTCODE_MESSAGES["invalid_postcode"]
    elif session is not None and settings is not None:
        try:
            place = locate_place(session, raw_postcode=postcode, role="diner", settings=settings)
        except RuleBroken as exc:
            errors["postcode"] = POSTCODE_MESSAGES.get(exc.rule, exc.message)
        else:
            a["postcode"] = place.postcode.full
    return errors


def check_food(a: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not set(a.get("diets", [])) <= dict(DIETS).keys():
        errors["diets"] = "Select only the diets listed"
    if not set(a.get("allergies", [])) <= dict(ALLERGENS).keys():
        errors["allergies"] = "Select only the allergens listed"
    if not a.get("texture"):
        errors["texture"] = "Select the texture of food your relative needs"
    elif a["texture"] not in dict(TEXTURES):
        errors["texture"] = "Select one of the textures listed"
    errors.update(check_other_allergies(a))
    return errors


OTHER_ALLERGIES_WORDS = OTHER_ALLERGIES_LABEL  # the question, as its messages name it


def check_other_allergies(a: dict[str, Any]) -> dict[str, str]:
    """The free text beside the 14 allergens, by the API's rules (OtherAllergies)."""
    text = a.get("other_allergies", "")
    if len(text.strip()) > OTHER_ALLERGIES_MAX:
        return {
            "other_allergies": (
                f"{OTHER_ALLERGIES_WORDS} must be {OTHER_ALLERGIES_MAX} characters or fewer"
            )
        }
    if problem := text_rule_problem(text, what=OTHER_ALLERGIES_WORDS, lines=True):
        return {"other_allergies": problem}
    return {}


def check_times(a: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    days = ticked_days(a)
    if not days:
        errors["days"] = "Select at least one day your relative could have a meal"
    for day in days:
        name = WEEKDAYS[day]
        start_raw, end_raw = a.get(f"start-{day}", ""), a.get(f"end-{day}", "")
        start, end = clock_time(start_raw), clock_time(end_raw)
        if start is None:
            errors[f"start-{day}"] = (
                f"Enter {name}'s earliest time as hours and minutes, like 17:30"
            )
        if end is None:
            errors[f"end-{day}"] = f"Enter {name}'s latest time as hours and minutes, like 19:00"
        if start and end:
            if minutes(end) <= minutes(start):
                errors[f"end-{day}"] = f"{name}'s latest time must be after its earliest time"
            elif minutes(end) - minutes(start) < 30:
                errors[f"end-{day}"] = (
                    f"{name}'s latest time must be at least 30 minutes after its earliest time"
                )
    if not a.get("frequency"):
        errors["frequency"] = "Select how often your relative would like a meal"
    elif a["frequency"] not in dict(FREQUENCIES):
        errors["frequency"] = "Select one of the choices listed"
    return errors


ACCESS_WORDS = "How the cook gets in"


def check_access(a: dict[str, Any]) -> dict[str, str]:
    notes = a.get("access_notes", "")
    if len(notes) > 500:
        # Named as the pages ask it ("How the cook gets in"): "Notes" was named nowhere.
        return {"access_notes": f"{ACCESS_WORDS} must be 500 characters or fewer"}
    if problem := text_rule_problem(notes, what=ACCESS_WORDS, lines=True):
        return {"access_notes": problem}
    return {}


def availability(a: dict[str, Any]) -> list[dict[str, Any]]:
    """The ticked days' windows, as the API takes them."""
    return [
        {"weekday": d, "start": clock_time(a[f"start-{d}"]), "end": clock_time(a[f"end-{d}"])}
        for d in ticked_days(a)
    ]


def diner_body(a: dict[str, Any]) -> DinerIn:
    """A relative's or a referred diner's checked answers, as the API's body (consent given);
    a rule the page's checks don't know raises pydantic's ValidationError."""
    return DinerIn(
        full_name=a["full_name"],
        address_line=a["address_line"],
        postcode=a["postcode"],
        phone=a.get("phone") or None,
        diets=a.get("diets", []),
        allergies=a.get("allergies", []),
        other_allergies=a.get("other_allergies") or None,
        texture=a["texture"],
        availability=availability(a),
        frequency=a["frequency"],
        access_notes=a.get("access_notes") or None,
        consent=True,
    )


def times_answers(windows: list[dict[str, Any]]) -> dict[str, Any]:
    """A diner's windows as the grid's answers (the first window of each day)."""
    first: dict[int, dict[str, Any]] = {}
    for window in windows:
        first.setdefault(int(window["weekday"]), window)
    return {
        "days": [str(d) for d in sorted(first)],
        **{f"start-{d}": str(w["start"]) for d, w in first.items()},
        **{f"end-{d}": str(w["end"]) for d, w in first.items()},
    }


def when_words(windows: list[dict[str, Any]]) -> list[str]:
    return [f"{WEEKDAYS[int(w['weekday'])]}, {w['start']} to {w['end']}" for w in windows]


def needs_summary(a: dict[str, Any]) -> dict[str, Any]:
    """The words of a relative's needs, for summary lists."""
    return {
        "diets": labels_of(DIETS, a.get("diets", [])) or ["No special diet"],
        "allergies": labels_of(ALLERGENS, a.get("allergies", [])) or ["None"],
        "texture": label_of(TEXTURES, a.get("texture", "regular")),
        "frequency": label_of(FREQUENCIES, a.get("frequency", "weekly")),
    }
