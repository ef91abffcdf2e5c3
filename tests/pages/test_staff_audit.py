"""Staff's audit log with JavaScript off: filtered by a diner, a cook or a pairing and by what
was done (another council's entries never), a bad number beside its field; and a record seen
again within `audit.VIEW_WINDOW` audited once, not once per reload."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.audit import VIEW_WINDOW
from app.config import Settings
from app.db import utcnow
from app.meals.staff_cover import arrange_cover
from app.models import AuditEntry, Concern, Cook, Council, Meal, User
from app.moderation.service import COOK_VIEWED
from app.privacy.erasure_requests import request_erasure, withdraw_erasure
from tests.factories import (
    PairingWorld,
    active_pairing,
    approved_cook,
    auth_headers,
    create_user,
    registered_diner,
)
from tests.pages.helpers import sign_in, title
from tests.pages.test_staff_home import text_of


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings, staff: User) -> PairingWorld:
    return active_pairing(client, session, settings, staff)


def views(session: Session, *, actor: User, action: str, subject_id: int) -> int:
    return session.exec(
        select(func.count()).where(
            AuditEntry.actor_id == actor.id,
            AuditEntry.action == action,
            AuditEntry.subject_id == subject_id,
        )
    ).one()


def later_by(monkeypatch: pytest.MonkeyPatch, gap: timedelta) -> None:
    """The audit's clock moved on by `gap` (the window is read from it)."""
    then = utcnow() + gap
    monkeypatch.setattr("app.audit.utcnow", lambda: then)


def field_of(page_html: str, name: str) -> str:
    """The <input> named `name`."""
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page_html)
    assert found, name
    return found.group(0)


def entries(page_html: str) -> str:
    """The words of the log's entries (not of the form, whose list names every action)."""
    return (
        text_of(page_html.split("<tbody", 1)[1].split("</tbody>", 1)[0])
        if "<tbody" in (page_html)
        else ""
    )


