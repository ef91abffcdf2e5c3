"""Staff's matching pages with JavaScript off: one diner's suggestions (the cook's full name,
one distance, the score in words, the slots as radios), a proposal through the form (the slot
chosen is the one proposed; a broken rule shown beside its field), another council's diner a
404; batch matching's preview (every pair and every unmatched diner, nothing written), the
confirmation of the ticked pairs only, and a stale preview said plainly. Post / redirect / get:
the preview is a GET page, and a confirmation answers 303 to its result, a GET page only its
sender sees."""

from __future__ import annotations

import asyncio
import html as html_lib
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.councils.rules import council_today
from app.geo.distance import staff_distance_text
from app.matching.inputs import first_meal_day
from app.matching.outcome import record_outcome
from app.models import AuditEntry, Council, Notification, Pairing, User
from app.pages.cook_forms import long_date
from tests.factories import (
    approved_cook,
    auth_headers,
    create_council,
    create_user,
    registered_diner,
)
from tests.pages.helpers import form_token, sign_in

TUESDAY, FRIDAY, SUNDAY = 1, 4, 6
COOK_TIMES = [
    {"weekday": TUESDAY, "start": "17:00", "end": "19:00"},
    {"weekday": SUNDAY, "start": "11:00", "end": "14:00"},
]
DINER_TIMES = [
    {"weekday": TUESDAY, "start": "17:30", "end": "19:00"},
    {"weekday": SUNDAY, "start": "12:00", "end": "14:00"},
]


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed (what a person reads): a link's
    text runs on with what follows it."""
    inline = re.sub(r"</?(a|span|strong)\b[^>]*>", "", html)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def named(session: Session, user: User, full_name: str) -> None:
    user.full_name = full_name
    session.add(user)
    session.commit()


def cook(client, session, settings, staff, full_name: str, **payload) -> int:  # type: ignore[no-untyped-def]
    user, cook_id = approved_cook(
        client, session, settings, staff, display_name=full_name.split()[0], **payload
    )
    named(session, user, full_name)
    return cook_id


def diner(client, session, settings, full_name: str, **payload) -> int:  # type: ignore[no-untyped-def]
    _, diner_id = registered_diner(client, session, settings, full_name=full_name, **payload)
    return diner_id


def pairings(session: Session) -> list[tuple[int, int, int, str, str]]:
    rows = session.exec(
        select(Pairing.diner_id, Pairing.cook_id, Pairing.weekday, Pairing.start, Pairing.frequency)
    ).all()
    return [(d, c, w, s, str(f)) for d, c, w, s, f in rows]


def card(page: str, cook_id: int) -> str:
    """The HTML of one suggestion card."""
    start = f'<section class="ep-card ep-suggestion" aria-labelledby="cook-{cook_id}-name">'
    match = re.search(re.escape(start) + r"(.*?)</section>", page, re.DOTALL)
    assert match, f"no card for cook {cook_id}"
    return match.group(1)


@pytest.fixture
def edna(client: TestClient, session: Session, settings, staff: User) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Priya Sharma (N3 1HT) may cook for Edna Smith (N3 1QX, about 300 m away) on Tuesdays and
    Sundays; returns (diner id, cook id)."""
    cook_id = cook(client, session, settings, staff, "Priya Sharma", availability=COOK_TIMES)
    diner_id = diner(client, session, settings, "Edna Smith", availability=DINER_TIMES)
    return diner_id, cook_id


def test_distance_words_are_one_rounding_for_every_staff_page():
    assert staff_distance_text(0) == "less than 10 m"
    assert staff_distance_text(456) == "460 m"
    assert staff_distance_text(460) == "460 m"  # the API's distance_m, worded the same
    assert staff_distance_text(994.9) == "990 m"
    assert staff_distance_text(995) == "1.0 km"
    assert staff_distance_text(1_244) == "1.2 km"
    # 1,249 m is 1,250 m in the API: a page given either words it the same.
    assert staff_distance_text(1_249) == staff_distance_text(1_250) == "1.3 km"


