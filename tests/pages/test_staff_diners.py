"""Staff's diner pages with JavaScript off: the list (full names, the carer and their contact
or who referred the diner, the neighbourhood named once, days waiting, needs), search by each
key, the filters, the orders, paging, council scoping; the waiting count equal to the reports';
a diner's record (carer and contact, pairing history with the cook's record linked, meals,
feedback, audited; another council's a 404); referring a diner (every error at once, then the
record with a banner); the old static pages' addresses redirecting."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.audit import VIEW_WINDOW
from app.config import Settings
from app.councils.rules import council_today
from app.councils.service import add_neighbourhood
from app.db import utcnow
from app.models import (
    AuditEntry,
    AuditReason,
    Council,
    Diner,
    Meal,
    MealFeedback,
    Notification,
    Pairing,
    User,
)
from app.reports.service import waiting_diners
from app.vocab import DinerStatus, MealStatus
from tests.factories import (
    DEFAULT_PASSWORD,
    active_pairing,
    approved_cook,
    auth_headers,
    create_council,
    create_user,
    diner_payload,
    proposed_pairing,
    registered_diner,
)
from tests.pages.helpers import (
    every_link_opens,
    form_token,
    moved_to_tower_hamlets,
    sign_in,
    text_of,
    textarea,
    title,
)


def listed(html: str) -> list[str]:
    """The diners' names on a list page, in order (each links to the diner's record)."""
    return [
        html_lib.unescape(name)
        for name in re.findall(r'href="/staff/diners/\d+">([^<]+)</a>', html)
    ]


def count_line(html: str) -> str:
    found = re.search(r'<p [^>]*id="count"[^>]*>(.*?)</p>', html, re.DOTALL)
    assert found, "no count line"
    return text_of(found.group(1))


def diner_row(
    session: Session,
    council: Council,
    name: str,
    *,
    created_days_ago: int = 1,
    postcode: str = "N3 1QX",
    status: DinerStatus = DinerStatus.waiting,
    **fields: object,
) -> Diner:
    """A diner stored directly (for lists that need many, or set dates)."""
    values: dict[str, object] = {
        "address_line": "1 Test Road",
        "latitude": 51.6,
        "longitude": -0.19,
        "geo_precision": "unit",
        "diets": [],
        "allergies": [],
        "texture": "regular",
        "availability": [{"weekday": 1, "start": "17:00", "end": "19:00"}],
        "frequency": "weekly",
        "consent_at": datetime.now(UTC),
        **fields,
    }
    consenter = values.pop("consent_by", None) or create_user(session, role="carer")
    assert isinstance(consenter, User)
    diner = Diner(
        council_id=council.id,  # type: ignore[arg-type]
        full_name=name,
        postcode=postcode,
        status=status,
        consent_by_id=consenter.id,  # type: ignore[arg-type]
        created_at=datetime.now(UTC) - timedelta(days=created_days_ago),
        **values,  # type: ignore[arg-type]
    )
    session.add(diner)
    session.flush()
    return diner


@pytest.fixture
def people(client: TestClient, session: Session, settings: Settings, barnet: Council, staff: User):
    """Barnet: Edna Smith (N3 1QX, carer Asha Patel), Harold Green (referred by Grace Okafor,
    no carer, N3 1HT), Winifred Hale (EN5 1AA, outside every neighbourhood); the neighbourhood
    "Finchley (N3)" holds the N3 1 sector."""
    hood = add_neighbourhood(session, council=barnet, name="Finchley (N3)", sectors=["N3 1"])
    staff.full_name = "Grace Okafor"
    session.add(staff)
    carer, edna = registered_diner(client, session, settings)  # Edna Smith, vegetarian, peanuts
    carer.full_name, carer.email, carer.email_key = (
        "Asha Patel",
        "asha@example.org",
        "asha@example.org",
    )
    carer.phone = "+447700900123"
    session.add(carer)
    referred = client.post(
        "/api/staff/diners",
        json=diner_payload(
            full_name="Harold Green", postcode="N3 1HT", phone=None, diets=["halal"],
            allergies=["milk"], texture="pureed",
        ),
        headers=auth_headers(staff, settings),
    )  # fmt: skip
    assert referred.status_code == 201, referred.text
    _, winifred = registered_diner(
        client, session, settings, full_name="Winifred Hale", postcode="EN5 1AA", phone=None,
        diets=[], allergies=[], texture="regular",
    )  # fmt: skip
    session.commit()
    return {
        "hood": hood,
        "carer": carer,
        "edna": edna,
        "harold": referred.json()["id"],
        "winifred": winifred,
    }


def test_the_list_names_the_carer_and_their_contact_the_neighbourhood_once_and_the_needs(
    client: TestClient, staff: User, people: dict
):
    sign_in(client, staff)
    page = client.get("/staff/diners")
    assert page.status_code == 200, page.text
    assert title(page) == "Diners – Extra Portion"
    assert listed(page.text) == ["Edna Smith", "Harold Green", "Winifred Hale"]  # by name
    words = text_of(page.text)
    assert (
        "Edna Smith Waiting 0 days waiting N3 1QX, Finchley (N3) Asha Patel, 07700 900123 "
        "asha@example.org Vegetarian, No peanuts, Soft and bite-sized"
    ) in words
    assert (
        "Harold Green Waiting 0 days waiting N3 1HT, Finchley (N3) Referred by Grace Okafor "
        "Halal, No milk, Puréed"
    ) in words
    assert "Winifred Hale Waiting 0 days waiting EN5 1AA Sam Example" in words
    assert "(Finchley" not in words and "#" + str(people["edna"]) not in words
    assert f'href="/staff/diners/{people["harold"]}">Harold Green</a>' in page.text
    assert count_line(page.text) == "3 diners"


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("edna", ["Edna Smith"]),  # the diner's name, any case
        ("HAROLD gr", ["Harold Green"]),
        ("green harold", ["Harold Green"]),  # word by word, in any order
        ("asha pat", ["Edna Smith"]),  # the carer's name
        ("ASHA@example", ["Edna Smith"]),  # the carer's email
        ("07700 900123", ["Edna Smith"]),  # the carer's phone as people write it
        ("+44 7700 900123", ["Edna Smith"]),
        ("07911123456", ["Edna Smith"]),  # the diner's own phone (07911 123456), no spaces
        ("n31ht", ["Harold Green"]),  # a postcode without its space
        ("N3 1HT", ["Harold Green"]),  # and with it
        ("en5", ["Winifred Hale"]),
        ("N3 1", ["Edna Smith", "Harold Green"]),
        ("nobody", []),
        ("%", []),  # a wildcard is a character, not "anything"
    ],
)
def test_search_by_name_carer_email_phone_or_postcode(
    client: TestClient, staff: User, people: dict, q: str, found: list[str]
):
    sign_in(client, staff)
    page = client.get("/staff/diners", params={"q": q})
    assert page.status_code == 200, page.text
    assert listed(page.text) == found
    assert f'value="{html_lib.escape(q)}"' in page.text  # the search is kept in its box
    if not found:
        assert count_line(page.text) == "No diners match"
        assert "clear the search and filters" in text_of(page.text)


def test_a_name_typed_with_two_spaces_is_kept_with_one_and_found(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """A walk: "Ruth  Davies-Smith" was kept with its two spaces, shown with one, and no
    search for "Ruth Davies-Smith" found her."""
    carer = create_user(session, role="carer")
    body = diner_payload(full_name="Ruth  Davies-Smith", address_line="3  Hill  Road")
    made = client.post("/api/diners", json=body, headers=auth_headers(carer, settings))
    assert made.status_code == 201, made.text
    assert (made.json()["full_name"], made.json()["address_line"]) == (
        "Ruth Davies-Smith",
        "3 Hill Road",
    )
    sign_in(client, staff)
    page = client.get("/staff/diners", params={"q": "Ruth Davies-Smith"})
    assert listed(page.text) == ["Ruth Davies-Smith"]


def test_filters_by_status_neighbourhood_and_needs(
    client: TestClient, session: Session, staff: User, barnet: Council, people: dict
):
    today = council_today(barnet)
    diner_row(session, barnet, "Left Person", status=DinerStatus.left)
    diner_row(
        session, barnet, "Paused Person",
        paused_from=today - timedelta(days=1), paused_to=today + timedelta(days=5),
    )  # fmt: skip
    diner_row(session, barnet, "Matched Person", status=DinerStatus.matched)
    session.commit()
    sign_in(client, staff)

    def names(**params: object) -> list[str]:
        page = client.get("/staff/diners", params={"sort": "name", **params})
        assert page.status_code == 200, page.text
        return listed(page.text)

    assert names(status="waiting") == ["Edna Smith", "Harold Green", "Winifred Hale"]
    assert names(status="paused") == ["Paused Person"]
    assert names(status="left") == ["Left Person"]
    assert names(status="matched") == ["Matched Person"]
    assert names(status="nonsense") == [  # not understood: no filter
        "Edna Smith", "Harold Green", "Left Person", "Matched Person", "Paused Person",
        "Winifred Hale",
    ]  # fmt: skip
    assert names(area=people["hood"].id) == ["Edna Smith", "Harold Green"]
    assert names(needs="peanuts") == ["Edna Smith"]  # an allergen
    assert names(needs="milk") == ["Harold Green"]
    assert names(needs="halal") == ["Harold Green"]  # a diet
    assert names(needs="vegetarian") == ["Edna Smith"]
    assert names(needs="pureed") == ["Harold Green"]  # a texture
    assert names(needs="soft_bite_sized", area=people["hood"].id) == ["Edna Smith"]
    assert names(needs="fish") == []
    assert names(q="e", status="waiting", needs="halal") == ["Harold Green"]
    page = client.get("/staff/diners", params={"status": "waiting", "needs": "milk"})
    assert '<option value="waiting" selected>' in page.text  # the choices stay chosen
    assert '<option value="milk" selected>' in page.text


def test_orders_waiting_longest_first_by_default_name_and_newest(
    client: TestClient, session: Session, staff: User, barnet: Council
):
    diner_row(session, barnet, "Beth New", created_days_ago=2)
    diner_row(session, barnet, "Cyril Old", created_days_ago=40)
    # Signed up long ago, but waiting again only since their cook stopped 5 days ago.
    again = diner_row(session, barnet, "Ada Again", created_days_ago=300)
    world_cook = create_user(session, role="cook")
    from app.models import Cook, Pairing

    cook = Cook(
        user_id=world_cook.id, council_id=barnet.id, display_name="Priya", phone="+442079460018",
        address_line="1 Road", postcode="N3 1HT", latitude=51.6, longitude=-0.19,
        geo_precision="unit", walk_radius_m=1000, max_diners=1, frequencies=["weekly"], diets=[],
        allergen_free=[], textures=["regular"], availability=[],
    )  # fmt: skip
    session.add(cook)
    session.flush()
    session.add(
        Pairing(
            council_id=barnet.id,
            cook_id=cook.id,
            diner_id=again.id,
            status="ended",
            weekday=1,
            start="17:00",
            frequency="weekly",
            distance_m=300,
            proposed_at=datetime.now(UTC) - timedelta(days=200),
            accepted_at=datetime.now(UTC) - timedelta(days=199),
            ended_at=datetime.now(UTC) - timedelta(days=5),
            end_reason="cook_stopped",
        )
    )
    session.commit()
    sign_in(client, staff)
    waiting = client.get("/staff/diners", params={"status": "waiting"})
    assert listed(waiting.text) == ["Cyril Old", "Ada Again", "Beth New"]
    words = text_of(waiting.text)
    assert "Cyril Old Waiting 40 days waiting N3 1QX" in words
    assert "Ada Again Waiting 5 days waiting N3 1QX" in words
    assert title(waiting) == "Waiting diners – Extra Portion"
    assert '<option value="longest" selected>' in waiting.text
    assert listed(client.get("/staff/diners", params={"sort": "name"}).text) == [
        "Ada Again", "Beth New", "Cyril Old",
    ]  # fmt: skip
    assert listed(client.get("/staff/diners", params={"sort": "newest"}).text) == [
        "Beth New", "Cyril Old", "Ada Again",
    ]  # fmt: skip
    assert listed(client.get("/staff/diners").text) == ["Ada Again", "Beth New", "Cyril Old"]
    record = text_of(client.get(f"/staff/diners/{again.id}").text)
    assert re.search(r"Waiting since \d{1,2} [A-Z][a-z]+ \d{4} \(5 days\)", record)
    assert "The cook stopped cooking" in record  # why the pairing ended


def test_paging_keeps_the_search_and_shows_every_diner_once(
    client: TestClient, session: Session, staff: User, barnet: Council
):
    for n in range(30):
        diner_row(session, barnet, f"Diner {n:02d}", created_days_ago=100 - n)
    diner_row(session, barnet, "Someone Else", status=DinerStatus.left)
    session.commit()
    sign_in(client, staff)
    first = client.get("/staff/diners", params={"q": "diner", "sort": "longest"})
    assert listed(first.text) == [f"Diner {n:02d}" for n in range(25)]
    assert count_line(first.text) == "30 diners, showing 1 to 25"
    assert 'href="/staff/diners?q=diner&amp;sort=longest&amp;page=2"' in first.text
    second = client.get("/staff/diners", params={"q": "diner", "sort": "longest", "page": 2})
    assert listed(second.text) == [f"Diner {n:02d}" for n in range(25, 30)]
    assert count_line(second.text) == "30 diners, showing 26 to 30"
    # Past the last page (a stale link): the last page, the search kept, not an empty list
    # "showing 226 to 225".
    beyond = client.get("/staff/diners", params={"q": "diner", "page": 9}, follow_redirects=False)
    assert beyond.status_code == 303
    assert beyond.headers["location"] == "/staff/diners?q=diner&page=2"
    last = client.get(beyond.headers["location"])
    assert count_line(last.text) == "30 diners, showing 26 to 30" and len(listed(last.text)) == 5
    alone = client.get("/staff/diners", params={"q": "Someone", "page": 3}, follow_redirects=False)
    assert alone.headers["location"] == "/staff/diners?q=Someone"  # one page: no page number


def test_the_waiting_count_is_the_reports_one_meaning_of_waiting(
    client: TestClient, session: Session, settings: Settings, barnet: Council, staff: User
):
    """Waiting, paused today, paused later, invited (still waiting), matched, left: the list's
    ?status=waiting count and its diners are reports.service.waiting_diners's."""
    today = council_today(barnet)
    invited = proposed_pairing(client, session, settings, staff)  # Edna: waiting, invited
    active_pairing(client, session, settings, staff)  # a second Edna: matched
    diner_row(session, barnet, "Plain Waiting")
    diner_row(
        session, barnet, "Paused Today",
        paused_from=today, paused_to=today + timedelta(days=3),
    )  # fmt: skip
    diner_row(
        session, barnet, "Paused Later",
        paused_from=today + timedelta(days=3), paused_to=today + timedelta(days=9),
    )  # fmt: skip
    diner_row(
        session, barnet, "Pause Over",
        paused_from=today - timedelta(days=9), paused_to=today - timedelta(days=1),
    )  # fmt: skip
    diner_row(session, barnet, "Gone Away", status=DinerStatus.left)
    elsewhere = create_council(session, slug="camden-test", lad_codes=["E09000007"])
    diner_row(session, elsewhere, "Other Council")
    session.commit()
    expected = waiting_diners(session, council=barnet, today=today)
    sign_in(client, staff)
    page = client.get("/staff/diners", params={"status": "waiting"})
    assert count_line(page.text) == f"{len(expected)} waiting diners"
    assert len(expected) == 4  # invited Edna, plain, paused later, pause over
    assert sorted(listed(page.text)) == sorted(w.diner.full_name for w in expected)
    assert session.get(Diner, invited.diner_id) in [w.diner for w in expected]
    summary = client.get("/api/staff/reports/summary", headers=auth_headers(staff, settings))
    assert summary.json()["waiting_diners"] == len(expected)


