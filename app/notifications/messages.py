"""Every notification the service sends, in one catalogue: a function per message (pure).

Each function takes the plain facts (first names, dates, times) and returns a ``Message``:
the outbox event, the subject and the body. Callers queue it with
``app.notifications.outbox.enqueue(session, event=m.event, subject=m.subject, body=m.body, ...)``
and choose the recipient and the dedupe key; the words live only here.

Texts: a message that goes by text (the events in ``app.notifications.texts.TEXT_EVENTS``) is
sent as ``Message.text()``: its own ``sms`` when it sets one, else the subject and body joined
and, for a reminder, shortened to one fragment (``texts.sms_text``). A channel that wants a
message's own short text reads ``Message.text()``; set ``sms=`` here to give one.

Names are first names only (``app.names.first_name``), except a cook's display name, which is
the name the cook chose to be known by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.notifications.texts import sms_text
from app.vocab import (
    ALLERGEN_LABELS,
    DIET_LABELS,
    FREQUENCY_LABELS,
    TEXTURE_LABELS,
    WEEKDAYS,
    EndReason,
    Frequency,
    Texture,
    other_foods,
)


@dataclass(frozen=True, slots=True)
class Message:
    event: str
    subject: str
    body: str
    sms: str | None = None  # a short text of its own; None: ``text()`` derives one

    def text(self) -> str:
        """The message as one text message."""
        return self.sms if self.sms is not None else sms_text(self.event, self.subject, self.body)


def how_often(frequency: str) -> str:
    """ "every week", "every other week", "once a month"."""
    return FREQUENCY_LABELS[Frequency(frequency)].lower()


def day_month(day: date) -> str:
    """ "Thursday 03 December": how messages name a meal's day."""
    return f"{day:%A} {day.day} {day:%B}"


# --- cooks: approval, invitations, pairings ---------------------------------------------------


def cook_approved() -> Message:
    return Message(
        "cook_approved",
        "You're approved to cook with Extra Portion",
        "Thank you: your checks are done. We'll let you know when a neighbour is suggested.",
    )


# The council's decisions about a cook. Their reason is on the cook's page (the staff's form
# says so), not in a message that lives on in a mailbox.
def cook_rejected() -> Message:
    return Message(
        "cook_rejected",
        "About your offer to cook with Extra Portion",
        "Thank you for offering to cook. The council cannot approve you to cook for now; your "
        "page on Extra Portion says why. If you have a question, please contact the council.",
    )


def cook_suspended() -> Message:
    """Said at once: a suspended cook must not come to a door, with their own meal or a cover."""
    return Message(
        "cook_suspended",
        "Your cooking with Extra Portion is suspended",
        "The council has suspended your cooking with Extra Portion, starting now. Please do not "
        "bring any meals, including any you took to cover for another cook. Your page on Extra "
        "Portion says why, and the council will be in touch.",
    )


def cook_reinstated(*, status: str) -> Message:
    """The cook's `status` once the decision is lifted: approved (they may cook again at once),
    pending (the council checks them again first) or left (they had asked to stop)."""
    if status == "left":
        return Message(
            "cook_reinstated",
            "The council's decision about your cooking has changed",
            "The council has lifted its decision about your cooking with Extra Portion. "
            "As you asked to stop, you will not be asked to cook. If you would like to cook "
            "again, save your cook's profile and the council will check a few things first.",
        )
    approved = status == "approved"
    then = (
        "You can cook again: we will let you know when a neighbour is suggested."
        if approved
        else "The council will check a few things again before you cook; we will let you know."
    )
    return Message(
        "cook_reinstated",
        "Your suspension from Extra Portion is lifted"
        if approved
        else "The council's decision about your cooking has changed",
        f"The council has lifted its decision about your cooking with Extra Portion. {then}",
    )


def proposal(
    *,
    diner_name: str,
    distance: str,
    weekday: int,
    start: str,
    frequency: str,
    needs: str,
    page: str,
    other_allergies: str | None = None,
) -> Message:
    """To the cook: a neighbour is suggested, with what a volunteer needs to decide (when, how
    often, what the meal must be; an outside check read only the name and the distance), and
    the page to answer on (`page`, from the service's public address). ``distance`` as a cook
    may read it ("about 400 m"): rounded to 100 m, never the staff's figure.

    ``other_allergies``: foods beyond the 14 allergens that the carer named. Matching checked
    the 14 against what the cook said they cook free from, but it cannot read these: they get
    a paragraph of their own, so the cook decides knowing them."""
    often = how_often(frequency)
    others = other_foods(other_allergies)
    warning = (
        f"{diner_name} must also not have: {', '.join(others)}. We have not checked this "
        "against what you cook: please accept only if you can keep these out of their meals."
        "\n\n"
        if others
        else ""
    )
    return Message(
        "proposal",
        f"Would you cook for {diner_name}?",
        f"The council suggests you cook for {diner_name}, {distance} from you, on "
        f"{WEEKDAYS[weekday]}s at {start}, {often}. The meals must be: {needs}\n\n"
        f"{warning}Please accept or decline on your page: {page}",
    )


def pairing_accepted(
    *,
    cook_name: str,
    diner_name: str,
    weekday: int,
    start: str,
    frequency: str,
    first: date | None = None,
) -> Message:
    """To the carer: the cook accepted. `first`: the first meal they bring (an outside check
    read "(monthly)" after the time, and not when the first meal came)."""
    often = how_often(frequency)
    starts = f" The first is on {day_month(first)}." if first else ""
    return Message(
        "pairing_accepted",
        f"{cook_name} will cook for {diner_name}",
        f"Good news: {cook_name} will bring {diner_name} a meal "
        f"on {WEEKDAYS[weekday]}s at {start}, {often}.{starts}",
    )


