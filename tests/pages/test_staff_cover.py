"""Staff's page for one meal's cover, with JavaScript off (a newcomer's walk: the meals needing a
cover cook were listed on the staff home with nothing to do about them): the home links each
meal to it; it lists the cooks who could cover (record, phone, distance, met, asked) and says
so when there are none; recording that a cook agreed gives them the meal as if they took it
(told, audited); a cook who cannot cover is refused beside the field; another council's staff
get a 404; a meal taken meanwhile says so."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import utcnow
from app.models import AuditEntry, Cook, Council, Diner, Meal, Notification, User
from app.vocab import MealStatus
from tests.factories import (
    PairingWorld,
    active_pairing,
    approved_cook,
    auth_headers,
    cook_payload,
    create_council,
    create_user,
)
from tests.pages.helpers import form_token, sign_in
from tests.pages.test_staff_home import text_of


@dataclass(frozen=True)
class Cover:
    """Priya (the regular cook) is away for Edna's next meal; Helen Helper (N3 1BU) was asked
    to cover it, Fred Faraway (EN5 1AA, walks 800 m) cannot."""

    world: PairingWorld
    meal_id: int
    helper: User
    helper_id: int
    far_id: int

    @property
    def page(self) -> str:
        return f"/staff/meals/{self.meal_id}/cover"


@pytest.fixture
def cover(client: TestClient, session: Session, settings: Settings, staff: User) -> Cover:
    world = active_pairing(client, session, settings, staff)
    helper, helper_id = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Helen"
    )
    helper.full_name = "Helen Helper"
    far, far_id = approved_cook(
        client, session, settings, staff, postcode="EN5 1AA", walk_radius_m=800
    )
    far.full_name = "Fred Faraway"
    diner = session.get(Diner, world.diner_id)
    assert diner is not None
    diner.full_name = "Edna Smith"
    session.add_all([helper, far, diner])
    session.commit()
    meal = client.get("/api/cooks/me/meals", headers=world.cook_headers).json()["items"][0]
    away = {"from": meal["date"], "to": meal["date"]}
    assert client.post("/api/cooks/me/away", json=away, headers=world.cook_headers).is_success
    assert session.get(Meal, meal["id"]).status == MealStatus.needs_cover  # type: ignore[union-attr]
    return Cover(world, meal["id"], helper, helper_id, far_id)


def record(client: TestClient, cover: Cover, **data: str) -> Response:
    token = form_token(client, cover.page)
    return client.post(cover.page, data={"csrf_token": token, **data}, follow_redirects=False)


def test_staff_home_and_the_diners_record_link_a_meal_needing_cover_to_its_cover_page(
    client: TestClient, staff: User, cover: Cover
):
    sign_in(client, staff)
    home = client.get("/staff/").text
    section = home.split('id="cover"', 1)[1].split("<h2", 1)[0]
    assert f'href="{cover.page}"' in section
    assert "Find a cover cook" in text_of(section)
    record = client.get(f"/staff/diners/{cover.world.diner_id}").text
    coming = record.split("Coming up", 1)[1].split("</table>", 1)[0]
    assert f'href="{cover.page}"' in coming and "no cover cook yet" in text_of(coming)


def test_cover_page_lists_the_cooks_who_could_cover_with_distance_and_whether_asked(
    client: TestClient, session: Session, staff: User, cover: Cover
):
    sign_in(client, staff)
    page = client.get(cover.page)
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert "Cover for Edna Smith’s meal" in text
    assert f'href="/staff/diners/{cover.world.diner_id}"' in page.text
    assert f'href="/staff/cooks/{cover.world.cook_id}"' in page.text and "(away)" in text
    # The diner's needs (PairingWorld: vegetarian, peanuts, soft and bite-sized).
    assert "Vegetarian" in text and "Peanuts" in text and "Soft" in text
    rows = page.text.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert f'href="/staff/cooks/{cover.helper_id}"' in rows
    helper_row = text_of(rows)
    assert "Helen Helper" in helper_row and "Yes, sent a request" in helper_row
    assert re.search(r"\d+ m", helper_row)  # staff words: to the nearest 10 m
    assert "Fred Faraway" not in text  # out of his walk: not a candidate
    # Only what staff pages show already: never the diner's address or access notes.
    diner = session.get(Diner, cover.world.diner_id)
    assert diner is not None and diner.address_line not in page.text
    assert 'name="cook_id"' in page.text and f'value="{cover.helper_id}"' in page.text


def test_cover_page_says_plainly_what_to_do_when_no_cook_could_cover(
    client: TestClient, session: Session, settings: Settings, staff: User, cover: Cover
):
    day = session.get(Meal, cover.meal_id).date.isoformat()  # type: ignore[union-attr]
    away = client.post(
        "/api/cooks/me/away",
        json={"from": day, "to": day},
        headers=auth_headers(cover.helper, settings),
    )
    assert away.is_success, away.text
    sign_in(client, staff)
    page = client.get(cover.page)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "No approved cook nearby is free then" in text
    assert "Tell Edna’s carer that the meal will not come" in text
    assert 'name="cook_id"' not in page.text  # nothing to choose


def test_recording_a_cover_gives_the_meal_to_the_cook_as_if_they_took_it_and_is_audited(
    client: TestClient, session: Session, settings: Settings, staff: User, cover: Cover
):
    sign_in(client, staff)
    done = record(client, cover, cook_id=str(cover.helper_id), agreed="yes")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/staff/diners/{cover.world.diner_id}?covered=1"
    session.expire_all()
    meal = session.get(Meal, cover.meal_id)
    assert meal is not None
    assert (meal.status, meal.cook_id, meal.is_cover) == ("scheduled", cover.helper_id, True)
    told = {
        n.to_user_id: n
        for n in session.exec(select(Notification).where(Notification.event == "cover_arranged"))
    }
    # As when the cook takes it: the carer and the regular cook hear who will bring it (the
    # staff member who arranged it knows); and the cook has in writing what they agreed.
    assert set(told) == {cover.world.carer.id, cover.world.cook.id, cover.helper.id}
    assert told[cover.world.carer.id].body.startswith("Helen will bring Edna's meal")
    assert told[cover.helper.id].subject.startswith("You are bringing Edna's meal")
    assert "free from peanuts" in told[cover.helper.id].body
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "meal.cover_arranged"))
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (
        staff.id,
        "diner",
        cover.world.diner_id,
    )
    assert entry.data["meal_id"] == cover.meal_id and entry.data["cook_id"] == cover.helper_id
    # The log says which cook, not only whose meal (a review).
    log = text_of(client.get("/staff/audit").text)
    helper_name = session.get(User, cover.helper.id).full_name  # type: ignore[union-attr]
    assert f"Recorded that a cook will cover a meal: {helper_name} for Edna Smith" in log
    # The meal is now on the cook's own list, with its address, as a cover they took.
    theirs = client.get("/api/cooks/me/meals", headers=auth_headers(cover.helper, settings))
    assert cover.meal_id in [m["id"] for m in theirs.json()["items"]]
    shown = text_of(client.get(done.headers["location"]).text)
    assert "The cover is recorded." in shown


def test_a_cook_who_cannot_cover_is_refused_beside_the_field_and_nothing_is_lost(
    client: TestClient, session: Session, staff: User, cover: Cover
):
    sign_in(client, staff)
    refused = record(client, cover, cook_id=str(cover.far_id), agreed="yes")
    assert refused.status_code == 422, refused.text
    assert "There is a problem" in refused.text and 'href="#cook_id"' in refused.text
    assert re.search(
        r'id="cook_id-error"[^>]*>\s*<span[^>]*>Error:</span>\s*This cook cannot cover this meal',
        refused.text,
    )
    assert re.search(r'name="agreed"[^>]*value="yes"[^>]*checked', refused.text)  # kept
    session.expire_all()
    meal = session.get(Meal, cover.meal_id)
    assert meal is not None and meal.status == MealStatus.needs_cover and meal.cook_id is None
    assert (
        session.exec(select(AuditEntry).where(AuditEntry.action == "meal.cover_arranged")).all()
        == []
    )


def test_recording_a_cover_asks_for_the_cook_and_the_agreement_with_each_beside_its_field(
    client: TestClient, session: Session, staff: User, cover: Cover
):
    sign_in(client, staff)
    refused = record(client, cover)
    assert refused.status_code == 422
    text = text_of(refused.text)
    assert "Choose the cook who agreed to bring the meal" in text
    assert "Tick to confirm that you have spoken to the cook and they agreed" in text
    assert 'href="#cook_id"' in refused.text and 'href="#agreed"' in refused.text
    chosen = record(client, cover, cook_id=str(cover.helper_id))
    assert chosen.status_code == 422
    assert re.search(rf'value="{cover.helper_id}"[^>]*checked', chosen.text)  # kept
    session.expire_all()
    assert session.get(Meal, cover.meal_id).status == MealStatus.needs_cover  # type: ignore[union-attr]


def test_another_councils_staff_get_not_found_for_the_cover_page_and_its_form(
    client: TestClient, session: Session, cover: Cover
):
    elsewhere = create_user(
        session, role="staff", council=create_council(session, slug="camden-test")
    )
    session.commit()
    sign_in(client, elsewhere)
    page = client.get(cover.page)
    assert page.status_code == 404 and "Edna" not in page.text
    for beyond in ("/staff/meals/99999999999999999999/cover", "/staff/meals/edna/cover"):
        assert client.get(beyond).status_code == 404, beyond
    token = form_token(client, "/staff/")
    posted = client.post(
        cover.page,
        data={"csrf_token": token, "cook_id": str(cover.helper_id), "agreed": "yes"},
        follow_redirects=False,
    )
    assert posted.status_code == 404 and "Edna" not in posted.text
    session.expire_all()
    assert session.get(Meal, cover.meal_id).status == MealStatus.needs_cover  # type: ignore[union-attr]


def test_recording_a_cover_needs_the_forms_token(
    client: TestClient, session: Session, staff: User, cover: Cover
):
    sign_in(client, staff)
    client.get(cover.page)
    refused = client.post(
        cover.page,
        data={"csrf_token": "forged", "cook_id": str(cover.helper_id), "agreed": "yes"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    session.expire_all()
    assert session.get(Meal, cover.meal_id).status == MealStatus.needs_cover  # type: ignore[union-attr]


def test_a_meal_taken_meanwhile_says_who_is_bringing_it_not_an_error(
    client: TestClient, session: Session, settings: Settings, staff: User, cover: Cover
):
    sign_in(client, staff)
    token = form_token(client, cover.page)  # the page opened while it still needed cover
    taken = client.post(
        f"/api/meals/{cover.meal_id}/cover", headers=auth_headers(cover.helper, settings)
    )
    assert taken.status_code == 200, taken.text
    other, other_id = approved_cook(client, session, settings, staff, postcode="N3 1QX")
    sent = client.post(
        cover.page,
        data={"csrf_token": token, "cook_id": str(other_id), "agreed": "yes"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == cover.page
    page = client.get(cover.page)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "This meal no longer needs a cover cook: Helen Helper is bringing it." in text
    assert 'name="cook_id"' not in page.text
    session.expire_all()
    assert session.get(Meal, cover.meal_id).cook_id == cover.helper_id  # type: ignore[union-attr]
    assert not session.exec(
        select(Notification).where(
            Notification.to_user_id == other.id, col(Notification.event) == "cover_arranged"
        )
    ).all()


def test_a_cook_with_no_phone_reads_no_phone_number_given_in_the_list_and_the_choice(
    client: TestClient, session: Session, staff: User, cover: Cover
):
    """It read "phone Not given" beside their name (a review)."""
    helper = session.get(Cook, cover.helper_id)
    assert helper is not None
    helper.phone = ""  # none on their profile
    session.add(helper)
    session.commit()
    sign_in(client, staff)
    page = client.get(cover.page)
    assert page.status_code == 200
    rows = text_of(page.text.split("<tbody", 1)[1].split("</tbody>", 1)[0])
    assert "Helen Helper No phone number given" in rows
    text = text_of(page.text)
    assert re.search(r"Helen Helper \d+ m away, no phone number given", text)  # the choice
    assert "Not given" not in text


def test_a_regular_cook_who_moved_council_is_named_without_a_link_their_record_answers_404(
    client: TestClient, session: Session, staff: User, tower_hamlets: Council, cover: Cover
):
    """It read "A cook no longer on record", linked to a record that answers 404 (a review).
    As on a concern's page: the name this council knew, and that they are with another now."""
    moved = client.put(
        "/api/cooks/me",
        json=cook_payload(postcode="E14 5AB", phone="020 7946 0999"),
        headers=cover.world.cook_headers,
    )
    assert moved.status_code == 200 and moved.json()["council"] == "tower-hamlets"
    sign_in(client, staff)
    page = client.get(cover.page)
    assert page.status_code == 200
    text = text_of(page.text)
    name = session.get(User, cover.world.cook.id).full_name  # type: ignore[union-attr]
    assert f"Regular cook {name} Now volunteers with another council" in text
    assert "no longer on record" not in text
    assert f"/staff/cooks/{cover.world.cook_id}" not in page.text  # not ours to open
    assert client.get(f"/staff/cooks/{cover.world.cook_id}").status_code == 404
    assert "020 7946" not in text and "E14" not in text  # nothing of their new council's