def test_another_councils_diners_are_not_listed_and_their_record_is_not_found(
    client: TestClient, session: Session, staff: User, people: dict
):
    elsewhere = create_council(session, slug="camden-test", lad_codes=["E09000007"])
    theirs = diner_row(session, elsewhere, "Edna Elsewhere")
    session.commit()
    sign_in(client, staff)
    assert "Edna Elsewhere" not in client.get("/staff/diners", params={"q": "edna"}).text
    page = client.get(f"/staff/diners/{theirs.id}")
    assert page.status_code == 404
    assert "Page not found" in page.text and "Edna Elsewhere" not in page.text
    assert client.get("/staff/diners/99999999").status_code == 404
    # An id past any id (it was a 500: the database cannot take the number) or not a number.
    for address in ("/staff/diners/99999999999999999999", "/staff/diners/edna"):
        beyond = client.get(address)
        assert beyond.status_code == 404 and "Page not found" in beyond.text, address


def test_the_record_names_the_carer_and_their_contact_the_cooks_meals_and_feedback(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    world = active_pairing(client, session, settings, staff)
    world.carer.full_name, world.carer.phone = "Asha Patel", "+447700900123"
    world.cook.full_name = "Priya Sharma"
    session.add_all([world.carer, world.cook])
    today = council_today(barnet)
    meal = Meal(
        pairing_id=world.pairing_id, diner_id=world.diner_id, council_id=barnet.id,
        cook_id=world.cook_id, date=today - timedelta(days=7), start="17:30",
        at=datetime.now(UTC) - timedelta(days=7), status=MealStatus.delivered,
    )  # fmt: skip
    missed = Meal(
        pairing_id=world.pairing_id, diner_id=world.diner_id, council_id=barnet.id,
        cook_id=world.cook_id, date=today - timedelta(days=14), start="17:30",
        at=datetime.now(UTC) - timedelta(days=14), status=MealStatus.missed,
    )  # fmt: skip
    paused = Meal(
        pairing_id=world.pairing_id, diner_id=world.diner_id, council_id=barnet.id,
        cook_id=world.cook_id, date=today - timedelta(days=21), start="17:30",
        at=datetime.now(UTC) - timedelta(days=21), status=MealStatus.cancelled,
        cancel_reason="diner_paused",
    )  # fmt: skip
    session.add_all([meal, missed, paused])
    session.flush()
    session.add(MealFeedback(meal_id=meal.id, carer_id=world.carer.id, rating=5, comment="Lovely"))
    session.commit()
    sign_in(client, staff)
    page = client.get(f"/staff/diners/{world.diner_id}")
    assert page.status_code == 200, page.text
    assert title(page) == "Edna Smith – Extra Portion"
    words = text_of(page.text)
    assert "Their carer Name Asha Patel" in words
    assert f"Email {world.carer.email}" in words and "Phone 07700 900123" in words
    assert "Address 3 Quiet Close N3 1QX" in words
    assert "Getting in Key safe by the door" in words
    assert (
        "Diet Vegetarian Change diet Allergies Peanuts Change allergies "
        "Other foods they must not have None Change other foods they must not have "
        "Texture Soft and bite-sized" in words
    )
    assert "Has a cook" in words
    assert f'href="/staff/cooks/{world.cook_id}">Priya Sharma</a>' in page.text
    assert "Cooking" in words and "Tuesdays at 17:30, every week" in words
    assert "Priya Sharma cooks for them on Tuesdays at 17:30, every week" in words
    assert "In all: 1 delivered, 1 missed." in words
    assert "Recent meals Date What happened" in words and "Delivered by Priya Sharma" in words
    assert "Missed cook: Priya Sharma" in words
    # Why a meal was cancelled ("Cancelled cook: Priya Sharma" read as if she had been).
    assert re.search(r"Cancelled ?: the diner's meals were paused for those days", words)
    assert "5 out of 5" in words and "Lovely" in words
    assert "Find a cook" not in words  # she has one
    assert "#" + str(world.diner_id) not in words
    viewed = session.exec(
        select(AuditEntry).where(
            AuditEntry.action == "diner.address_viewed",
            AuditEntry.subject_id == world.diner_id,
            AuditEntry.actor_id == staff.id,
        )
    ).all()
    assert len(viewed) == 1


def test_a_cook_who_moved_council_is_named_without_a_link_when_every_link_on_the_record_opens(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    barnet: Council,
    tower_hamlets: Council,
):
    """A review: the diner's record linked the cook who moved to another council to their
    record, which answers 404 here. Named, as the concern and cover pages name them; a cover
    cook still of this council stays a link."""
    world = active_pairing(client, session, settings, staff)
    helper, helper_id = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Helen"
    )
    world.cook.full_name, helper.full_name = "Priya Sharma", "Helen Helper"
    session.add_all([world.cook, helper])
    today = council_today(barnet)
    theirs = Meal(
        pairing_id=world.pairing_id, diner_id=world.diner_id, council_id=barnet.id,
        cook_id=world.cook_id, date=today - timedelta(days=7), start="17:30",
        at=datetime.now(UTC) - timedelta(days=7), status=MealStatus.delivered,
    )  # fmt: skip
    covered = Meal(
        pairing_id=world.pairing_id, diner_id=world.diner_id, council_id=barnet.id,
        cook_id=helper_id, date=today - timedelta(days=14), start="17:30",
        at=datetime.now(UTC) - timedelta(days=14), status=MealStatus.delivered, is_cover=True,
    )  # fmt: skip
    session.add_all([theirs, covered])
    session.flush()
    session.add(MealFeedback(meal_id=theirs.id, carer_id=world.carer.id, rating=5))
    session.commit()
    moved_to_tower_hamlets(client, world)
    sign_in(client, staff)
    page = client.get(f"/staff/diners/{world.diner_id}")
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert f'href="/staff/cooks/{world.cook_id}"' not in page.text  # not ours: it answers 404
    assert "Delivered by Priya Sharma (now with another council)" in words
    assert f'href="/staff/cooks/{helper_id}">Helen Helper</a> (cover)' in page.text
    assert "020 7946" not in words and "E14" not in words  # nothing of their new council's
    assert f"/staff/cooks/{helper_id}" in every_link_opens(client, page.text)


