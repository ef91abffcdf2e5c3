"""Staff's concern pages with JavaScript off: the list (names, filters by cook and diner),
one concern with everyone's names and contacts, notes signed by name, the reference the raiser
sees, triage through the form (errors beside the fields, then a banner), another council's
concern a 404; and `concerns_about`, the rows the cook's and the diner's records show."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models import Concern, Cook, Council, Diner, Pairing, User
from app.pages.staff_concerns import concerns_about
from tests.factories import (
    PairingWorld,
    active_pairing,
    auth_headers,
    cook_payload,
    create_council,
    create_user,
    registered_diner,
)
from tests.pages.helpers import form_token, sign_in, textarea


def raise_concern(
    client: TestClient, headers: dict[str, str], diner_id: int, *, kind: str = "missed_meal",
    serious: bool = False, text: str = "No meal came on Tuesday",
) -> dict:  # fmt: skip
    made = client.post(
        "/api/concerns",
        json={"diner_id": diner_id, "kind": kind, "serious": serious, "description": text},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings, staff: User) -> PairingWorld:
    """Priya Sharma cooks for Edna Smith, whose carer is Asha Patel; real names and contacts."""
    world = active_pairing(client, session, settings, staff)
    world.carer.full_name, world.carer.phone = "Asha Patel", "+447700900123"
    world.cook.full_name = "Priya Sharma"
    staff.full_name = "Grace Okafor"
    session.add_all([world.carer, world.cook, staff])
    session.commit()
    return world


def test_concerns_about_a_cook_or_a_diner_lists_only_theirs_in_this_council_most_urgent_first(
    client: TestClient, session: Session, settings: Settings, world: PairingWorld
):
    small = raise_concern(client, world.carer_headers, world.diner_id)
    serious = raise_concern(
        client, world.cook_headers, world.diner_id, kind="welfare", serious=True, text="Fell"
    )
    # Another diner of the council, with no cook: theirs is not the cook's.
    other_carer, other_diner = registered_diner(client, session, settings, full_name="Alfred Jones")
    alone = raise_concern(client, auth_headers(other_carer, settings), other_diner)
    # Another council's concern never shows.
    elsewhere = create_council(session, slug="camden-test", lad_codes=["E09000007"])
    elsewhere_staff = create_user(session, role="staff", council=elsewhere)
    assert elsewhere_staff.council_id != world.staff.council_id

    council_id = world.staff.council_id or 0
    by_cook = concerns_about(session, council_id=council_id, cook_id=world.cook_id)
    assert [r.id for r in by_cook] == [serious["id"], small["id"]]  # serious first
    first = by_cook[0]
    assert first.reference == serious["reference"] and first.reference.startswith("EP-")
    assert first.category == "Diner’s welfare" and first.serious and first.status == "open"
    assert first.diner_name == "Edna Smith" and first.diner_id == world.diner_id
    assert first.cook_name == "Priya Sharma" and first.cook_id == world.cook_id
    assert first.raised_by_name == "Priya Sharma" and first.raised_by_words == "cook"
    assert by_cook[1].raised_by_name == "Asha Patel" and by_cook[1].raised_by_words == "carer"
    assert by_cook[1].category == "Missed meal" and not by_cook[1].serious

    by_diner = concerns_about(session, council_id=council_id, diner_id=other_diner)
    assert [(r.id, r.cook_id, r.cook_name) for r in by_diner] == [(alone["id"], None, None)]
    everyone = concerns_about(session, council_id=council_id)
    assert {r.id for r in everyone} == {small["id"], serious["id"], alone["id"]}
    assert concerns_about(session, council_id=elsewhere.id or 0) == []
    assert concerns_about(session, council_id=council_id, cook_id=world.cook_id + 999) == []


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed (for reading what a person sees)."""
    words = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([,.;:])", r"\1", words)