def referred_diner_matched(*, diner_name: str, cook_name: str, letter: bool) -> Message:
    """To the coordinator: a diner staff referred (no carer to tell) has a cook; `letter`:
    their meal plan was posted to them."""
    posted = "a letter with their meal plan is in the post, but " if letter else ""
    return Message(
        "referred_diner_matched",
        f"{cook_name} will cook for {diner_name}, who has no carer",
        f"{cook_name} has said yes to cooking for {diner_name}. {diner_name} has no carer to "
        f"tell: {posted}please call them before the first meal, so that they know who will "
        "knock.",
    )


def pairing_moved(*, diner_name: str, when: str, first: date | None) -> Message:
    """To the cook and the carer: the pairing's meals move to a new day or time (`when`);
    `first`: the first meal at it."""
    starts = f"The first is on {day_month(first)}. " if first else ""
    return Message(
        "pairing_moved",
        f"Meals for {diner_name} move to {when}",
        f"As agreed with the coordinator, the meals for {diner_name} are now {when}. {starts}"
        "The meals planned at the old time are cancelled.",
    )


def cover_moved(*, diner_name: str, day: date, when: str) -> Message:
    """To a cook covering a meal that the pairing's new day or time removed."""
    return Message(
        "cover_cancelled",
        f"No need to bring {diner_name}'s meal on {day_month(day)}",
        f"{diner_name}'s meals have moved to {when}, so the meal you were covering on "
        f"{day_month(day)} is cancelled. Thank you for offering.",
    )


def pairing_declined(*, cook_name: str, diner_name: str, reason: str | None) -> Message:
    """To the coordinator: the cook declined, with their reason when they gave one."""
    # Their words on lines of their own, as typed (quoted inline, a reason with quotes or a line
    # break of its own read as a tangle: an outside check).
    said = f"They said:\n\n{reason.strip()}" if reason else "They did not give a reason."
    return Message(
        "pairing_declined",
        f"{cook_name} declined to cook for {diner_name}",
        f"{cook_name} declined the invitation to cook for {diner_name}. {said}",
    )


# Why an active pairing ended, in the words of the person told: the carer ({cook} is the
# cook's display name) and the cook ({diner} is the diner's first name). The vocabulary's own
# words ("(cook suspended)") read as a code, and a suspension's reason is not the carer's.
_ENDED_TO_CARER = {
    EndReason.change_requested: "As you asked, {cook} will not cook for {diner} any more.",
    EndReason.cook_stopped: "{cook} has stopped cooking with Extra Portion.",
    EndReason.cook_moved: "{cook} has moved out of the council's area.",
    EndReason.cook_suspended: "{cook} is not cooking with Extra Portion for now.",
    EndReason.concern_upheld: "After looking into a concern, the council has ended the meals.",
    EndReason.ended_by_staff: "The council's coordinator has ended the meals.",
    EndReason.diner_left: "{diner} has left Extra Portion.",
}
_ENDED_TO_COOK = {
    EndReason.change_requested: "{diner}'s carer asked for a change of cook.",
    EndReason.cook_stopped: "You have stopped cooking with Extra Portion.",
    EndReason.cook_moved: "You have moved out of the council's area.",
    EndReason.cook_suspended: "Your account is suspended.",
    EndReason.concern_upheld: "After looking into a concern, the council has ended the meals.",
    EndReason.ended_by_staff: "The council's coordinator has ended the meals.",
    EndReason.diner_left: "{diner} has left Extra Portion.",
}
_ENDED_TO_STAFF = {
    EndReason.change_requested: "{diner}'s carer asked for a different cook: {cook} will not "
    "be proposed to {diner} again.",
    EndReason.cook_stopped: "{cook} has stopped cooking with Extra Portion.",
    EndReason.cook_moved: "{cook} has moved out of the council's area.",
    EndReason.diner_left: "{diner} has left Extra Portion.",
}
# Ended by the council: the cook hears more from the coordinator, not from a message.
_COORDINATOR_CALLS = {EndReason.cook_suspended, EndReason.concern_upheld, EndReason.ended_by_staff}
_ENDED_ELSE = "The meals have stopped."


def why_ended_to_carer(*, cook_name: str, diner_name: str, reason: EndReason | None) -> str:
    """Why the cook's meals stopped, in one sentence for the carer (their relative's page says
    it too, while the relative waits for another cook)."""
    said = _ENDED_TO_CARER.get(reason, _ENDED_ELSE) if reason else _ENDED_ELSE
    return said.format(cook=cook_name, diner=diner_name)


def pairing_ended_to_carer(
    *, cook_name: str, diner_name: str, reason: EndReason, erase_by: date | None = None
) -> Message:
    """To the carer: the cook's meals stopped, why in a few words, and what happens next.
    `erase_by`: the carer asked for their data (and the diner's) to be erased, due then: no
    other cook is looked for (app/diners/erasure_hold.py), and they are told so."""
    why = why_ended_to_carer(cook_name=cook_name, diner_name=diner_name, reason=reason)
    after = (
        "Thank you for every meal shared."
        if reason == EndReason.diner_left
        else f"As you asked us to erase your data and {diner_name}'s, we are not looking for "
        f"another cook: the council is carrying out your request, by {day_month(erase_by)}. "
        "The coordinator can tell you more."
        if erase_by is not None
        else f"We are looking for another cook near {diner_name}, and will tell you when one "
        "says yes. The coordinator can tell you more."
    )
    return Message(
        "pairing_ended",
        f"{cook_name}'s meals for {diner_name} have stopped",
        f"{why} {after}",
    )