def test_suggestions_page_names_the_cook_with_one_distance_the_score_in_words_and_the_slots(
    client: TestClient, session: Session, settings, staff: User, edna: tuple[int, int]
):  # type: ignore[no-untyped-def]
    diner_id, cook_id = edna
    api = client.get(
        f"/api/staff/diners/{diner_id}/suggestions", headers=auth_headers(staff, settings)
    ).json()["items"][0]
    sign_in(client, staff)
    page = client.get(f"/staff/diners/{diner_id}/match")
    assert page.status_code == 200, page.text
    assert f'href="/staff/diners/{diner_id}">Edna Smith</a>' in page.text
    one = card(page.text, cook_id)
    words = text_of(one)
    assert f'<a class="govuk-link" href="/staff/cooks/{cook_id}">Priya Sharma</a>' in one
    # One distance, worded by the one helper from the API's own distance_m.
    assert re.findall(r"\d[\d,.]* k?m\b", words) == [staff_distance_text(api["distance_m"])]
    assert "about" not in words and "metres" not in words
    assert (
        "Strong match: lives close by, free on both of Edna’s days, cooks vegetarian, "
        "soft & bite-sized food free from peanuts, not cooking for anyone yet." in words
    )
    assert "Score" not in words and str(api["score"])[:4] not in words
    assert "both free Tuesday 17:30–19:00 and Sunday 12:00–14:00" in words  # a reason
    slots = re.findall(r'<input[^>]*name="slot"[^>]*value="([^"]+)"', one)
    assert slots == [f"{TUESDAY}-17:30", f"{SUNDAY}-12:00"]
    assert "checked" not in re.search(r'<input[^>]*name="slot"[^>]*>', one).group(0)  # type: ignore[union-attr]
    assert "Tuesday at 17:30" in words and "Both free 17:30 to 19:00" in words
    weekly = re.search(r'<input[^>]*name="frequency"[^>]*value="weekly"[^>]*>', one)
    assert weekly and "checked" in weekly.group(0)  # Edna's own choice
    assert "Every week (Edna asked for this)" in words
    # Only what Priya offers: "Once a month" was there, and refused once sent.
    offered = re.findall(r'<input[^>]*name="frequency"[^>]*value="([^"]+)"', one)
    assert offered == ["weekly", "fortnightly"]
    assert "Invite Priya" in words


def test_a_cooks_only_day_and_time_is_ticked_already(
    client: TestClient, session: Session, settings, staff: User
):  # type: ignore[no-untyped-def]
    """An outside check: the card's one radio was not ticked, and "Invite" failed first with
    "Choose the day and time"."""
    cook_id = cook(client, session, settings, staff, "Priya Sharma", availability=COOK_TIMES)
    diner_id = diner(client, session, settings, "Edna Smith", availability=DINER_TIMES[:1])
    sign_in(client, staff)
    page = client.get(f"/staff/diners/{diner_id}/match").text
    radios = re.findall(
        r'<input class="govuk-radios__input"[^>]*name="slot"[^>]*>', card(page, cook_id)
    )
    assert len(radios) == 1 and "checked" in radios[0]