def test_a_concern_names_everyone_with_their_contacts_and_the_raisers_reference(
    client: TestClient, session: Session, settings: Settings, world: PairingWorld
):
    made = raise_concern(
        client, world.carer_headers, world.diner_id, kind="welfare", serious=True,
        text="She seemed very tired\nand had not eaten lunch.",
    )  # fmt: skip
    seen_by_raiser = client.get(f"/api/concerns/{made['reference']}", headers=world.carer_headers)
    assert seen_by_raiser.status_code == 200
    sign_in(client, world.staff)
    page = client.get(f"/staff/concerns/{made['id']}")
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert f"Concern {seen_by_raiser.json()['reference']}" in words
    assert "Raised by Their carer, Asha Patel 07700 900123" in words
    assert world.carer.email in words
    assert 'href="tel:+447700900123"' in page.text
    cook = session.get(Cook, world.cook_id)
    diner = session.get(Diner, world.diner_id)
    assert cook is not None and diner is not None
    assert f'href="/staff/cooks/{world.cook_id}">Priya Sharma</a>' in page.text
    assert f'href="/staff/diners/{world.diner_id}">Edna Smith</a>' in page.text
    assert world.cook.email in words and "020 7946 0018" in words  # the cook's contacts
    assert "07911 123456" in words and "3 Quiet Close, N3 1QX" in words  # the diner's
    assert "She seemed very tired" in words and "Diner’s welfare" in words
    assert "Meals with Priya Sharma are paused" in words
    assert "#241" not in words and "Open diner" not in words and "staff account" not in words
    assert "She seemed very tired<br>and had not eaten lunch." in page.text  # lines kept