def pairing_ended_to_staff(
    *,
    cook_name: str,
    diner_name: str,
    reason: EndReason,
    no_carer: bool = False,
    erase_by: date | None = None,
) -> Message:
    """To the coordinator, when a pairing ends by someone else's doing (a decision of the
    council's own is not told back to it), or when the diner has no carer to tell
    (`no_carer`: they are posted a letter, and need a call). `erase_by`: the diner's carer
    asked for erasure, due then: the diner is not back in matching, and the request is."""
    why = _ENDED_TO_STAFF.get(reason, _ENDED_ELSE).format(cook=cook_name, diner=diner_name)
    after = (
        ""
        if reason == EndReason.diner_left
        else f" {diner_name}'s carer asked for their data and {diner_name}'s to be erased, so "
        f"{diner_name} is not matched with another cook. Please erase {diner_name}'s record "
        f"by {day_month(erase_by)}, as the request asks."
        if erase_by is not None
        else f" {diner_name} waits for a cook again, and is back in matching."
    )
    if no_carer:
        after += (
            f" {diner_name} has no carer to tell: a letter saying so is in the post, but please "
            "call them, so that nobody waits at the door for a meal."
        )
    return Message(
        "pairing_ended",
        f"{cook_name}'s meals for {diner_name} have stopped",
        f"{why}{after}",
    )


def cover_stopped(*, diner_name: str, day: date) -> Message:
    """To a cook covering a meal of a pairing that has ended."""
    return Message(
        "cover_cancelled",
        f"No need to bring {diner_name}'s meal on {day_month(day)}",
        f"{diner_name}'s meals have stopped, so the meal you were covering on {day_month(day)} "
        "is cancelled. Thank you for offering.",
    )


def meals_stopped_unnamed(*, weekday: int, start: str) -> Message:
    """To a cook whose diner was erased: the message naming them is scrubbed, so this one says
    which meals stop by their day and time."""
    day = WEEKDAYS[weekday]
    return Message(
        "pairing_ended",
        f"Your {day} meals at {start} have stopped",
        f"The neighbour you cook for on {day}s at {start} no longer has meals through Extra "
        "Portion, so please do not bring any more. Thank you for all you did; the coordinator "
        "can tell you more.",
    )


def cover_stopped_unnamed(*, day: date, start: str) -> Message:
    """To a cook covering a meal of a diner who was erased."""
    return Message(
        "cover_cancelled",
        f"No need to bring the meal on {day_month(day)} at {start}",
        f"The meal you were covering on {day_month(day)} at {start} is cancelled: please do not "
        "bring it. Thank you for offering.",
    )


def why_ended_to_cook(*, diner_name: str, reason: EndReason | None) -> str:
    """Why the cook's meals for the diner stopped, in one sentence for the cook (their page
    says it too, for a few weeks)."""
    said = _ENDED_TO_COOK.get(reason, _ENDED_ELSE) if reason else _ENDED_ELSE
    return said.format(diner=diner_name)


def pairing_ended_to_cook(*, diner_name: str, reason: EndReason) -> Message:
    """To the cook: their meals for the diner stopped, and why in a few words."""
    why = why_ended_to_cook(diner_name=diner_name, reason=reason)
    after = (
        "The coordinator will be in touch."
        if reason in _COORDINATOR_CALLS
        else "Thank you for every meal you shared."
    )
    return Message(
        "pairing_ended",
        f"Your meals for {diner_name} have stopped",
        f"{why} {after}",
    )


# --- meals --------------------------------------------------------------------------------------


def meal_reminder(*, diner_name: str, start: str) -> Message:
    """To the cook, the day before."""
    return Message(
        "meal_reminder",
        f"Tomorrow: a meal for {diner_name} at {start}",
        "Print the meal's label from your page before you go.",
    )


def meal_missed(*, diner_name: str, day: date, start: str, to_staff: bool = False) -> Message:
    """To the carer, and (`to_staff`) the coordinator, who is the help the carer is offered."""
    ask = (
        "Please check with the cook and the carer that all is well."
        if to_staff
        else "Please check that all is well; the coordinator can help."
    )
    return Message(
        "meal_missed",
        f"A meal for {diner_name} was missed",
        f"The meal planned for {day_month(day)} at {start} did not happen. {ask}",
    )


def meal_missed_after_all(*, diner_name: str, day: date, start: str) -> Message:
    """To the carer and the coordinator when the council finds a meal recorded as brought did
    not happen: a correction, not a fresh alert about today."""
    return Message(
        "meal_missed",
        f"A correction: {diner_name}'s meal on {day_month(day)} did not happen",
        f"The meal planned for {day_month(day)} at {start} was recorded as brought by mistake: "
        "it did not happen. Please check that all is well; the coordinator can help.",
    )


def meal_delivered_after_all(*, diner_name: str, day: date, start: str) -> Message:
    """To those told a meal was missed, when the council puts the record right."""
    return Message(
        "meal_delivered_after_all",
        f"{diner_name}'s meal did arrive",
        f"We told you the meal planned for {day_month(day)} at {start} did not happen. That was "
        "recorded by mistake: the meal was delivered. Sorry for the worry.",
    )


def diner_paused(*, diner_name: str, day: date, away_from: date, away_to: date) -> Message:
    """To the cook of a meal the diner's pause cancels."""
    return Message(
        "diner_paused",
        f"No meal needed for {diner_name} on {day_month(day)}",
        f"{diner_name} is away {_days(away_from, away_to)}, so that meal is cancelled. The usual "
        "schedule carries on afterwards.",
    )


def _days(first: date, last: date) -> str:
    """ "on 10 December", or "from 10 December to 14 December" (an outside check read "from
    10 December to 10 December")."""
    if first == last:
        return f"on {first.day} {first:%B}"
    return f"from {first.day} {first:%B} to {last.day} {last:%B}"