def test_inviting_proposes_the_slot_chosen_and_says_so(
    client: TestClient, session: Session, settings, staff: User, edna: tuple[int, int]
):  # type: ignore[no-untyped-def]
    diner_id, cook_id = edna
    sign_in(client, staff)
    token = form_token(client, f"/staff/diners/{diner_id}/match")
    done = client.post(
        f"/staff/diners/{diner_id}/match",
        data={"cook_id": cook_id, "slot": f"{SUNDAY}-12:00", "frequency": "fortnightly",
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/staff/diners/{diner_id}/match?done=invited"
    assert pairings(session) == [(diner_id, cook_id, SUNDAY, "12:00", "fortnightly")]
    invited = session.exec(select(Notification).where(Notification.event == "proposal"))
    assert len(invited.all()) == 1
    # The match page now says who is invited, instead of suggesting again.
    words = text_of(client.get(done.headers["location"]).text)
    assert "Success Invitation sent to Priya Sharma. They are asked to accept" in words
    assert "Priya Sharma is invited to cook for Edna: Sundays at 12:00, every other week." in words
    assert "Invite Priya" not in words


def test_a_broken_rule_shows_beside_its_field_and_nothing_is_proposed(
    client: TestClient, session: Session, settings, staff: User, edna: tuple[int, int]
):  # type: ignore[no-untyped-def]
    diner_id, cook_id = edna
    sign_in(client, staff)
    path = f"/staff/diners/{diner_id}/match"
    token = form_token(client, path)

    def post(**data: object):  # type: ignore[no-untyped-def]
        return client.post(path, data={"cook_id": cook_id, "csrf_token": token, **data})

    # No day chosen, and a frequency that is not one: both said at once.
    both = post(slot="", frequency="daily")
    assert both.status_code == 422
    assert both.text.count('class="govuk-error-message"') == 2
    assert f'href="#slot-{cook_id}">Choose the day and time to offer Priya</a>' in both.text
    assert f'href="#frequency-{cook_id}">Choose how often Priya' in both.text

    # Priya cooks weekly and fortnightly, not monthly: the rule, beside "How often".
    monthly = post(slot=f"{TUESDAY}-17:30", frequency="monthly")
    assert monthly.status_code == 422, monthly.text
    error = re.search(rf'id="frequency-{cook_id}-error"[^>]*>(.*?)</p>', monthly.text, re.DOTALL)
    assert error and "Priya does not cook once a month" in text_of(error.group(1))
    assert "Error: Suggested cooks for Edna Smith" in text_of(monthly.text)
    # What was chosen is kept.
    kept = re.search(rf'<input[^>]*id="slot-{cook_id}"[^>]*>', monthly.text)
    assert kept and "checked" in kept.group(0)

    # Priya goes away on the first Tuesday after the page was shown (cook_away).
    council = session.get(Council, staff.council_id)
    assert council is not None
    first = first_meal_day(TUESDAY, council_today(council))
    cook_user = session.exec(select(User).where(User.full_name == "Priya Sharma")).one()
    away = client.post(
        "/api/cooks/me/away",
        json={"from": str(first), "to": str(first + timedelta(days=1))},
        headers=auth_headers(cook_user, settings),
    )
    assert away.status_code == 200, away.text
    refused = post(slot=f"{TUESDAY}-17:30", frequency="weekly")
    assert refused.status_code == 422
    error = re.search(rf'id="slot-{cook_id}-error"[^>]*>(.*?)</p>', refused.text, re.DOTALL)
    assert error, refused.text
    assert f"Priya is away on {long_date(first)}, the day of the first meal" in text_of(
        error.group(1)
    )
    assert pairings(session) == []


def test_another_councils_diner_is_not_found(
    client: TestClient, session: Session, staff: User, edna: tuple[int, int]
):
    diner_id, _ = edna
    camden = create_council(session, slug="camden-test", lad_codes=["E09000007"])
    elsewhere = create_user(session, role="staff", council=camden)
    session.commit()
    sign_in(client, elsewhere)
    assert client.get(f"/staff/diners/{diner_id}/match").status_code == 404
    assert client.get("/staff/diners/99999999/match").status_code == 404


@pytest.fixture
def batch(client: TestClient, session: Session, settings, staff: User) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Two cooks and two diners who can be paired, and a diner free only on Fridays."""
    ids = {
        "priya": cook(client, session, settings, staff, "Priya Sharma", availability=COOK_TIMES),
        "tom": cook(client, session, settings, staff, "Tom Okafor", availability=COOK_TIMES,
                    max_diners=1),
        "edna": diner(client, session, settings, "Edna Smith", availability=DINER_TIMES),
        "alfred": diner(client, session, settings, "Alfred Jones", availability=DINER_TIMES),
        "fred": diner(client, session, settings, "Fred Friday", availability=[
            {"weekday": FRIDAY, "start": "12:00", "end": "14:00"}]),
    }  # fmt: skip
    sign_in(client, staff)
    return ids


def preview(client: TestClient) -> tuple[str, str]:
    """The preview page and its preview id."""
    page = client.get("/staff/matching/preview")
    assert page.status_code == 200, page.text
    found = re.search(r'name="preview_id" value="([^"]+)"', page.text)
    assert found
    return page.text, found.group(1)


def not_sent(client: TestClient, preview_id: str, pairs: list[str]) -> str:
    """Send a confirmation that sends nothing: the page it redirects to (303), a GET page."""
    answer = client.post(
        "/staff/matching/confirm",
        data={"csrf_token": form_token(client, "/staff/matching"), "preview_id": preview_id,
              "pair": pairs},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/staff/matching/not-sent?why=")
    page = client.get(answer.headers["location"])
    assert page.status_code == 200
    return page.text


def ticked(page: str) -> list[str]:
    return re.findall(r'<input[^>]*name="pair"[^>]*value="([^"]+)"[^>]*checked', page)


def test_batch_preview_shows_every_pair_and_unmatched_diner_and_sends_nothing(
    client: TestClient, session: Session, batch: dict[str, int]
):
    messages = session.exec(select(func.count(col(Notification.id)))).one()
    page, _ = preview(client)
    words = text_of(page)
    assert "No invitation has been sent yet." in words
    assert "2 pairings proposed" in words
    assert sorted(ticked(page)) == sorted(
        [f"{batch['edna']}-{batch['priya']}", f"{batch['alfred']}-{batch['tom']}"]
    ) or sorted(ticked(page)) == sorted(
        [f"{batch['edna']}-{batch['tom']}", f"{batch['alfred']}-{batch['priya']}"]
    )
    for name, kind in (("Edna Smith", "diners"), ("Alfred Jones", "diners"),
                       ("Priya Sharma", "cooks"), ("Tom Okafor", "cooks")):  # fmt: skip
        assert re.search(rf'href="/staff/{kind}/\d+">{name}</a>', page), name
    assert "Tuesdays at 17:30, every week" in words or "Sundays at 12:00, every week" in words
    assert "1 diner could not be matched" in words
    assert f'href="/staff/diners/{batch["fred"]}">Fred Friday</a>' in page
    assert "No nearby cook is free at the times they asked for" in words
    # Nobody shows as both matched and unmatched.
    unmatched = page[page.index('id="unmatched-title"') :]
    assert "Edna Smith" not in unmatched and "Alfred Jones" not in unmatched
    assert "Fred Friday" not in page[: page.index('id="unmatched-title"')]
    # Nothing written: no pairing, no invitation.
    assert session.exec(select(func.count(col(Pairing.id)))).one() == 0
    assert session.exec(select(func.count(col(Notification.id)))).one() == messages


def test_confirm_invites_only_the_ticked_pairs(
    client: TestClient, session: Session, batch: dict[str, int]
):
    page, preview_id = preview(client)
    kept, dropped = sorted(ticked(page))
    token = form_token(client, "/staff/matching")
    sent = client.post(
        "/staff/matching/confirm",
        data={"csrf_token": token, "preview_id": preview_id, "pair": [kept]},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert re.fullmatch(r"/staff/matching/results/\d+", sent.headers["location"])
    done = client.get(sent.headers["location"])
    assert done.status_code == 200, done.text
    words = text_of(done.text)
    assert "1 invitation sent" in words
    kept_diner, kept_cook = (int(x) for x in kept.split("-"))
    assert [(d, c) for d, c, *_ in pairings(session)] == [(kept_diner, kept_cook)]
    invited = words[words.index("Invited") : words.index("Not sent: you unticked them")]
    unticked = words[words.index("Not sent: you unticked them") :]
    names = {batch["edna"]: "Edna Smith", batch["alfred"]: "Alfred Jones"}
    dropped_diner = int(dropped.split("-")[0])
    assert names[kept_diner] in invited and names[dropped_diner] not in invited
    assert names[dropped_diner] in unticked and names[kept_diner] not in unticked


def test_nothing_ticked_is_an_error_on_the_preview(
    client: TestClient, session: Session, batch: dict[str, int]
):
    _, preview_id = preview(client)
    token = form_token(client, "/staff/matching")
    answer = client.post(
        "/staff/matching/confirm",
        data={"csrf_token": token, "preview_id": preview_id},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/matching/preview?error=none-ticked"
    page = client.get(answer.headers["location"])  # a GET: Back to it asks nothing
    assert 'href="#pairs">Tick at least one pairing to send its invitation</a>' in page.text
    assert ticked(page.text) == []  # as they were sent: none ticked
    assert pairings(session) == []


def test_a_stale_preview_says_so_sends_nothing_and_offers_a_new_one(
    client: TestClient, session: Session, settings, staff: User, batch: dict[str, int]
):  # type: ignore[no-untyped-def]
    page, preview_id = preview(client)
    # Meanwhile someone invites a cook for Edna by hand.
    body = {"diner_id": batch["edna"], "cook_id": batch["priya"], "weekday": SUNDAY,
            "start": "12:00", "frequency": "weekly"}  # fmt: skip
    by_hand = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert by_hand.status_code == 201, by_hand.text
    stale = not_sent(client, preview_id, ticked(page))
    words = text_of(stale)
    assert "This preview is out of date" in words and "No invitation was sent." in words
    assert 'href="/staff/matching/preview"' in stale and "Make a new preview" in words
    assert pairings(session) == [(batch["edna"], batch["priya"], SUNDAY, "12:00", "weekly")]
    # A tampered preview id is not one to confirm either.
    other = not_sent(client, preview_id + "x", ticked(page))
    assert "This preview cannot be used" in text_of(other)


def test_old_matching_page_redirects_and_its_script_is_gone(client: TestClient):
    moved = client.get("/staff/matching.html", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/staff/matching"
    again = client.get("/staff/matching/confirm", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/staff/matching"
    assert client.get("/js/pages/staff-matching.js").status_code == 404


def test_matching_pages_need_a_staff_sign_in(client: TestClient, edna: tuple[int, int]):
    diner_id, _ = edna
    for path in ("/staff/matching", "/staff/matching/preview", "/staff/matching/results/1",
                 f"/staff/diners/{diner_id}/match"):  # fmt: skip
        page = client.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/sign-in?next=")


def test_no_suggestion_says_why_in_words(
    client: TestClient, session: Session, settings, staff: User
):  # type: ignore[no-untyped-def]
    cook(client, session, settings, staff, "Priya Sharma", availability=COOK_TIMES)
    fred = diner(client, session, settings, "Fred Friday",
                 availability=[{"weekday": FRIDAY, "start": "12:00", "end": "14:00"}])  # fmt: skip
    sign_in(client, staff)
    words = text_of(client.get(f"/staff/diners/{fred}/match").text)
    assert (
        "No cook can be suggested for Fred now. No nearby cook is free at the times they "
        "asked for." in words
    )
    assert "Invite" not in words


def test_a_conflict_meanwhile_is_shown_on_the_page_not_a_500(
    client: TestClient, session: Session, settings, staff: User, edna: tuple[int, int]
):  # type: ignore[no-untyped-def]
    diner_id, cook_id = edna
    sign_in(client, staff)
    path = f"/staff/diners/{diner_id}/match"
    token = form_token(client, path)
    # Another member of staff invites Priya for Edna by hand meanwhile.
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": TUESDAY, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    by_hand = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert by_hand.status_code == 201, by_hand.text
    again = client.post(
        path,
        data={"cook_id": cook_id, "slot": f"{SUNDAY}-12:00", "frequency": "weekly",
              "csrf_token": token},
    )  # fmt: skip
    assert again.status_code == 422
    assert (
        'href="#suggestions-title">The diner already has a pairing, proposed, active or paused</a>'
        in again.text
    )
    assert "Priya Sharma is invited to cook for Edna: Tuesdays at 17:30" in text_of(again.text)
    assert pairings(session) == [(diner_id, cook_id, TUESDAY, "17:30", "weekly")]


def test_the_same_confirmation_sent_twice_says_the_invitations_were_already_sent(
    client: TestClient, session: Session, settings, staff: User, batch: dict[str, int]
):  # type: ignore[no-untyped-def]
    """An outside check: a reload, or a second click without JavaScript, read "This preview is
    out of date ... No invitation was sent" right after the invitations went."""
    page, preview_id = preview(client)
    pairs = ticked(page)
    form = {"preview_id": preview_id, "pair": pairs}
    first = client.post(
        "/staff/matching/confirm",
        data={"csrf_token": form_token(client, "/staff/matching"), **form},
        follow_redirects=False,
    )
    assert first.status_code == 303, first.text
    words = text_of(not_sent(client, preview_id, pairs))
    assert "These invitations were already sent" in words
    assert "No invitation was sent" not in words and "Nothing was sent again." in words
    assert "Priya Sharma to cook for" in words
    assert len(pairings(session)) == len(pairs)
    # A count beyond those listed is the address's word alone: never shown as a number (a
    # review made a real pair read "and 999999999 more").
    padded = client.get(
        f"/staff/matching/not-sent?why=stale&sent={pairs[0]}&more=999999999&every=1"
    )
    assert "999999999" not in padded.text and "and others" in text_of(padded.text)


def test_a_cooks_absence_after_the_preview_makes_it_out_of_date_and_nothing_is_sent(
    client: TestClient, session: Session, settings, staff: User, batch: dict[str, int]
):  # type: ignore[no-untyped-def]
    """API.md: "a preview older than the data it was made from answers 409". Tom's new absence
    refused only his pair before, and Priya's went ahead (an outside check)."""
    page, preview_id = preview(client)
    pairs = ticked(page)
    council = session.get(Council, staff.council_id)
    assert council is not None
    tomorrow = council_today(council) + timedelta(days=1)
    tom = session.exec(select(User).where(User.full_name == "Tom Okafor")).one()
    away = client.post(
        "/api/cooks/me/away",
        json={"from": str(tomorrow), "to": str(tomorrow + timedelta(days=7))},
        headers=auth_headers(tom, settings),
    )
    assert away.status_code == 200, away.text
    words = text_of(not_sent(client, preview_id, pairs))
    assert "This preview is out of date" in words and "No invitation was sent." in words
    assert pairings(session) == []


def test_a_diners_other_foods_changed_after_the_preview_make_it_out_of_date_and_nothing_is_sent(
    client: TestClient, session: Session, settings, staff: User, batch: dict[str, int]
):  # type: ignore[no-untyped-def]
    """Edna's other foods are what staff checked the pairs against, as her 14 allergens are: a
    change of them alone let the ticked pairs be sent."""
    page, preview_id = preview(client)
    pairs = ticked(page)
    changed = client.patch(
        f"/api/diners/{batch['edna']}",
        json={"other_allergies": "Kiwi fruit"},
        headers=auth_headers(staff, settings),
    )
    assert changed.status_code == 200, changed.text
    words = text_of(not_sent(client, preview_id, pairs))
    assert "This preview is out of date" in words and "No invitation was sent." in words
    assert pairings(session) == []


def test_score_words_say_what_weighs_against_a_cook(
    client: TestClient, session: Session, settings, staff: User
):  # type: ignore[no-untyped-def]
    """Two cooks for Edna: Priya nearby with two free hours; Tom further and already cooking
    for someone, free only half an hour with her. The words say why Tom ranks lower."""
    priya = cook(client, session, settings, staff, "Priya Sharma", availability=COOK_TIMES)
    late = [{"weekday": SUNDAY, "start": "13:30", "end": "15:00"}]
    saturday = [{"weekday": 5, "start": "10:00", "end": "12:00"}]  # Alfred's, another day
    tom = cook(client, session, settings, staff, "Tom Okafor", postcode="N3 3LF",
               availability=late + saturday)  # fmt: skip
    already = diner(client, session, settings, "Alfred Jones", availability=saturday)
    body = {"diner_id": already, "cook_id": tom, "weekday": 5, "start": "10:00",
            "frequency": "weekly"}  # fmt: skip
    made = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert made.status_code == 201, made.text
    edna = diner(client, session, settings, "Edna Smith", availability=DINER_TIMES)
    sign_in(client, staff)
    page = client.get(f"/staff/diners/{edna}/match").text
    assert page.index(f'id="cook-{priya}-name"') < page.index(f'id="cook-{tom}-name"')
    first, second = text_of(card(page, priya)), text_of(card(page, tom))
    assert "Strong match: lives close by, free on both of Edna’s days," in first
    assert "not cooking for anyone yet." in first
    assert "free on 1 of Edna’s 2 days (only 30 minutes together)" in second
    assert "already cooks for others." in second
    assert "Strong match" not in second


def test_a_big_batch_of_ticks_is_read_whole(
    client: TestClient, session: Session, batch: dict[str, int]
):
    """More than 1,000 ticked pairs (Starlette's default field limit) are still read: here
    pairs that are not in the preview, so the preview is refused as a whole."""
    page, preview_id = preview(client)
    many = ticked(page) + [f"{900_000 + i}-{900_000 + i}" for i in range(1_500)]
    assert "This preview cannot be used" in text_of(not_sent(client, preview_id, many))
    assert pairings(session) == []


def test_confirming_a_batch_runs_no_query_on_the_event_loop(
    client: TestClient, session: Session, batch: dict[str, int]
):
    """The confirmation writes; on the event loop, a write waiting for the lock would stop every
    other request (the holder's commit too) until it timed out."""
    page, preview_id = preview(client)
    kept = sorted(ticked(page))[0]
    token = form_token(client, "/staff/matching")
    on_loop: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: no loop runs here
        on_loop.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        done = client.post(
            "/staff/matching/confirm",
            data={"csrf_token": token, "preview_id": preview_id, "pair": [kept]},
            follow_redirects=False,
        )
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    assert done.status_code == 303, done.text
    assert "1 invitation sent" in text_of(client.get(done.headers["location"]).text)
    assert on_loop == []


def test_the_match_page_says_cooks_who_declined_are_not_suggested(
    client: TestClient, session: Session, settings, staff: User
):  # type: ignore[no-untyped-def]
    """An outside check: after the only cook near Edna declined, the page said "Nearby cooks
    have no room", which was not why."""
    user, cook_id = approved_cook(client, session, settings, staff)
    edna = diner(client, session, settings, "Edna Smith")
    body = {"diner_id": edna, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    made = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    declined = client.post(
        f"/api/pairings/{made.json()['id']}/decline", headers=auth_headers(user, settings)
    )
    assert declined.status_code == 200, declined.text
    sign_in(client, staff)
    page = client.get(f"/staff/diners/{edna}/match").text
    assert 'id="set-aside"' in page
    assert "1 cook who declined Edna, or must not be matched with them again, is never" in (
        text_of(page)
    )


# --- post / redirect / get: Back and Reload never offer to send a form again ---------------------


def confirm(client: TestClient, preview_id: str, pairs: list[str]) -> str:
    """Send the ticked pairs; the result page's address (the answer is a 303 to it)."""
    sent = client.post(
        "/staff/matching/confirm",
        data={"csrf_token": form_token(client, "/staff/matching"), "preview_id": preview_id,
              "pair": pairs},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    return sent.headers["location"]


def test_the_preview_is_a_get_page_linked_from_the_start_and_an_old_post_goes_to_it(
    client: TestClient, session: Session, batch: dict[str, int]
):
    start = client.get("/staff/matching").text
    assert re.search(r'<a href="/staff/matching/preview"[^>]*class="govuk-button', start)
    assert 'action="/staff/matching/preview"' not in start
    again = client.get("/staff/matching/preview")  # a reload, or Back from the result
    assert again.status_code == 200 and "2 pairings proposed" in text_of(again.text)
    posted = client.post("/staff/matching/preview", data={}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"] == "/staff/matching/preview"
    assert pairings(session) == []


def test_the_result_page_shows_again_what_was_sent_and_unticked_and_when(
    client: TestClient, session: Session, batch: dict[str, int]
):
    page, preview_id = preview(client)
    kept, dropped = sorted(ticked(page))
    result = confirm(client, preview_id, [kept])
    for _ in range(2):  # a reload shows the same, and sends nothing again
        words = text_of(client.get(result).text)
        assert "1 invitation sent" in words and re.search(r"Sent at \d\d:\d\d on \w+day ", words)
        names = {batch["edna"]: "Edna Smith", batch["alfred"]: "Alfred Jones"}
        kept_diner, dropped_diner = int(kept.split("-")[0]), int(dropped.split("-")[0])
        invited = words[words.index("Invited") : words.index("Not sent: you unticked them")]
        assert names[kept_diner] in invited and ", every week" in invited
        assert names[dropped_diner] in words[words.index("Not sent: you unticked them") :]
    assert len(pairings(session)) == 1
    # Back lands on a new preview (a GET): the pair sent is no longer in it, and the pair
    # left out is there unticked, saying why (ticked, Send would have invited it: a review).
    back = client.get("/staff/matching/preview")
    assert back.status_code == 200 and ticked(back.text) == []
    assert f'value="{dropped}"' in back.text
    assert re.search(r"1 pairing you left out when you sent invitations at \d\d:\d\d on", back.text)
    # The audit log says what was done, not the ids kept for the result page.
    log = text_of(client.get("/staff/audit").text)
    assert "Sent the invitations kept from a matching preview" in log
    assert "Pairing ids" not in log and "Unticked pairs" not in log


def test_the_result_page_is_not_found_for_another_staff_member_or_council(
    client: TestClient, session: Session, staff: User, batch: dict[str, int]
):
    page, preview_id = preview(client)
    result = confirm(client, preview_id, ticked(page))
    colleague = create_user(session, role="staff", council=session.get(Council, staff.council_id))
    camden = create_council(session, slug="camden-test", lad_codes=["E09000007"])
    elsewhere = create_user(session, role="staff", council=camden)
    session.commit()
    for other in (colleague, elsewhere):
        sign_in(client, other)
        assert client.get(result).status_code == 404
    sign_in(client, staff)
    assert client.get(result).status_code == 200
    for wrong in ("0", "99999999", "x", "1" * 12):
        assert client.get(f"/staff/matching/results/{wrong}").status_code == 404
    # Another audit entry of the council's (an invitation) is not a result either.
    invitations = session.exec(
        select(AuditEntry.id).where(AuditEntry.action == "pairing.proposed")
    ).all()
    assert invitations
    for entry_id in invitations:
        assert client.get(f"/staff/matching/results/{entry_id}").status_code == 404


def test_a_refused_pair_is_said_in_words_on_the_result_page(
    client: TestClient, session: Session, staff: User, batch: dict[str, int]
):
    """A pair refused when sent (the data changed between the preview's check and the lock)
    is kept by its rule's code: the page words it with today's names."""
    council = session.get(Council, staff.council_id)
    assert council is not None
    outcome_id = record_outcome(
        session,
        staff=staff,
        council=council,
        pairing_ids=[],
        refused=[(batch["edna"], batch["tom"], "conflict"),
                 (batch["alfred"], batch["priya"], "cook_busy")],
        unticked=[],
    )  # fmt: skip
    session.commit()
    words = text_of(client.get(f"/staff/matching/results/{outcome_id}").text)
    assert "0 invitations sent" in words and "Nothing was sent." in words
    refused = words[words.index("Not sent: things changed since the preview") :]
    assert "Tom Okafor to cook for Edna Smith: Tom has no place left, or Edna is no longer" in (
        refused
    )
    assert "Priya Sharma to cook for Alfred Jones: Priya already cooks for someone else" in refused


def test_the_not_sent_page_lists_only_pairs_invited_indeed(
    client: TestClient, session: Session, batch: dict[str, int]
):
    """Its address names the ticked pairs invited before; a made-up one shows nothing untrue."""
    made_up = f"{batch['edna']}-{batch['priya']},{batch['alfred']}-{batch['tom']}"
    page = client.get(f"/staff/matching/not-sent?why=stale&sent={made_up}&more=5&every=1")
    words = text_of(page.text)
    assert page.status_code == 200 and "This preview is out of date" in words
    assert "already sent" not in words.lower() and "Priya Sharma to cook for" not in words
    assert "and 5 more" not in words