def test_a_cook_who_moved_to_another_council_is_named_without_the_contacts_they_gave_since(
    client: TestClient, session: Session, world: PairingWorld, tower_hamlets: Council
):
    """A security review: the old council's concern page showed the cook's phone and email as
    they are now, given after the move. Staff see the cook's name, what the concern recorded
    and that the cook is with another council; nothing of how to reach them or where."""
    made = raise_concern(
        client, world.cook_headers, world.diner_id, kind="welfare", text="Edna had a fall"
    )
    moved = client.put(
        "/api/cooks/me",
        json=cook_payload(postcode="E14 5AB", phone="020 7946 0999"),
        headers=world.cook_headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["council"] == "tower-hamlets"
    sign_in(client, world.staff)
    page = client.get(f"/staff/concerns/{made['id']}")
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert "Raised by Their cook, Priya Sharma Now volunteers with another council" in words
    assert "Cook Priya Sharma Now volunteers with another council" in words
    assert 'id="cook-elsewhere"' in page.text and 'id="raiser-elsewhere"' in page.text
    assert "Edna had a fall" in words and "Edna Smith" in words  # what the concern recorded
    assert "020 7946" not in words and "tel:+44207946" not in page.text  # no phone, old or new
    assert world.cook.email not in page.text and "E14" not in words
    assert f"/staff/cooks/{world.cook_id}" not in page.text  # their record is not ours to open
    # The carer, still of this council, is shown with their contacts.
    assert "Asha Patel 07700 900123" in words
    # Nor offered what only the cook's council may do (the service refuses it: below).
    assert 'name="suspend_cook"' not in page.text and 'name="exclude_pair"' in page.text
    assert "Without it ticked, the pairing goes on." in words  # one box left, not two
    # The list names them, without a link to a record that answers 404 now.
    listed = client.get("/staff/concerns")
    row = text_of(listed.text.split(f'href="/staff/concerns/{made["id"]}"')[1].split("</tr>")[0])
    assert row.count("Priya Sharma (now with another council)") == 2, row  # cook and raiser
    assert f"/staff/cooks/{world.cook_id}" not in listed.text
    assert client.get(f"/staff/cooks/{world.cook_id}").status_code == 404


def test_what_was_said_is_shown_as_text_never_as_markup(client: TestClient, world: PairingWorld):
    made = raise_concern(client, world.carer_headers, world.diner_id, text="<b>bold</b> & more")
    sign_in(client, world.staff)
    page = client.get(f"/staff/concerns/{made['id']}")
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page.text and "<b>bold" not in page.text


def test_a_cover_cooks_concern_names_them_as_the_cover_cook_and_the_carer_too(
    client: TestClient, session: Session, settings: Settings, world: PairingWorld
):
    """A concern raised by a cook names them (linked to their record) and still shows the
    carer's contacts, since the raiser is not the carer."""
    made = raise_concern(client, world.cook_headers, world.diner_id, kind="food_hygiene")
    sign_in(client, world.staff)
    words = text_of(client.get(f"/staff/concerns/{made['id']}").text)
    assert "Raised by Their cook, Priya Sharma 020 7946 0018" in words
    assert "Carer Asha Patel 07700 900123" in words


def triage_form(client: TestClient, concern_id: int, data: dict[str, str]):
    token = form_token(client, f"/staff/concerns/{concern_id}")
    return client.post(
        f"/staff/concerns/{concern_id}",
        data={**data, "csrf_token": token},
        follow_redirects=False,
    )


def error_summary(html: str) -> list[tuple[str, str]]:
    found = re.search(r'class="govuk-error-summary.*?</ul>', html, re.DOTALL)
    assert found, "no error summary"
    links = re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', found.group())
    return [(href, html_lib.unescape(text)) for href, text in links]


def test_a_note_over_the_limit_comes_back_whole_beside_its_error(
    client: TestClient, session: Session, world: PairingWorld
):
    # Past 4,000 characters it came back cut, without a word.
    made = raise_concern(client, world.carer_headers, world.diner_id)
    sign_in(client, world.staff)
    answer = triage_form(client, made["id"], {"status": "investigating", "note": "z" * 4500})
    assert error_summary(answer.text) == [("#note", "The note must be 2,000 characters or fewer")]
    assert textarea(answer.text, "note") == "z" * 4500
    # The limit is shown as the note is typed, not only after (a walk).
    page = client.get(f"/staff/concerns/{made['id']}").text
    assert re.search(r'data-module="govuk-character-count"[^>]*data-maxlength="2000"', page)


def test_triage_with_nothing_chosen_names_every_missing_answer_at_once_beside_its_field(
    client: TestClient, session: Session, world: PairingWorld
):
    made = raise_concern(client, world.carer_headers, world.diner_id)
    sign_in(client, world.staff)
    answer = triage_form(client, made["id"], {"note": "  "})
    assert answer.status_code == 422
    assert error_summary(answer.text) == [
        ("#status", "Choose what the status is now"),
        ("#note", "Write a note: what you did or found"),
    ]
    assert answer.text.count('class="govuk-error-message"') == 2
    assert "<title>Error: " in answer.text

    # Suspending without upholding: that box is named, and the note written is kept.
    answer = triage_form(
        client,
        made["id"],
        {"status": "investigating", "note": "Called Asha", "suspend_cook": "yes"},
    )
    assert answer.status_code == 422
    assert error_summary(answer.text) == [
        (
            "#suspend_cook",
            "Only an upheld concern can stop this pair, suspend the cook or let the meals "
            "start again: choose Upheld, or untick it",
        )
    ]
    assert ">Called Asha</textarea>" in answer.text
    # Both wrong: the summary in the page's order, the box before the note below it.
    both = triage_form(client, made["id"], {"status": "investigating", "suspend_cook": "yes"})
    assert [href for href, _ in error_summary(both.text)] == ["#suspend_cook", "#note"]
    assert re.search(
        r'id="suspend_cook" name="suspend_cook" type="checkbox" value="yes" checked', answer.text
    )
    assert re.search(r'value="investigating" checked', answer.text)
    session.expire_all()
    concern = session.get(Concern, made["id"])
    assert concern is not None and concern.status == "open" and concern.notes == []


def test_triage_saves_through_the_service_signs_the_note_by_name_and_shows_a_banner(
    client: TestClient, session: Session, world: PairingWorld
):
    made = raise_concern(client, world.carer_headers, world.diner_id, serious=True)
    sign_in(client, world.staff)
    answer = triage_form(
        client, made["id"], {"status": "investigating", "note": "Called Asha; visiting Friday."}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/staff/concerns/{made['id']}?saved=investigating"
    page = client.get(answer.headers["location"])
    words = text_of(page.text)
    assert (
        '<p class="govuk-notification-banner__heading">Saved. The concern is now being looked '
        "into.</p>" in page.text
    )
    assert "Investigating" in words and "Grace Okafor" in words
    # Adding another note keeps the status it has: it is chosen already.
    assert re.search(r'value="investigating" checked', page.text)
    assert "Grace Okafor, " in words and "Called Asha; visiting Friday." in words
    assert "staff account" not in words
    # The raiser sees it move on, through the API, by the same reference.
    seen = client.get(f"/api/concerns/{made['reference']}", headers=world.carer_headers)
    assert seen.json()["status_text"] == "Being looked into"
    session.expire_all()
    concern = session.get(Concern, made["id"])
    assert concern is not None and concern.status == "investigating"
    assert concern.notes[0]["staff_id"] == world.staff.id
    # The same form sent again (a walk's double click kept the note three times): one note;
    # another note, or the same words later in another status, is kept.
    same = {"status": "investigating", "note": "Called Asha; visiting Friday."}
    assert triage_form(client, made["id"], same).status_code == 303
    other = {"status": "investigating", "note": "Visited: all well."}
    assert triage_form(client, made["id"], other).status_code == 303
    session.expire_all()
    concern = session.get(Concern, made["id"])
    assert [n["text"] for n in concern.notes] == [same["note"], other["note"]]
    # A note kept without its time zone (as the demo's are) is compared all the same, not a 500.
    concern.notes = [*concern.notes[:-1], {**concern.notes[-1], "at": "2026-01-05T10:00:00"}]
    session.add(concern)
    session.commit()
    assert triage_form(client, made["id"], other).status_code == 303
    session.expire_all()
    assert len(session.get(Concern, made["id"]).notes) == 3  # long ago: a new note
    # Without a banner asked for, none shows.
    assert "Saved." not in text_of(client.get(f"/staff/concerns/{made['id']}").text)


def test_upheld_with_suspend_suspends_the_cook_and_stops_the_pair(
    client: TestClient, session: Session, world: PairingWorld
):
    made = raise_concern(client, world.carer_headers, world.diner_id, serious=True)
    sign_in(client, world.staff)
    answer = triage_form(
        client,
        made["id"],
        {"status": "upheld", "note": "Confirmed.", "exclude_pair": "yes", "suspend_cook": "yes"},
    )
    assert answer.status_code == 303
    session.expire_all()
    cook = session.get(Cook, world.cook_id)
    pairing = session.get(Pairing, world.pairing_id)
    assert cook is not None and cook.status == "suspended"
    assert pairing is not None and pairing.status == "ended"
    page = text_of(client.get(answer.headers["location"]).text)
    assert "Saved. The concern is now upheld." in page
    assert "This concern is upheld: that stays. You can add a note." in page
    # Moving it on to "resolved" is refused beside the field, and the cook stays suspended.
    again = triage_form(client, made["id"], {"status": "resolved", "note": "Nothing wrong."})
    assert again.status_code == 422
    assert "to lift the cook's suspension, reinstate them from their record" in text_of(again.text)


def test_the_list_names_diner_cook_and_raiser_and_filters_by_cook_diner_and_status(
    client: TestClient, session: Session, settings: Settings, world: PairingWorld
):
    small = raise_concern(client, world.carer_headers, world.diner_id)
    serious = raise_concern(
        client, world.cook_headers, world.diner_id, serious=True, kind="welfare"
    )
    other_carer, other_diner = registered_diner(client, session, settings, full_name="Alfred Jones")
    alone = raise_concern(client, auth_headers(other_carer, settings), other_diner)
    sign_in(client, world.staff)

    page = client.get("/staff/concerns")
    assert page.status_code == 200
    refs = re.findall(r'href="/staff/concerns/(\d+)">(EP-[A-Z0-9]{6})</a>', page.text)
    # Serious first, then the oldest.
    assert [int(i) for i, _ in refs] == [serious["id"], small["id"], alone["id"]]
    assert refs[0][1] == serious["reference"]
    assert (
        f'<a class="govuk-link" href="/staff/diners/{world.diner_id}">Edna Smith</a>' in page.text
    )
    assert (
        f'<a class="govuk-link" href="/staff/cooks/{world.cook_id}">Priya Sharma</a>' in page.text
    )
    assert f'<a class="govuk-link" href="/staff/diners/{other_diner}">Alfred Jones</a>' in page.text
    words = text_of(page.text)
    assert "Asha Patel (carer)" in words and "Priya Sharma (cook)" in words
    assert "New raised today" in words and "Diner’s welfare" in words and "Missed meal" in words
    assert "#" + str(world.diner_id) not in words

    by_cook = client.get(f"/staff/concerns?cook={world.cook_id}")
    ids = [int(i) for i in re.findall(r'href="/staff/concerns/(\d+)"', by_cook.text)]
    assert ids == [serious["id"], small["id"]]
    assert "Concerns about Priya Sharma" in text_of(by_cook.text)
    by_diner = client.get(f"/staff/concerns?diner={other_diner}")
    assert [int(i) for i in re.findall(r'href="/staff/concerns/(\d+)"', by_diner.text)] == [
        alone["id"]
    ]

    triage_form(client, small["id"], {"status": "resolved", "note": "Meal came late."})
    resolved = client.get("/staff/concerns?status=resolved")
    assert [int(i) for i in re.findall(r'href="/staff/concerns/(\d+)"', resolved.text)] == [
        small["id"]
    ]
    assert "1 resolved concern" in text_of(resolved.text)
    everything = client.get("/staff/concerns")
    ids = [int(i) for i in re.findall(r'href="/staff/concerns/(\d+)"', everything.text)]
    assert ids == [serious["id"], alone["id"], small["id"]]  # the closed one last
    # A nonsense status shows every concern, never an error.
    assert client.get("/staff/concerns?status=nonsense&cook=abc").status_code == 200


def test_the_list_pages_keeping_its_filters(client: TestClient, world: PairingWorld):
    for n in range(27):
        raise_concern(client, world.carer_headers, world.diner_id, text=f"Number {n}")
    sign_in(client, world.staff)
    first = client.get(f"/staff/concerns?status=open&diner={world.diner_id}")
    assert len(re.findall(r'href="/staff/concerns/\d+"', first.text)) == 25
    assert f"/staff/concerns?status=open&amp;diner={world.diner_id}&amp;page=2" in first.text
    second = client.get(f"/staff/concerns?status=open&diner={world.diner_id}&page=2")
    assert len(re.findall(r'href="/staff/concerns/\d+"', second.text)) == 2
    # Past the last page (a stale link): to the last one, the filters kept.
    beyond = client.get(
        f"/staff/concerns?status=open&diner={world.diner_id}&page=7", follow_redirects=False
    )
    assert beyond.status_code == 303
    assert beyond.headers["location"] == (
        f"/staff/concerns?status=open&diner={world.diner_id}&page=2"
    )


def test_another_councils_concern_or_person_is_not_found_and_other_roles_are_refused(
    client: TestClient, session: Session, settings: Settings, world: PairingWorld
):
    made = raise_concern(client, world.carer_headers, world.diner_id)
    elsewhere = create_council(session, slug="camden-test", lad_codes=["E09000007"])
    their_staff = create_user(session, role="staff", council=elsewhere)
    session.commit()
    sign_in(client, their_staff)
    assert client.get(f"/staff/concerns/{made['id']}").status_code == 404
    assert client.get(f"/staff/concerns?cook={world.cook_id}").status_code == 404
    assert client.get(f"/staff/concerns?diner={world.diner_id}").status_code == 404
    assert made["reference"] not in client.get("/staff/concerns").text
    token = form_token(client, "/staff/concerns")
    posted = client.post(
        f"/staff/concerns/{made['id']}",
        data={"status": "resolved", "note": "Not ours", "csrf_token": token},
        follow_redirects=False,
    )
    assert posted.status_code == 404
    session.expire_all()
    concern = session.get(Concern, made["id"])
    assert concern is not None and concern.status == "open"
    assert client.get("/staff/concerns/999999").status_code == 404
    assert client.get("/staff/concerns/abc").status_code == 404


def test_signed_out_goes_to_sign_in_and_a_carer_is_refused(client: TestClient, world: PairingWorld):
    made = raise_concern(client, world.carer_headers, world.diner_id)
    away = client.get(f"/staff/concerns/{made['id']}", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/sign-in?next=")
    sign_in(client, world.carer)
    assert client.get("/staff/concerns").status_code == 403


def test_triage_without_the_form_token_is_refused(
    client: TestClient, session: Session, world: PairingWorld
):
    made = raise_concern(client, world.carer_headers, world.diner_id)
    sign_in(client, world.staff)
    posted = client.post(
        f"/staff/concerns/{made['id']}",
        data={"status": "resolved", "note": "No token"},
        follow_redirects=False,
    )
    assert posted.status_code == 403
    session.expire_all()
    concern = session.get(Concern, made["id"])
    assert concern is not None and concern.status == "open"


def test_the_old_static_addresses_redirect_to_the_new_pages(client: TestClient):
    old = client.get("/staff/concerns.html?status=investigating", follow_redirects=False)
    assert (
        old.status_code == 301 and old.headers["location"] == "/staff/concerns?status=investigating"
    )
    old = client.get("/staff/concerns.html", follow_redirects=False)
    assert old.headers["location"] == "/staff/concerns"
    old = client.get("/staff/concern.html?id=12", follow_redirects=False)
    assert old.status_code == 301 and old.headers["location"] == "/staff/concerns/12"
    old = client.get("/staff/concern.html?id=x", follow_redirects=False)
    assert old.headers["location"] == "/staff/concerns"


def test_a_rule_the_service_keeps_shows_beside_its_field_and_nothing_is_saved(
    client: TestClient, session: Session, world: PairingWorld
):
    """The cook moved to another council after the concern: only their council may suspend
    them (the triage service's rule), said beside the box; the note is kept."""
    made = raise_concern(client, world.carer_headers, world.diner_id, serious=True)
    elsewhere = create_council(session, slug="camden-rule", lad_codes=["E09000007"])
    cook = session.get(Cook, world.cook_id)
    assert cook is not None
    cook.council_id = elsewhere.id or 0
    session.add(cook)
    session.commit()
    sign_in(client, world.staff)
    answer = triage_form(
        client, made["id"], {"status": "upheld", "note": "Confirmed.", "suspend_cook": "yes"}
    )
    assert answer.status_code == 422
    assert error_summary(answer.text) == [
        (
            "#suspend_cook",
            "This cook is no longer in your council's area: their council decides on them",
        )
    ]
    assert answer.text.count('class="govuk-error-message"') == 1  # beside the boxes
    assert ">Confirmed.</textarea>" in answer.text
    session.expire_all()
    concern = session.get(Concern, made["id"])
    assert concern is not None and concern.status == "open" and concern.notes == []
    refreshed = session.get(Cook, world.cook_id)
    assert refreshed is not None and refreshed.status == "approved"


def test_upholding_a_concern_that_paused_the_meals_asks_what_happens_next(
    client: TestClient, session: Session, world: PairingWorld
):
    """Upheld with nothing ticked started the paused meals again unasked (an outside check:
    a cook who asked the diner for money was back at the door): the page offers "let the
    meals start again" as a choice, and names the missing answer beside the boxes."""
    made = raise_concern(
        client, world.carer_headers, world.diner_id, kind="cook_behaviour", serious=True,
        text="Asked Edna for money",
    )  # fmt: skip
    sign_in(client, world.staff)
    page = client.get(f"/staff/concerns/{made['id']}")
    assert 'id="resume_meals" name="resume_meals"' in page.text
    assert "Their meals are paused for this concern: tick what happens next." in page.text

    answer = triage_form(client, made["id"], {"status": "upheld", "note": "They admitted it"})
    assert answer.status_code == 422
    assert error_summary(answer.text) == [
        (
            "#resume_meals",
            "This concern paused the meals: say what happens next: never match this pair "
            "again, suspend the cook, or let the meals start again",
        )
    ]
    session.expire_all()
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None and (pairing.status, pairing.pause_reason) == ("paused", "concern")

    kept_apart = triage_form(
        client,
        made["id"],
        {"status": "upheld", "note": "They admitted it", "exclude_pair": "yes"},
    )
    assert kept_apart.status_code == 303, kept_apart.text
    session.expire_all()
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None and pairing.status == "ended"