def test_a_waiting_diner_with_no_cook_proposed_links_to_finding_one(
    client: TestClient, staff: User, people: dict
):
    sign_in(client, staff)
    harold = client.get(f"/staff/diners/{people['harold']}")
    words = text_of(harold.text)
    assert f'href="/staff/diners/{people["harold"]}/match"' in harold.text
    assert "Find a cook for Harold Green" in words
    assert re.search(r"Waiting since \d{1,2} [A-Z][a-z]+ \d{4} Find a cook", words)
    assert re.search(r"</strong>\s+since", harold.text)  # a browser showed "Waitingsince"
    assert "No carer Referred by Grace Okafor" in words
    assert "No cook has been proposed yet." in words and "No concerns." in words
    assert f'href="/staff/concerns?diner={people["harold"]}"' in harold.text


def test_refer_shows_every_problem_at_once_then_opens_the_new_record(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    sign_in(client, staff)
    token = form_token(client, "/staff/refer")
    form = client.get("/staff/refer").text  # the access notes' limit shows as they are typed
    assert re.search(r'data-module="govuk-character-count"[^>]*data-maxlength="500"', form)
    empty = client.post("/staff/refer", data={"csrf_token": token, "phone": "12"})
    assert empty.status_code == 422
    assert title(empty).startswith("Error: Refer a diner")
    summary = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', empty.text)
    fields = [f for f, _ in summary]
    assert fields == [
        "full_name", "address_line", "postcode", "phone", "texture", "days", "frequency",
        "consent",
    ]  # fmt: skip
    said = text_of(empty.text)
    assert "Enter the diner's full name" in said and "your relative" not in said
    for field in ("full_name", "postcode", "texture", "days", "consent"):
        assert f'id="{field}-error"' in empty.text  # beside the field too

    half = {
        "csrf_token": token, "full_name": "Harold Green", "address_line": "5 Ballards Lane",
        "postcode": "n31lb", "diets": ["halal"], "texture": "regular", "days": ["2"],
        "start-2": "18:00", "end-2": "18:15", "frequency": "weekly",
    }  # fmt: skip
    short = client.post("/staff/refer", data=half)
    assert short.status_code == 422
    assert re.findall(r'<a href="#([^"]+)">', short.text) == ["end-2", "consent"]
    assert 'value="Harold Green"' in short.text and 'value="halal" checked' in short.text

    done = client.post(
        "/staff/refer", data={**half, "end-2": "19:30", "consent": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    diner = session.exec(select(Diner).where(Diner.full_name == "Harold Green")).one()
    assert done.headers["location"] == f"/staff/diners/{diner.id}?referred=1"
    # Sent again (a double click): the same record, not a second Harold (an outside check).
    again = client.post(
        "/staff/refer", data={**half, "end-2": "19:30", "consent": "yes"}, follow_redirects=False
    )
    assert again.headers["location"] == done.headers["location"]
    assert len(session.exec(select(Diner).where(Diner.full_name == "Harold Green")).all()) == 1
    # Sent again after going back to tick an allergy (a walk: the allergy was lost, and the
    # page said "The diner is referred"): the one record, with the answers sent last.
    corrected = client.post(
        "/staff/refer",
        data={**half, "end-2": "19:30", "consent": "yes", "allergies": ["peanuts"]},
        follow_redirects=False,
    )
    assert corrected.headers["location"] == done.headers["location"]
    assert len(session.exec(select(Diner).where(Diner.full_name == "Harold Green")).all()) == 1
    session.refresh(diner)
    assert diner.allergies == ["peanuts"]
    assert diner.referred_by_id == staff.id and diner.carer_id is None
    assert diner.postcode == "N3 1LB" and diner.availability == [
        {"weekday": 2, "start": "18:00", "end": "19:30"}
    ]
    page = client.get(done.headers["location"])
    assert "The diner is referred" in text_of(page.text)
    assert "Harold Green" in text_of(page.text)
    # No carer: the match page does not promise to tell one (an outside check).
    wednesday = [{"weekday": 2, "start": "17:30", "end": "20:00"}]
    approved_cook(client, session, settings, staff, availability=wednesday, diets=["halal"])
    match = text_of(client.get(f"/staff/diners/{diner.id}/match").text)
    assert "carer is told" not in match and "Harold has no carer: they are posted" in match


def test_refer_outside_the_councils_area_is_refused_beside_the_postcode(
    client: TestClient, session: Session, staff: User, tower_hamlets: Council
):
    sign_in(client, staff)
    token = form_token(client, "/staff/refer")
    form = {
        "csrf_token": token, "full_name": "Ivy Long", "address_line": "1 Road",
        "postcode": "E14 5AB", "texture": "regular", "days": ["1"], "start-1": "17:00",
        "end-1": "19:00", "frequency": "weekly", "consent": "yes",
    }  # fmt: skip
    refused = client.post("/staff/refer", data=form)
    assert refused.status_code == 422
    assert re.findall(r'<a href="#([^"]+)">', refused.text) == ["postcode"]
    assert "another council" in text_of(refused.text)
    assert session.exec(select(Diner).where(Diner.full_name == "Ivy Long")).first() is None
    # Where no council runs the service, staff are not sent to "your council" (a walk).
    nowhere = client.post("/staff/refer", data={**form, "postcode": "M1 1AE"})
    assert nowhere.status_code == 422
    assert "We do not run in this area yet: check the postcode" in text_of(nowhere.text)
    assert "contact your council" not in text_of(nowhere.text)


def test_the_old_pages_redirect_and_the_pages_are_for_staff_only(
    client: TestClient, session: Session, staff: User, barnet: Council
):
    assert (
        client.get("/staff/diners", follow_redirects=False)
        .headers["location"]
        .startswith("/sign-in?next=")
    )
    for old, new in [
        ("/staff/diners.html?status=waiting", "/staff/diners?status=waiting"),
        ("/staff/diners.html", "/staff/diners"),
        ("/staff/diner.html?id=42", "/staff/diners/42"),
        ("/staff/diner.html?id=x", "/staff/diners"),
        ("/staff/refer.html", "/staff/refer"),
    ]:
        moved = client.get(old, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (303, new)
    carer = create_user(session, role="carer")
    session.commit()
    sign_in(client, carer)
    assert client.get("/staff/diners").status_code == 403
    assert client.get("/staff/refer").status_code == 403


def test_the_list_is_one_query_and_a_count_whatever_the_page_size(
    client: TestClient, session: Session, staff: User, barnet: Council, people: dict
):
    """No query per row: 3 diners or 25 cost the same statements."""
    from sqlalchemy import event

    sign_in(client, staff)

    def statements() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append(statement)

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/staff/diners", params={"q": "e"}).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    for n in range(22):
        diner_row(session, barnet, f"Extra {n}", consent_by=people["carer"])
    session.commit()
    assert statements() == few


def test_neighbourhood_choices_are_the_councils(
    client: TestClient, session: Session, staff: User, barnet: Council, people: dict
):
    elsewhere = create_council(session, slug="camden-test", lad_codes=["E09000007"])
    add_neighbourhood(session, council=elsewhere, name="Camden Town", sectors=["NW1 0"])
    session.commit()
    sign_in(client, staff)
    page = client.get("/staff/diners")
    assert f'<option value="{people["hood"].id}">Finchley (N3)</option>' in page.text
    assert "Camden Town" not in page.text


def test_erasing_a_diner_asks_to_confirm_then_erases_through_the_privacy_service(
    client: TestClient, session: Session, staff: User, people: dict
):
    sign_in(client, staff)
    harold = f"/staff/diners/{people['harold']}"
    token = form_token(client, harold)
    unticked = client.post(f"{harold}/erase", data={"csrf_token": token})
    assert unticked.status_code == 422
    assert re.findall(r'<a href="#([^"]+)">', unticked.text) == ["confirm"]
    assert "Select that Harold Green or someone acting for them asked" in text_of(unticked.text)
    assert '<details class="govuk-details govuk-!-margin-top-6" id="erase" open>' in unticked.text
    assert session.get(Diner, people["harold"]).anonymised_at is None  # type: ignore[union-attr]

    done = client.post(
        f"{harold}/erase", data={"csrf_token": token, "confirm": "yes"}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, f"{harold}?erased=1")
    session.expire_all()
    erased = session.get(Diner, people["harold"])
    assert erased is not None and erased.anonymised_at is not None
    assert erased.full_name == "Erased" and erased.status == DinerStatus.left
    page = text_of(client.get(done.headers["location"]).text)
    assert "The diner's personal details are erased" in page and "Harold Green" not in page
    assert "Their personal details were erased on" in page
    assert [
        e.action
        for e in session.exec(
            select(AuditEntry).where(AuditEntry.subject_id == people["harold"])
        ).all()
        if e.action == "diner.erased"
    ] == ["diner.erased"]


def test_the_carers_own_account_is_erased_from_their_erased_relatives_record_when_asked(
    client: TestClient, session: Session, settings: Settings, staff: User, people: dict
):
    """A carer asking for their data to go was promised their name, email and phone would be
    removed, but staff could erase only the relatives: the carer's account stayed."""
    sign_in(client, staff)
    edna = f"/staff/diners/{people['edna']}"
    before = client.get(edna).text
    assert "Erase the carer’s own account" not in before  # relatives first
    token = form_token(client, edna)
    erased = client.post(f"{edna}/erase", data={"csrf_token": token, "confirm": "yes"})
    assert erased.status_code == 200 and "Erase the carer’s own account" in erased.text

    unticked = client.post(f"{edna}/carer/erase", data={"csrf_token": token})
    assert unticked.status_code == 422
    assert re.findall(r'<a href="#([^"]+)">', unticked.text) == ["confirm_carer"]
    done = client.post(
        f"{edna}/carer/erase",
        data={"csrf_token": token, "confirm_carer": "yes"},
        follow_redirects=False,
    )

    assert (done.status_code, done.headers["location"]) == (303, f"{edna}?carer_erased=1")
    carer = session.get(User, people["carer"].id)
    assert carer is not None
    session.refresh(carer)
    assert (carer.full_name, carer.phone, carer.is_active) == ("Erased", None, False)
    assert "asha" not in carer.email
    shown = client.get(done.headers["location"]).text
    page = text_of(shown)
    assert "The carer's account is erased" in page and "Asha Patel" not in page
    assert "asha@example.org" not in page
    # Neither a placeholder address to write to nor erased needs read as answers ("None").
    assert "mailto:" not in shown and "@erased.invalid" not in shown
    assert "Not held: their needs and times were erased" in page and "Allergies" not in page
    token_for_carer = client.post(
        "/api/auth/token", data={"username": "asha@example.org", "password": DEFAULT_PASSWORD}
    )
    assert token_for_carer.status_code == 401


def test_another_councils_diner_cannot_be_erased(
    client: TestClient, session: Session, staff: User, people: dict
):
    elsewhere = create_council(session, slug="camden-test", lad_codes=["E09000007"])
    theirs = diner_row(session, elsewhere, "Edna Elsewhere")
    session.commit()
    sign_in(client, staff)
    token = form_token(client, "/staff/diners")
    refused = client.post(
        f"/staff/diners/{theirs.id}/erase", data={"csrf_token": token, "confirm": "yes"}
    )
    assert refused.status_code == 404
    session.expire_all()
    assert session.get(Diner, theirs.id).anonymised_at is None  # type: ignore[union-attr]


def test_staff_move_a_pairings_meals_to_a_new_time_with_each_problem_beside_its_field(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Before, a pairing whose time no longer suited could only be ended."""
    world = active_pairing(client, session, settings, staff)
    sign_in(client, staff)
    record = f"/staff/diners/{world.diner_id}"
    path = f"{record}/pairing/{world.pairing_id}/schedule"
    token = form_token(client, record)
    page = client.get(record).text
    assert 'id="move-pairing"' in page and 'value="17:30"' in page
    # Only what the cook offers (weekly, fortnightly): "Once a month" was offered, then refused.
    assert 'value="fortnightly"' in page and 'value="monthly"' not in page
    same = client.post(
        path, data={"csrf_token": token, "weekday": "1", "start": "17:30", "frequency": "weekly"}
    )
    assert same.status_code == 422 and "That is the plan the meals already have" in same.text
    assert (
        session.exec(select(Notification).where(Notification.event == "pairing_moved")).all() == []
    )

    wrong = client.post(
        path, data={"csrf_token": token, "weekday": "1", "start": "5pm", "frequency": "weekly"}
    )
    assert wrong.status_code == 422
    assert re.findall(r'<a href="#([^"]+)">', wrong.text) == ["start"]
    assert 'value="5pm"' in wrong.text and 'id="move-pairing" open' in wrong.text
    beyond = client.post(
        path, data={"csrf_token": token, "weekday": "4", "start": "17:30", "frequency": "weekly"}
    )
    assert beyond.status_code == 422  # nobody is free on Fridays
    assert re.findall(r'<a href="#([^"]+)">', beyond.text) == ["weekday"]
    # When they are, not only that this is not it (a browser walk: staff had to guess).
    assert (
        "Priya and Edna are not both free then: a meal can start on Tuesdays from 17:30 to "
        "18:30" in html_lib.unescape(beyond.text)
    )

    moved = client.post(
        path,
        data={"csrf_token": token, "weekday": "1", "start": "18:00", "frequency": "weekly"},
        follow_redirects=False,
    )

    assert (moved.status_code, moved.headers["location"]) == (303, f"{record}?moved=carer")
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    session.refresh(pairing)
    assert (pairing.weekday, pairing.start) == (1, "18:00")
    assert "The cook and the carer are told" in client.get(moved.headers["location"]).text


def test_staff_change_a_referred_diners_allergies_and_the_unsafe_pairing_pauses(
    client: TestClient, session: Session, settings: Settings, staff: User, monkeypatch
):
    """A diner staff referred has no carer: nobody could record a new allergy on the web (an
    outside check). Staff change it from the record, through the same checks and flow."""
    world = active_pairing(client, session, settings, staff)
    sign_in(client, staff)
    record = f"/staff/diners/{world.diner_id}"
    assert f'href="{record}/change/food"' in client.get(record).text
    assert "1 diner with a cook" in client.get("/staff/diners?status=matched").text
    viewed = select(func.count()).where(
        AuditEntry.action == "diner.address_viewed", AuditEntry.subject_id == world.diner_id
    )
    before = session.exec(viewed).one()
    for n, what in enumerate(("address", "access"), start=1):  # they show them: audited
        later = utcnow() + 2 * VIEW_WINDOW * n  # each past the window of the last view
        monkeypatch.setattr("app.audit.utcnow", lambda later=later: later)
        assert client.get(f"{record}/change/{what}").status_code == 200
    client.get(f"{record}/change/times")  # shows neither
    assert session.exec(viewed).one() == before + 2
    assert client.get(f"{record}/change/bogus", follow_redirects=False).status_code == 404
    assert re.search(
        r'<a href="/staff/" class="govuk-back-link', client.get("/account/password").text
    )
    form = client.get(f"{record}/change/food")
    assert form.status_code == 200 and re.search(r'value="peanuts" checked', form.text)
    # Worded for staff, not for the carer (a walk read "your relative", "we will tell you").
    for what in ("food", "address", "details"):
        said = text_of(client.get(f"{record}/change/{what}").text)
        assert "your relative" not in said.lower() and "we will tell you" not in said.lower()
    assert "the cook and any carer are told" in text_of(client.get(f"{record}/change/food").text)
    token = form_token(client, f"{record}/change/food")
    empty = client.post(f"{record}/change/food", data={"csrf_token": token})
    assert empty.status_code == 422 and "There is a problem" in empty.text

    done = client.post(
        f"{record}/change/food",
        data={"csrf_token": token, "diets": "vegetarian", "allergies": ["peanuts", "sesame"],
              "texture": "soft_bite_sized"},
        follow_redirects=False,
    )  # fmt: skip

    assert (done.status_code, done.headers["location"]) == (303, f"{record}?changed=1")
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    session.refresh(pairing)
    assert (pairing.status, pairing.pause_reason) == ("paused", "needs_changed")
    assert "The changes are saved" in client.get(done.headers["location"]).text
    # The list said only "Has a cook", as if meals were coming (an outside check).
    row = re.search(rf'href="{record}">.*?</td>', client.get("/staff/diners").text, re.DOTALL)
    assert row and "Has a cook Meals paused" in text_of(row.group(0))
    assert listed(client.get("/staff/diners?status=paused").text) == ["Edna Smith"]
    assert "Has a cook Meals paused" in text_of(client.get(record).text)
    # Under "Paused" only: a browser walk counted her under both, and the statuses' counts
    # came to one more than all diners; the count reads as English.
    with_cook = client.get("/staff/diners?status=matched").text
    assert listed(with_cook) == [] and "No diners match" in with_cook
    assert listed(client.get("/staff/diners").text) == ["Edna Smith"]


def test_a_change_to_a_diner_with_no_cook_says_only_that_it_is_saved(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """An outside check: "their cook is told ... as shown below" of a diner with no cook."""
    _, diner_id = registered_diner(client, session, settings)
    sign_in(client, staff)
    record = f"/staff/diners/{diner_id}"
    token = form_token(client, f"{record}/change/food")
    done = client.post(
        f"{record}/change/food",
        data={"csrf_token": token, "diets": "vegetarian", "allergies": ["sesame"],
              "texture": "regular"},
        follow_redirects=False,
    )  # fmt: skip
    assert (done.status_code, done.headers["location"]) == (303, f"{record}?changed=1")
    page = text_of(client.get(done.headers["location"]).text)
    assert "The changes are saved." in page and "their cook is told" not in page


def test_staff_withdraw_an_unanswered_invitation_from_the_diners_record(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Only the API could withdraw an invitation: the record said "has not answered yet" and
    offered nothing (an outside check)."""
    world = proposed_pairing(client, session, settings, staff)
    sign_in(client, staff)
    record = f"/staff/diners/{world.diner_id}"
    page = client.get(record).text
    action = f'action="{record}/pairing/{world.pairing_id}/withdraw"'
    assert action in page
    # Behind a disclosure that says what follows, as ending a pairing is (one click did it).
    box = page.split('id="withdraw-invitation"')[1].split("</details>")[0]
    assert action in box and "is told the invitation is withdrawn" in box

    done = client.post(
        f"{record}/pairing/{world.pairing_id}/withdraw",
        data={"csrf_token": form_token(client, record)},
        follow_redirects=False,
    )

    assert (done.status_code, done.headers["location"]) == (303, f"{record}?withdrawn=1")
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    session.refresh(pairing)
    assert pairing.status == "withdrawn"
    after = client.get(done.headers["location"]).text
    assert "The invitation is withdrawn and the cook is told" in after and action not in after


def test_ending_a_paused_pairing_asks_to_confirm_then_the_diner_waits_again(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    pairing.status, pairing.pause_reason = "paused", "cook_changed"
    session.add(pairing)
    session.commit()
    sign_in(client, staff)
    record = f"/staff/diners/{world.diner_id}"
    page = client.get(record)
    assert '<details class="govuk-details" id="end-pairing">' in page.text
    words = text_of(page.text)
    assert "are paused because the cook's offer changed and no longer meets" in words
    assert "Paused because the cook's offer changed" in words  # the cooks table
    assert "paused: " not in words.lower() and "paused paused" not in words.lower()
    token = form_token(client, record)
    end = f"{record}/pairing/{world.pairing_id}/end"
    reason = "Her son will cook now"
    unticked = client.post(end, data={"csrf_token": token, "reason": reason})
    assert unticked.status_code == 422
    assert re.findall(r'<a href="#([^"]+)">', unticked.text) == ["end"]
    session.refresh(pairing)
    assert pairing.status == "paused"
    ticked = {"csrf_token": token, "end": "yes", "reason": reason}
    done = client.post(end, data=ticked, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, f"{record}?ended=1")
    session.refresh(pairing)
    assert (pairing.status, pairing.end_reason) == ("ended", "ended_by_staff")
    shown = text_of(client.get(done.headers["location"]).text)
    assert "The pairing has ended. The diner is waiting for a cook again." in shown
    assert "End the pairing with" not in shown
    # Sent again (another tab, or a colleague ended it first): the record as it is now, not
    # an error page, saying so and showing the reason typed, which was not saved (a review).
    again = client.post(end, data={**ticked, "reason": "Moved into a care home"})
    assert again.status_code == 409
    words = text_of(again.text)
    assert "This pairing had already ended, so nothing was changed." in words
    assert "The reason you typed was not saved: Moved into a care home" in words
    session.refresh(pairing)
    assert pairing.end_note == reason


def test_ending_a_pairing_is_refused_beside_the_reason_when_none_is_given(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Ending a pairing took no reason: the record said only "Staff ended the pairing" (a
    newcomer's walk). An empty one is refused beside its field, and nothing typed is lost."""
    world = active_pairing(client, session, settings, staff)
    sign_in(client, staff)
    record = f"/staff/diners/{world.diner_id}"
    token = form_token(client, record)
    end = f"{record}/pairing/{world.pairing_id}/end"

    empty = client.post(end, data={"csrf_token": token, "end": "yes", "reason": "  "})

    assert empty.status_code == 422
    assert re.findall(r'<a href="#([^"]+)">', empty.text) == ["end-reason"]
    box = empty.text.split('id="end-pairing" open>')[1].split("</details>")[0]
    beside = box.split('id="end-reason-error"')[1].split("</p>")[0]
    assert "Enter why the pairing is ending" in text_of(beside)
    assert 'data-module="govuk-character-count" data-maxlength="500"' in box
    assert re.search(r'<input[^>]*id="end"[^>]*checked', box)  # the tick is kept
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    session.refresh(pairing)
    assert (pairing.status, pairing.end_note) == ("active", None)
    # Every problem at once, and what was typed is kept.
    long = "Moved away. " * 50
    both = client.post(end, data={"csrf_token": token, "reason": long})
    assert re.findall(r'<a href="#([^"]+)">', both.text) == ["end-reason", "end"]
    assert "The reason must be 500 characters or fewer" in text_of(both.text)
    assert textarea(both.text, "reason") == long.strip()


def test_ending_a_pairing_keeps_the_reason_for_staff_only_when_one_is_given(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    sign_in(client, staff)
    record = f"/staff/diners/{world.diner_id}"
    end = f"{record}/pairing/{world.pairing_id}/end"
    reason = "Priya and Edna's son fell out over the visits.\nAgreed on the phone with both."
    data = {"csrf_token": form_token(client, record), "end": "yes", "reason": reason}

    done = client.post(end, data=data, follow_redirects=False)

    assert (done.status_code, done.headers["location"]) == (303, f"{record}?ended=1")
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    session.refresh(pairing)
    assert (pairing.status, pairing.end_reason, pairing.end_note) == (
        "ended", "ended_by_staff", reason
    )  # fmt: skip
    [entry] = session.exec(
        select(AuditEntry).where(
            AuditEntry.action == "pairing.ended", AuditEntry.subject_id == world.pairing_id
        )
    ).all()
    said = session.exec(select(AuditReason.text).where(AuditReason.audit_entry_id == entry.id))
    assert said.all() == [reason]
    # The staff's record: under the ended pairing, beside the coded words.
    page = client.get(done.headers["location"]).text
    cooks = page.split('id="cooks"')[1].split("</table>")[0]
    why = cooks.split('data-label="Why it ended">')[1].split("</td>")[0]
    assert text_of(why) == f"Staff ended the pairing {reason.replace(chr(10), ' ')}"
    assert "Priya and Edna&#39;s son fell out" in why  # escaped, as typed
    # Never the cook's or the carer's: their messages keep today's words, their pages too.
    told = session.exec(
        select(Notification).where(
            col(Notification.to_user_id).in_([world.cook.id, world.carer.id])
        )
    ).all()
    assert {m.event for m in told} >= {"pairing_ended"}
    assert not [m for m in told if "fell out" in m.subject + m.body]
    for user, pages in (
        (world.cook, ["/cook/"]),
        (world.carer, ["/carer/", f"/carer/relatives/{world.diner_id}"]),
    ):
        client.cookies.clear()
        sign_in(client, user)
        for path in pages:
            seen = client.get(path)
            assert seen.status_code == 200 and "fell out" not in seen.text, path
        export = client.get("/api/me/export", headers=auth_headers(user, settings))
        assert export.status_code == 200 and "fell out" not in export.text


def test_a_meal_later_today_is_coming_up_on_the_record_not_recent(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    """An outside check: a meal at 17:30 today was listed among the recent ones at noon."""
    world = active_pairing(client, session, settings, staff)
    today = council_today(barnet)
    for same_day in session.exec(
        select(Meal).where(Meal.pairing_id == world.pairing_id, Meal.date == today)
    ):
        session.delete(same_day)
    session.add(
        Meal(
            pairing_id=world.pairing_id,
            diner_id=world.diner_id,
            council_id=barnet.id,
            cook_id=world.cook_id,
            date=today,
            start="23:59",
            at=datetime.now(UTC) + timedelta(hours=2),
            status=MealStatus.scheduled,
        )
    )
    session.commit()
    sign_in(client, staff)
    words = text_of(client.get(f"/staff/diners/{world.diner_id}").text)
    coming = words.split("Coming up")[1].split("Recent meals")[0]
    assert "23:59" in coming