def pause_ending(
    *,
    diner_name: str,
    last_day: date,
    first_meal: date,
    start: str,
    page: str,
    to_staff: bool,
    needs_cover: bool,
) -> Message:
    """Two days before meals start again after a pause: to the carer (a guessed hospital
    discharge date can bring a cook with the key-safe code to an empty home), or (`to_staff`)
    the coordinator of a diner with no carer. ``page``: the carer's page to make the pause
    longer, or the diner's record. A first meal that `needs_cover` has no cook yet (its
    regular cook is away): it read "a cook will come" when none was to (a review)."""
    ask = (
        f"{diner_name} has no carer to remind: please check that {diner_name} will be home by "
        f"then, and if not, give the pause a later last day. {diner_name}'s record: {page}"
        if to_staff
        else f"If {diner_name} will not be home by then, make the pause longer before then: {page}"
    )
    if not needs_cover:
        coming = f", when a cook will come to {diner_name}'s home."
    elif to_staff:
        coming = ". Its usual cook is away that day, and no other cook has taken it yet."
    else:
        coming = (
            ". Its usual cook is away that day, and we are still looking for another cook to "
            "bring it: we will tell you who, or that we could not find one."
        )
    return Message(
        "pause_ending",
        f"{diner_name}'s meals start again after {day_month(last_day)}",
        f"{diner_name}'s meals are paused until {day_month(last_day)}. They start again by "
        f"themselves after that day: the first meal is on {day_month(first_meal)} at {start}"
        f"{coming} {ask}",
    )


def meal_back_on(*, diner_name: str, day: date, start: str) -> Message:
    """To the cook of a meal they were told was cancelled (a diner's pause moved or ended, a
    pairing paused runs again), when it is needed after all."""
    return Message(
        "meal_back_on",
        f"The meal for {diner_name} on {day_month(day)} is back on",
        f"The meal for {diner_name} on {day_month(day)} at {start} is needed after all. "
        "Please bring it as planned.",
    )


# The forms' words for the vocabulary, keyed by the stored codes.
_DIET_WORDS = {str(code): words for code, words in DIET_LABELS.items()}
_ALLERGEN_WORDS = {
    str(code): words[:1].lower() + words[1:] for code, words in ALLERGEN_LABELS.items()
}
_TEXTURE_WORDS = {
    str(code): words[:1].lower() + words[1:] for code, words in TEXTURE_LABELS.items()
}


def _and_list(words: list[str]) -> str:
    """ "peanuts, sesame and milk" (not "peanuts and sesame and milk")."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def needs_in_words(
    *, diets: list[str], allergies: list[str], texture: str, other_allergies: str | None = None
) -> str:
    """ "Vegetarian, Halal; free from peanuts and sesame; soft and bite-sized." as a message
    names what a meal must be; the other foods the carer named follow the allergens, in their
    words ("free from peanuts, and with none of these other foods: kiwi fruit")."""
    parts = [", ".join(_DIET_WORDS.get(d, d) for d in diets)] if diets else []
    if allergies:
        parts.append("free from " + _and_list([_ALLERGEN_WORDS.get(a, a) for a in allergies]))
    if texture != Texture.regular:
        parts.append(_TEXTURE_WORDS.get(texture, texture))
    if others := other_foods(other_allergies):  # last, so the free text ends the sentence
        parts.append("with none of these other foods: " + ", ".join(others))
    # After "The meals must be:" (an outside check read "must be: no special diet, allergy or
    # texture." as odd).
    plain = "an ordinary home-cooked meal (no special diet, allergy or texture to keep to)."
    return ("; ".join(parts) + ".") if parts else plain


def cover_request(*, diner_name: str, day: date, start: str, needs: str) -> Message:
    """To a cook who could cover a meal; `needs`: what it must be (`needs_in_words`)."""
    return Message(
        "cover_request",
        f"Could you cover a meal on {day_month(day)}?",
        f"{diner_name}'s usual cook is away. The meal must be: {needs} If you can bring it at "
        f"{start}, please take it from the meals that need a cook on your page.",
    )


def cover_arranged(
    *, cook_name: str, diner_name: str, day: date, start: str, call_them: bool = False
) -> Message:
    """To the carer, the coordinator and the regular cook. `call_them`: to the coordinator of a
    diner with no carer, whom no message reaches (their letter names their usual cook): an
    outside check found nobody told them a different person would knock."""
    call = (
        f" {diner_name} has no carer with us to tell them: please let {diner_name} know that "
        f"{cook_name}, not their usual cook, will bring the meal."
        if call_them
        else ""
    )
    return Message(
        "cover_arranged",
        f"Cover arranged for {day_month(day)}",
        f"{cook_name} will bring {diner_name}'s meal at {start}.{call}",
    )


def cover_confirmed(*, diner_name: str, day: date, start: str, needs: str) -> Message:
    """To a cook who agreed with the coordinator (by phone, say) to cover a meal, once staff
    record it: what they agreed, in writing, as if they had taken it from their page (where
    the address and access notes now are). `needs`: what the meal must be."""
    return Message(
        "cover_arranged",
        f"You are bringing {diner_name}'s meal on {day_month(day)}",
        f"As you agreed with the coordinator, you will bring {diner_name}'s meal on "
        f"{day_month(day)} at {start}. The meal must be: {needs} {diner_name}'s address and "
        "access notes are on your page. Thank you.",
    )


def cover_cancelled(*, diner_name: str, day: date) -> Message:
    """To a cover cook whose meal is no longer safe for the diner's changed needs."""
    return Message(
        "cover_cancelled",
        f"No need to bring {diner_name}'s meal on {day_month(day)}",
        f"{diner_name}'s needs have changed, so another cook will "
        "cover that meal. Thank you for offering.",
    )