def raise_concern(client: TestClient, world: PairingWorld) -> int:
    made = client.post(
        "/api/concerns",
        json={"diner_id": world.diner_id, "kind": "missed_meal", "description": "No meal came"},
        headers=world.carer_headers,
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


# --- one view a window, not one a reload ----------------------------------------------------


def test_reloading_a_concern_page_audits_one_view_when_within_the_window(
    client: TestClient, session: Session, staff: User, world: PairingWorld, monkeypatch
):
    concern_id = raise_concern(client, world)
    sign_in(client, staff)
    for _ in range(10):
        assert client.get(f"/staff/concerns/{concern_id}").status_code == 200
    seen = views(session, actor=staff, action="diner.address_viewed", subject_id=world.diner_id)
    assert seen == 1
    # The diner's record shows the same address: the same kind of view, within the window.
    assert client.get(f"/staff/diners/{world.diner_id}").status_code == 200
    assert (
        views(session, actor=staff, action="diner.address_viewed", subject_id=world.diner_id) == 1
    )

    later_by(monkeypatch, VIEW_WINDOW + timedelta(seconds=1))
    assert client.get(f"/staff/concerns/{concern_id}").status_code == 200
    assert (
        views(session, actor=staff, action="diner.address_viewed", subject_id=world.diner_id) == 2
    )


def test_another_staff_members_view_is_audited_when_within_the_first_ones_window(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    barnet: Council,
    world: PairingWorld,
):
    """Per person: the JSON API's read of the diner is the same kind of view as the page's."""
    other = create_user(session, role="staff", council=barnet)
    for viewer in (staff, staff, other, other):
        path = f"/api/staff/diners/{world.diner_id}"
        assert client.get(path, headers=auth_headers(viewer, settings)).status_code == 200
    for viewer in (staff, other):
        seen = views(
            session, actor=viewer, action="diner.address_viewed", subject_id=world.diner_id
        )
        assert seen == 1


def test_reloading_a_cooks_record_audits_one_view_when_within_the_window(
    client: TestClient, session: Session, staff: User, world: PairingWorld, monkeypatch
):
    sign_in(client, staff)
    for _ in range(3):
        assert client.get(f"/staff/cooks/{world.cook_id}").status_code == 200
    assert views(session, actor=staff, action=COOK_VIEWED, subject_id=world.cook_id) == 1
    later_by(monkeypatch, VIEW_WINDOW + timedelta(seconds=1))
    assert client.get(f"/staff/cooks/{world.cook_id}").status_code == 200
    assert views(session, actor=staff, action=COOK_VIEWED, subject_id=world.cook_id) == 2


# --- the log narrowed to a record and to what was done ------------------------------------


def tag(session: Session, council_id: int | None, kind: str, subject_id: int, mark: str) -> None:
    """An entry about a record, told apart on the page by its "Mark" detail."""
    session.add(
        AuditEntry(
            actor_id=None,
            council_id=council_id,
            action="diner.changed",
            subject_type=kind,
            subject_id=subject_id,
            data={"mark": mark},
        )
    )


def test_the_log_filtered_by_a_diner_shows_only_the_entries_about_them_and_their_pairings(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
    world: PairingWorld,
):
    _, other_diner = registered_diner(client, session, settings, full_name="Alfred Jones")
    concern_id = raise_concern(client, world)
    tag(session, staff.council_id, "diner", world.diner_id, "edna")
    tag(session, staff.council_id, "pairing", world.pairing_id, "their-pairing")
    tag(session, staff.council_id, "concern", concern_id, "their-concern")
    tag(session, staff.council_id, "diner", other_diner, "alfred")
    tag(session, staff.council_id, "cook", world.cook_id, "the-cook")
    tag(session, tower_hamlets.id, "diner", world.diner_id, "elsewhere")  # another council's
    session.commit()
    sign_in(client, staff)

    everything = text_of(client.get("/staff/audit").text)
    assert all(f"Mark: {m}" in everything for m in ("edna", "alfred", "the-cook"))
    page = client.get(f"/staff/audit?diner={world.diner_id}")
    assert page.status_code == 200
    assert title(page) == "Audit log: Edna Smith, 7 found – Extra Portion"
    words = text_of(page.text)
    for shown in ("edna", "their-pairing", "their-concern"):
        assert f"Mark: {shown}" in words
    assert "Raised a concern" in words and "The cook accepted the invitation" in words
    for hidden in ("alfred", "the-cook", "elsewhere"):
        assert hidden not in words
    assert f'value="{world.diner_id}"' in field_of(page.text, "diner")  # the filter, kept
    assert f'href="/staff/diners/{world.diner_id}">See Edna Smith’s record</a>' in page.text

    # Another council's staff: the diner is not theirs, so not found (never Barnet's entries),
    # said beside the field as for a number no diner has, with what was typed kept.
    sign_in(client, create_user(session, role="staff", council=tower_hamlets))
    elsewhere = client.get(f"/staff/audit?diner={world.diner_id}")
    assert elsewhere.status_code == 404 and "Mark:" not in elsewhere.text
    assert "Edna" not in elsewhere.text
    message = f"There is no diner number {world.diner_id} in your council"
    assert f'<a href="#diner">{message}</a>' in elsewhere.text
    assert f'value="{world.diner_id}"' in field_of(elsewhere.text, "diner")


def test_the_log_filtered_by_a_cook_shows_the_entries_about_them_and_their_pairings(
    client: TestClient, session: Session, settings: Settings, staff: User, world: PairingWorld
):
    _, other_diner = registered_diner(client, session, settings, full_name="Alfred Jones")
    tag(session, staff.council_id, "cook", world.cook_id, "the-cook")
    tag(session, staff.council_id, "pairing", world.pairing_id, "their-pairing")
    tag(session, staff.council_id, "diner", world.diner_id, "edna")  # the diner's, not the cook's
    tag(session, staff.council_id, "diner", other_diner, "alfred")
    tag(session, staff.council_id, "user", world.cook.id or 0, "their-account")
    tag(session, staff.council_id, "user", world.carer.id or 0, "the-carers-account")
    session.commit()
    sign_in(client, staff)
    words = text_of(client.get(f"/staff/audit?cook={world.cook_id}").text)
    assert "Mark: the-cook" in words and "Mark: their-pairing" in words
    # Their account's too (signed out everywhere by staff), not another person's (a review)
    assert "Mark: their-account" in words and "the-carers-account" not in words
    assert "edna" not in words and "alfred" not in words
    # A cook and a diner: the entries about both (their pairing).
    both = text_of(client.get(f"/staff/audit?cook={world.cook_id}&diner={world.diner_id}").text)
    assert "Mark: their-pairing" in both
    assert "the-cook" not in both and "Mark: edna" not in both


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("diner=abc", "diner", "Enter the diner number in figures, like 42"),
        ("cook=-3", "cook", "Enter the cook number in figures, like 42"),
        # Figures all the same: what is wrong is that no record has such a number (a review).
        ("pairing=1234567890", "pairing", "There is no pairing number 1234567890 in your council"),
        (
            "diner=1234567890123456789012345",
            "diner",
            "There is no diner number 1234567890123456789012345 in your council",
        ),
        ("cook=0", "cook", "There is no cook number 0 in your council"),
        ("action=drop.table", "action", "Select what was done from the list"),
    ],
)
def test_a_bad_filter_is_shown_beside_its_field_when_asked_for(
    client: TestClient, staff: User, query: str, field: str, message: str
):
    sign_in(client, staff)
    kept = "" if field == "action" else "&action=diner.changed"  # a good field, kept too
    page = client.get(f"/staff/audit?{query}{kept}")
    assert page.status_code == 400
    assert title(page).startswith("Error: Audit log")
    assert f'<a href="#{field}">{message}</a>' in page.text  # the error summary
    beside = re.search(
        rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', page.text, re.S
    )
    assert beside is not None and message in beside.group(1)
    if field != "action":
        assert f'value="{query.split("=")[1]}"' in field_of(page.text, field)  # as typed
        assert '<option value="diner.changed" selected>' in page.text