def test_a_cover_cook_who_moved_council_is_named_not_called_the_regular_cook(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
    cover: Cover,
):
    taken = client.post(
        f"/api/meals/{cover.meal_id}/cover", headers=auth_headers(cover.helper, settings)
    )
    assert taken.status_code == 200, taken.text
    # Its day went by with nothing recorded; a move hands back only the covers from today on.
    meal = session.get(Meal, cover.meal_id)
    assert meal is not None
    gone = (meal.at - utcnow()).days + 2
    meal.date, meal.at = meal.date - timedelta(days=gone), meal.at - timedelta(days=gone)
    session.add(meal)
    session.commit()
    moved = client.put(
        "/api/cooks/me",
        json=cook_payload(postcode="E14 5AB", display_name="Helen"),
        headers=auth_headers(cover.helper, settings),
    )
    assert moved.status_code == 200 and moved.json()["council"] == "tower-hamlets"
    session.expire_all()
    assert session.get(Meal, cover.meal_id).cook_id == cover.helper_id  # type: ignore[union-attr]
    sign_in(client, staff)
    page = client.get(cover.page)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "the regular cook is bringing it" not in text
    assert "Helen Helper was down to bring it, and now volunteers with another council" in text
    assert f"/staff/cooks/{cover.helper_id}" not in page.text