def cover_fell_through(
    *, diner_name: str, day: date, start: str, asked: int, to_staff: bool = False
) -> Message:
    """To the carer, the coordinator (`to_staff`) and the regular cook, who were told a cover
    was arranged: the cook who took it can no longer bring it. `asked`: how many other cooks
    were asked (it said "we are asking other cooks" when no cook could be: an outside check)."""
    if asked:
        then = "We are asking other cooks, and will tell you who takes it."
    elif to_staff:
        then = "No other cook nearby can bring it: please find someone, or tell the carer."
    else:
        then = "No other cook nearby can bring it: the coordinator will be in touch."
    return Message(
        "cover_fell_through",
        f"{diner_name}'s cover on {day_month(day)} has fallen through",
        f"The cook who was to bring {diner_name}'s meal on {day_month(day)} at {start} can no "
        f"longer bring it. {then}",
    )


def cover_handed_back(*, diner_name: str, day: date) -> Message:
    """To a cover cook whose meal goes to another cook (they stopped, were suspended or moved
    away): they must not come with it."""
    return Message(
        "cover_cancelled",
        f"Please do not bring {diner_name}'s meal on {day_month(day)}",
        f"You are no longer down to cover {diner_name}'s meal on {day_month(day)}: another cook "
        "will be asked. Please do not bring it.",
    )


def cover_missing(*, diner_name: str, day: date, start: str, cook_name: str) -> Message:
    """To the coordinator: nobody has taken a meal that needs cover."""
    return Message(
        "cover_missing",
        f"No cover yet for {diner_name} on {day_month(day)} at {start}",
        f"{cook_name}, {diner_name}'s usual cook, is away, and nobody has taken this meal yet. "
        "Please ask a cook you know, or let the carer know it may not come.",
    )


def cover_not_sought(*, diner_name: str, day: date, start: str, erase_by: date) -> Message:
    """To the coordinator: a meal of a diner whose carer asked for erasure needs cover, and no
    cook the diner has met can bring it; no other cook is asked (none is newly sent the needs
    of someone whose data is to be erased: app/diners/erasure_hold.py)."""
    return Message(
        "cover_missing",
        f"No cover for {diner_name} on {day_month(day)} at {start}",
        f"{diner_name}'s usual cook cannot bring the meal on {day_month(day)} at {start}, and no "
        f"cook {diner_name} has met before can. {diner_name}'s carer asked for their data and "
        f"{diner_name}'s to be erased (by {day_month(erase_by)}), so we have not asked other "
        "cooks. Please find another way to get the meal to them, or let the carer know it may "
        "not come.",
    )


def cover_missing_to_carer(*, diner_name: str, day: date, start: str) -> Message:
    """To the carer, at the same time: the meal may not come (they heard nothing before)."""
    return Message(
        "cover_missing",
        f"{diner_name}'s meal on {day_month(day)} may not come",
        f"{diner_name}'s usual cook is away on {day_month(day)}, and we have not yet found "
        f"another cook for the meal at {start}. The coordinator is trying: please make sure "
        f"{diner_name} has something to eat that day in case.",
    )


def contact_lapsed(*, diner_name: str, days: int) -> Message:
    """To the coordinator: nothing delivered for a while."""
    return Message(
        "contact_lapsed",
        f"No meal delivered to {diner_name} for {days}+ days",
        "Nothing has been recorded as delivered lately. A friendly call may help.",
    )


def outcome_question(*, diner_name: str, cook_name: str) -> Message:
    """To the carer, once a quarter: the friendship question."""
    return Message(
        "outcome_question",
        f"A quick question about {diner_name} and {cook_name}",
        f"Does {diner_name} consider {cook_name} a friend? "
        "Please answer yes or no on your relative's page; it helps the council.",
    )


# --- a diner's needs changed --------------------------------------------------------------------


def diner_changed_to_coordinator(
    *,
    diner_name: str,
    what: str,
    when: str | None,
    often: tuple[str, str] | None = None,
    cook_name: str = "the cook",
) -> Message:
    """``what``: the words for what changed ("food needs"); ``when``: the pairing's time
    ("Tuesdays at 12:00") when the diner is no longer free then, else None; ``often``: how
    often the diner would now like a meal and how often the pairing brings one, when they
    differ."""
    note = (
        f" The pairing's time ({when}) is no longer among the times {diner_name} is free: "
        "please agree a new time with the cook."
        if when
        else ""
    )
    if often:
        note += (
            f" {diner_name} would now like a meal {often[0]}; {cook_name} brings one "
            f"{often[1]}. Nothing changes until you agree it with {cook_name} and the carer, "
            "then move the meals on their record."
        )
    return Message(
        "diner_changed",
        f"{diner_name}'s {what} changed",
        f"{diner_name}'s carer or the council changed their {what}.{note}",
    )


def diner_changed_to_cook(
    *,
    diner_name: str,
    what: str,
    when: str | None,
    needs: str | None = None,
    next_meal: date | None = None,
) -> Message:
    """To the regular cook, who can still cook for the diner safely. `needs`: what the meals
    must be now, when the change was to them (`needs_in_words`): the cook read only "please
    look at Margaret's allergies", and not which one was added (an outside check)."""
    stands = (
        f" Until then, the meal on {day_month(next_meal)} goes ahead as planned."
        if next_meal
        else ""
    )
    note = (
        f" {diner_name} is no longer free {when}: the coordinator will agree a new time with "
        f"you.{stands}"
        if when
        else ""
    )
    must = f" The meals must now be: {needs}" if needs else ""
    return Message(
        "diner_changed",
        f"{diner_name}'s {what} changed",
        f"{diner_name}'s {what} changed.{must} Please look at the next meal on your page "
        f"before you cook it.{note}",
    )