def test_the_log_filtered_by_what_was_done_keeps_the_filter_when_paged(
    client: TestClient, session: Session, staff: User, world: PairingWorld
):
    for n in range(30):
        tag(session, staff.council_id, "diner", world.diner_id, f"change-{n}")
    session.commit()
    sign_in(client, staff)
    query = f"diner={world.diner_id}&action=diner.changed"
    first = client.get(f"/staff/audit?{query}")
    assert "Entries 1 to 25 of 30 (page 1 of 2)" in text_of(first.text)
    assert f'href="/staff/audit?diner={world.diner_id}&amp;action=diner.changed&amp;page=2"' in (
        first.text
    )
    second = text_of(client.get(f"/staff/audit?{query}&page=2").text)
    assert "Entries 26 to 30 of 30" in second and "Mark: change-4" in second
    assert "Mark: change-5" not in second and "The cook accepted the invitation:" not in second


def test_a_diners_and_a_cooks_record_link_to_their_audit_log(
    client: TestClient, staff: User, world: PairingWorld
):
    sign_in(client, staff)
    diner = client.get(f"/staff/diners/{world.diner_id}").text
    assert f'href="/staff/audit?diner={world.diner_id}">See the audit log for this diner</a>' in (
        diner
    )
    cook = client.get(f"/staff/cooks/{world.cook_id}").text
    assert f'href="/staff/audit?cook={world.cook_id}">See the audit log for this cook</a>' in cook


def test_the_log_filtered_by_a_pairing_shows_the_entries_about_it_and_its_concerns(
    client: TestClient, session: Session, staff: User, world: PairingWorld
):
    concern_id = raise_concern(client, world)  # about the diner's current pairing
    tag(session, staff.council_id, "pairing", world.pairing_id, "the-pairing")
    tag(session, staff.council_id, "diner", world.diner_id, "edna")
    session.commit()
    sign_in(client, staff)
    page = client.get(f"/staff/audit?pairing={world.pairing_id}")
    words = text_of(page.text)
    assert "Mark: the-pairing" in words and "Mark: edna" not in words
    concern = session.get(Concern, concern_id)
    assert concern is not None and concern.pairing_id == world.pairing_id
    assert "Raised a concern" in words
    assert f'href="/staff/diners/{world.diner_id}">See Edna Smith’s record, where the pairing' in (
        page.text
    )


def test_a_number_with_zeros_in_front_is_the_record_of_that_number(
    client: TestClient, session: Session, staff: User, world: PairingWorld
):
    """Ten figures or more are not refused as too long when they are the number with zeros in
    front (it read "Enter the cook number in figures")."""
    tag(session, staff.council_id, "cook", world.cook_id, "the-cook")
    session.commit()
    sign_in(client, staff)
    typed = f"{world.cook_id:010d}"
    page = client.get(f"/staff/audit?cook={typed}")
    assert page.status_code == 200, text_of(page.text)
    assert "Mark: the-cook" in text_of(page.text)
    assert f'value="{typed}"' in field_of(page.text, "cook")