def diner_changed_to_cover(*, diner_name: str, what: str, day: date, needs: str) -> Message:
    """To a cook covering one of the diner's meals, who can still make it safely: the cover
    request they cook from named the needs before the change."""
    return Message(
        "diner_changed",
        f"{diner_name}'s {what} changed before the meal you are covering",
        f"{diner_name}'s {what} changed since you took the meal on {day_month(day)}. The meal "
        f"must now be: {needs} Please look at the meal on your page before you cook it.",
    )


def other_foods_changed_to_invited_cook(*, diner_name: str, other_allergies: str | None) -> Message:
    """To a cook invited to cook for the diner, not yet answering, when the other foods the
    diner must not have changed: the invitation they may answer from named the old ones, and
    matching cannot judge these, so the cook is told what they are now."""
    others = other_foods(other_allergies)
    now = (
        f"{diner_name} must not have: {', '.join(others)}. We have not checked this against "
        "what you cook."
        if others
        else f"{diner_name} has no other foods to avoid now."
    )
    return Message(
        "diner_changed",
        f"{diner_name}'s other foods to avoid changed",
        f"{diner_name}'s other foods to avoid changed since you were invited. {now} Please read "
        "the invitation on your page again before you answer.",
    )


def invitation_withdrawn_to_cook(*, diner_name: str) -> Message:
    return Message(
        "pairing_needs_changed",
        f"The invitation to cook for {diner_name} is withdrawn",
        f"{diner_name}'s needs have changed since you were invited, so the invitation is "
        "withdrawn. Thank you for offering.",
    )


def invitation_withdrawn_by_staff(*, diner_name: str) -> Message:
    """To the cook, when the council withdraws its invitation (no reason: it may be the
    diner's, and is the coordinator's to give)."""
    return Message(
        "invitation_withdrawn",
        f"The invitation to cook for {diner_name} is withdrawn",
        f"The council has withdrawn its invitation to cook for {diner_name}, so there is "
        "nothing to answer. Thank you for offering.",
    )


def invitation_withdrawn_diner_left(*, diner_name: str) -> Message:
    """To the cook, when the diner they were invited to leaves before they answered."""
    return Message(
        "invitation_withdrawn",
        f"The invitation to cook for {diner_name} is withdrawn",
        f"{diner_name} no longer needs meals from Extra Portion, so the invitation to cook for "
        f"{diner_name} is withdrawn and there is nothing to answer. Thank you for offering.",
    )


def invitation_withdrawn_to_staff(
    *, diner_name: str, cook_name: str, what: str, why: str
) -> Message:
    return Message(
        "pairing_needs_changed",
        f"A proposal for {diner_name} was withdrawn: their needs changed",
        f"{diner_name}'s {what} changed, and {cook_name} cannot meet them safely ({why}). "
        f"The proposal is withdrawn and {diner_name} is waiting for a cook again.",
    )


def needs_pause_to_cook(*, diner_name: str, moved_away: bool = False) -> Message:
    """`moved_away`: the diner's new home is what the cook can no longer reach."""
    why = (
        f"{diner_name} has moved, and now lives further away than you walk"
        if moved_away
        else f"{diner_name}'s needs have changed, and the meals may no longer be safe for them"
    )
    return Message(
        "pairing_needs_changed",
        f"Meals for {diner_name} are paused: please don't bring the next one",
        f"{why}, so the meals are paused from today and the coming ones are cancelled. The "
        "coordinator will be in touch.",
    )


def needs_pause_to_staff(
    *, diner_name: str, cook_name: str, what: str, why: str, moved_away: bool = False
) -> Message:
    """`moved_away`: only the diner's new home is beyond the cook's walk (a move read as "it
    no longer meets Arthur's needs safely (living within walking distance)": an outside
    check)."""
    if moved_away:
        return Message(
            "pairing_needs_changed",
            f"Pairing paused: {diner_name} has moved",
            f"{diner_name}'s {what} changed: they now live further from {cook_name} than "
            f"{cook_name} walks. The pairing is paused and its meals are cancelled: please "
            "find a way forward with the carer and the cook.",
        )
    return Message(
        "pairing_needs_changed",
        f"Pairing paused: {diner_name}'s needs changed",
        f"{diner_name}'s {what} changed, and {cook_name} cannot meet them safely ({why}). "
        "The pairing is paused and its meals are cancelled: please find a way forward "
        "with the carer and the cook.",
    )


def needs_pause_to_carer(
    *, diner_name: str, what: str, cook_name: str, moved_away: bool = False
) -> Message:
    """`moved_away`: only the new home is too far for the cook (not the diner's needs)."""
    why = (
        f"{diner_name} now lives too far from {cook_name} to walk the meals round"
        if moved_away
        else "Their cook cannot meet the new needs safely"
    )
    return Message(
        "pairing_needs_changed",
        f"{diner_name}'s meals are paused while the coordinator finds a way forward",
        f"The council updated {diner_name}'s {what}. {why}, so the meals are paused. The "
        "coordinator will be in touch.",
    )


def offer_withdrawn_to_cook(*, diner_name: str, why: str) -> Message:
    return Message(
        "pairing_needs_changed",
        f"The invitation to cook for {diner_name} is withdrawn",
        f"Your profile changed, and it no longer meets {diner_name}'s needs safely ({why}), so "
        "the invitation is withdrawn. Thank you for offering.",
    )


def invitation_withdrawn_cook_moved(*, diner_name: str) -> Message:
    return Message(
        "pairing_needs_changed",
        f"The invitation to cook for {diner_name} is withdrawn",
        f"You have moved home, so the invitation to cook for {diner_name}, made from your old "
        "address, is withdrawn. The council checks your new address before you are matched "
        "with new neighbours. Thank you for offering.",
    )


def proposal_withdrawn_cook_moved(*, diner_name: str, cook_name: str) -> Message:
    return Message(
        "pairing_needs_changed",
        f"A proposal for {diner_name} was withdrawn: the cook moved",
        f"{cook_name} moved home before answering, so the proposal for {diner_name} is "
        f"withdrawn and {diner_name} is waiting for a cook again. Please confirm {cook_name}'s "
        "new address on their record before they are matched again.",
    )


def offer_withdrawn_to_staff(*, diner_name: str, cook_name: str, why: str) -> Message:
    return Message(
        "pairing_needs_changed",
        f"A proposal for {diner_name} was withdrawn: the cook's profile changed",
        f"{cook_name} changed their profile and can no longer meet {diner_name}'s needs safely "
        f"({why}). The proposal is withdrawn and {diner_name} is waiting for a cook again.",
    )


def offer_pause_to_cook(*, diner_name: str, why: str) -> Message:
    return Message(
        "pairing_needs_changed",
        f"Meals for {diner_name} are paused: please don't bring the next one",
        f"Your profile changed, and it no longer meets {diner_name}'s needs safely ({why}), so "
        "the meals are paused from today and the coming ones are cancelled. The coordinator "
        "will be in touch.",
    )


def offer_pause_to_cover(*, diner_name: str) -> Message:
    return Message(
        "pairing_needs_changed",
        f"Meals for {diner_name} are paused: please don't bring the one you offered to cover",
        f"{diner_name}'s meals are paused from today while the coordinator finds a way "
        "forward, so the meal you offered to cover is cancelled. Thank you for offering.",
    )


def concern_pause_to_cook(*, diner_name: str) -> Message:
    """To the cook when a serious concern pauses their meals: no reason (the concern may be
    about them), but they must not bring the next meal."""
    return Message(
        "concern_pause",
        f"Meals for {diner_name} are paused for now",
        f"Please don't bring any meals for {diner_name} until the coordinator has been in "
        "touch: the meals are paused for now.",
    )


def concern_pause_to_carer(*, diner_name: str, cook_name: str, raised_it: bool) -> Message:
    """`raised_it`: the carer raised the concern; else it may be about the household, and they
    are told no more than that the meals stop."""
    why = " while the council looks into a concern" if raised_it else " for now"
    return Message(
        "concern_pause",
        f"Meals for {diner_name} are paused",
        f"The meals from {cook_name} are paused{why}. The coordinator will be in touch.",
    )


def concern_resumed(*, diner_name: str) -> Message:
    """To the cook and the carer when the council has looked into a concern and the meals of
    the pairing it paused go on."""
    return Message(
        "concern_resumed",
        f"Meals for {diner_name} are back on",
        "The council has finished looking into a concern, and the meals are back on from the "
        "next one. Thank you for your patience.",
    )


def pairing_resumed(*, diner_name: str, cook_name: str) -> Message:
    """To the carer and the coordinator, when a pause for the cook's profile ends."""
    return Message(
        "pairing_resumed",
        f"Meals for {diner_name} are back on with {cook_name}",
        f"{cook_name} can cook safely for {diner_name} again, so the meals are back on from the "
        "next one.",
    )


def needs_resumed_to_cook(*, diner_name: str, what: str | None = None) -> Message:
    """`what`: what of the diner's record changed this time ("address and postcode"), for the
    cook to look at before they go (a move back within reach said only "needs changed")."""
    if what:  # "needs changed again" read oddly of a move (a review)
        body = (
            f"{diner_name}'s {what} changed, and you can cook safely for them, so the meals "
            f"are back on from the next one. Please look at {diner_name}'s {what} on your page, "
            "My cooking, before the next meal. Thank you."
        )
    else:
        body = (
            f"{diner_name}'s needs changed again, and you can cook safely for them, so the "
            "meals are back on from the next one. Thank you."
        )
    return Message("pairing_resumed", f"Meals for {diner_name} are back on", body)


def cook_times_changed(*, diner_name: str, cook_name: str, when: str) -> Message:
    """To the coordinator: the cook's new times no longer take in the pairing's (`when`)."""
    return Message(
        "cook_times_changed",
        f"{cook_name}'s new times no longer include {diner_name}'s meal",
        f"{cook_name} changed when they can cook, and it no longer takes in {diner_name}'s "
        f"meal ({when}). The meals go on for now: please agree a new time with {cook_name} and "
        f"{diner_name}'s carer.",
    )


def offer_pause_to_staff(*, diner_name: str, cook_name: str, why: str) -> Message:
    return Message(
        "pairing_needs_changed",
        f"Pairing paused: {cook_name}'s profile changed",
        f"{cook_name} changed their profile and can no longer meet {diner_name}'s needs safely "
        f"({why}). The pairing is paused and its meals are cancelled: please find a way "
        "forward with the cook and the carer.",
    )


def offer_pause_to_carer(*, diner_name: str, cook_name: str, moved_away: bool = False) -> Message:
    """`moved_away`: the cook's new home is too far from the diner's (not their cooking)."""
    why = (
        f"{cook_name} has moved, and now lives too far from {diner_name} to bring the meals"
        if moved_away
        else f"What {cook_name} can cook no longer meets {diner_name}'s needs"
    )
    return Message(
        "pairing_needs_changed",
        f"{diner_name}'s meals are paused while the coordinator finds a way forward",
        f"{why}, so the meals are paused. The coordinator will be in touch.",
    )


# --- concerns -----------------------------------------------------------------------------------


def concern_raised(
    *, reference: str, category_name: str, serious: bool, diner_name: str, page: str
) -> Message:
    """To the coordinator. ``category_name``: the category's short name ("Missed meal");
    ``page``: the concern's page (an outside check found neither the diner nor a link)."""
    return Message(
        "concern_raised",
        f"A {'serious ' if serious else ''}concern was raised ({reference}): "
        f"{category_name.lower()}",
        f"A concern about {diner_name} was raised. Please look at it as soon as you can: {page}",
    )