def cover_recorded(
    client: TestClient, session: Session, settings: Settings, staff: User, world: PairingWorld
) -> int:
    """Priya is away for Edna's next meal; staff record that Helen (N3 1BU) will cover it.
    Helen's cook id."""
    meal = client.get("/api/cooks/me/meals", headers=world.cook_headers).json()["items"][0]
    away = {"from": meal["date"], "to": meal["date"]}
    assert client.post("/api/cooks/me/away", json=away, headers=world.cook_headers).is_success
    helper, helper_id = approved_cook(client, session, settings, staff, postcode="N3 1BU")
    helper.full_name = "Helen Helper"
    session.add(helper)
    arrange_cover(session, staff=staff, meal_id=meal["id"], cook_id=helper_id)
    session.commit()
    return helper_id


def test_the_log_filtered_by_a_cook_shows_the_covers_recorded_for_them(
    client: TestClient, session: Session, settings: Settings, staff: User, world: PairingWorld
):
    """A cover's entry is about the diner and names the cook in its data: the cook's log left
    it out (a review)."""
    helper_id = cover_recorded(client, session, settings, staff, world)
    sign_in(client, staff)
    cover = "Recorded that a cook will cover a meal: Helen Helper for Edna Smith"
    assert cover in entries(client.get(f"/staff/audit?cook={helper_id}").text)
    # With the diner too: it is about both. Not in the log of Priya, who was away.
    both = entries(client.get(f"/staff/audit?cook={helper_id}&diner={world.diner_id}").text)
    assert cover in both
    assert cover not in entries(client.get(f"/staff/audit?cook={world.cook_id}").text)
    # Nor in another cook's with the same diner: the cook named must be theirs.
    _, other_id = approved_cook(client, session, settings, staff, postcode="N3 1QX")
    session.commit()
    assert cover not in entries(client.get(f"/staff/audit?cook={other_id}").text)
    assert "No entries match" in text_of(
        client.get(f"/staff/audit?cook={other_id}&diner={world.diner_id}").text
    )


def test_a_cover_that_fell_through_stays_in_the_log_of_the_cook_it_was_recorded_with(
    client: TestClient, session: Session, settings: Settings, staff: User, world: PairingWorld
):
    """The cook's log finds covers by the diners of the meals they bring and of the messages
    they were sent: Helen going away that day gives the meal back to nobody, and what staff
    recorded with her stays in her log."""
    helper_id = cover_recorded(client, session, settings, staff, world)
    helper = session.get(User, session.exec(select(Cook.user_id).where(Cook.id == helper_id)).one())
    assert helper is not None
    covered = session.exec(select(Meal).where(Meal.cook_id == helper_id)).one()
    away = {"from": covered.date.isoformat(), "to": covered.date.isoformat()}
    went = client.post("/api/cooks/me/away", json=away, headers=auth_headers(helper, settings))
    assert went.is_success, went.text
    session.expire_all()
    assert session.exec(select(Meal).where(Meal.cook_id == helper_id)).all() == []
    sign_in(client, staff)
    cover = "Recorded that a cook will cover a meal: Helen Helper for Edna Smith"
    assert cover in entries(client.get(f"/staff/audit?cook={helper_id}").text)


def test_the_log_filtered_by_a_diner_shows_their_carers_request_to_erase_them(
    client: TestClient, session: Session, settings: Settings, staff: User, world: PairingWorld
):
    """The request's entry is about the carer's account and names the diner in its data: the
    diner's log left it out (a review). Not another carer's, nor the cook's log."""
    _, other_diner = registered_diner(client, session, settings, full_name="Alfred Jones")
    assert request_erasure(session, user=world.carer, settings=settings) == 1
    session.commit()
    sign_in(client, staff)
    asked = f"Asked for their data to be erased: {world.carer.full_name}"
    assert asked in entries(client.get(f"/staff/audit?diner={world.diner_id}").text)
    assert asked not in entries(client.get(f"/staff/audit?diner={other_diner}").text)
    assert asked not in entries(client.get(f"/staff/audit?cook={world.cook_id}").text)
    # Taken back: the diner's log says so too, not the request alone as if still due (a review).
    assert withdraw_erasure(session, user=world.carer, settings=settings) == 1
    session.commit()
    took = f"Took back their request for their data to be erased: {world.carer.full_name}"
    assert took in entries(client.get(f"/staff/audit?diner={world.diner_id}").text)
    assert took not in entries(client.get(f"/staff/audit?diner={other_diner}").text)