def concern_received(*, reference: str, paused: bool) -> Message:
    """To whoever raised a concern: it reached the council, under this reference (they heard
    nothing until staff changed its status: an outside check). `paused`: a serious concern
    paused the meals."""
    then = (
        " As it is serious, the meals are paused until the council has looked into it."
        if paused
        else ""
    )
    return Message(
        "concern_received",
        f"We have your concern {reference}",
        f"Thank you for telling us. The council's coordinator will look into it, and you will "
        f"hear from us as it moves on.{then} If someone is in danger now, call 999.",
    )


def concern_status(*, reference: str, status_words: str, next_step: str) -> Message:
    """To the raiser: the words they see for the status and what happens next."""
    return Message("concern_status", f"Your concern {reference}: {status_words.lower()}", next_step)


# --- accounts and data --------------------------------------------------------------------------


def password_changed(*, full_name: str, day: date) -> Message:
    """To the account whose password was changed or reset (by email, whatever the channel the
    person chose: the account's own address is what a thief would not also hold)."""
    return Message(
        "password_changed",
        "Your Extra Portion password has changed",
        f"Hello {full_name},\n\n"
        f"On {day_month(day)} the password you sign in to Extra Portion with was changed, and "
        "you were signed out everywhere else.\n\n"
        "If you made this change, there is nothing to do. If you did not, reset your password "
        "from the sign-in page and contact your council's Extra Portion coordinator straight "
        "away.\n",
    )


def email_changed(*, full_name: str, new_email: str, day: date) -> Message:
    """To the address a person signed in with until now: it was changed (someone holding their
    password could have done it, and this is how the owner learns of it). ``new_email``
    partly hidden: whoever reads the old mailbox need not learn all of the new address."""
    local, _, domain = new_email.partition("@")
    shown = f"{local[:1]}***@{domain}" if domain else "a new address"
    return Message(
        "email_changed",
        "Your Extra Portion email address has changed",
        f"Hello {full_name},\n\n"
        f"On {day_month(day)} the email address you sign in to Extra Portion with was changed "
        f"to {shown}. Messages now go there, and you were signed out everywhere else.\n\n"
        "If you made this change, there is nothing to do. If you did not, contact your "
        "council's Extra Portion coordinator straight away: someone may know your password.\n",
    )


def confirm_new_email(*, link: str) -> Message:
    """To a new sign-in address: nothing changes until its owner opens the link. No name: the
    address is not yet known to be theirs."""
    return Message(
        "confirm_new_email",
        "Confirm your new Extra Portion email address",
        "Hello,\n\n"
        "You asked to sign in to Extra Portion with this email address. To confirm it, open "
        "this link within a day:\n\n"
        f"{link}\n\n"
        "Until you do, your messages go to the address you use now. If you did not ask, "
        "ignore this message: nothing changes.\n",
    )


def password_reset(*, full_name: str, link: str) -> Message:
    return Message(
        "password_reset",
        "Reset your Extra Portion password",
        f"Hello {full_name},\n\n"
        "Someone asked to reset the password of your Extra Portion account. "
        "To choose a new password, open this link within an hour:\n\n"
        f"{link}\n\n"
        "The link works once. If you did not ask, ignore this message: your password "
        "stays as it is.\n",
    )


def erasure_asked(*, full_name: str, due: date) -> Message:
    """To the carer who asked for erasure: the request reached the council (an outside check:
    nothing said so, though the page promised to tell them when it is done)."""
    return Message(
        "erasure_asked",
        "We have your request to erase your data",
        f"Hello {full_name},\n\n"
        "We have your request to erase your data and your relatives' from Extra Portion. The "
        f"council will do it by {day_month(due)}: it ends any meals still planned, and your "
        "coordinator will tell you when it is done. After that you will not be able to sign "
        "in.\n\n"
        "If you did not ask for this, contact your council's Extra Portion coordinator.\n",
    )


def erasure_requested(*, account_id: int, due: date, records: list[str]) -> Message:
    """To the coordinators (or staff, or administrators) of a carer who asked for erasure;
    `records`: the links to the relatives' records this recipient can open (an account number
    alone could be looked up nowhere)."""
    where = (
        " Their relatives' records: " + ", ".join(records) + "."
        if records
        else " They have no relative whose details are still held."
    )
    return Message(
        "erasure_requested",
        f"A request to erase someone's data (account {account_id})",
        f"The carer with account {account_id} asked for their data, and their relatives', "
        f"to be erased. Please act by {day_month(due)}, a month from the request: erase each "
        "relative "
        "from their page, tell the carer it is done, then erase the carer's own account "
        f"from a relative's page.{where}",
    )


def erasure_taken_back(*, full_name: str) -> Message:
    """To the carer who took back their request to be erased, while it was still to do."""
    return Message(
        "erasure_taken_back",
        "You took back your request to erase your data",
        f"Hello {full_name},\n\n"
        "You took back your request to erase your data and your relatives' from Extra "
        "Portion. Nothing will be erased, and the council will look for a cook again for a "
        "relative who needs one.\n\n"
        "If you did not do this, contact your council's Extra Portion coordinator.\n",
    )


def erasure_withdrawn(*, account_id: int, records: list[str]) -> Message:
    """To those a carer's request to be erased told (erasure_requested): the carer took it back,
    so nothing is to be erased and their relatives are matched again; `records` as there."""
    where = (
        " Their relatives' records: " + ", ".join(records) + "."
        if records
        else " They have no relative whose details are still held."
    )
    return Message(
        "erasure_withdrawn",
        f"A request to erase someone's data was taken back (account {account_id})",
        f"The carer with account {account_id} took back their request for their data, and "
        "their relatives', to be erased. Do not erase them: their relatives are matched again "
        f"as any other diner.{where}",
    )
