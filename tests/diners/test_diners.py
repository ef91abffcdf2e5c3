from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import AuditEntry, Council, Diner, Meal, Notification, User
from tests.factories import active_pairing, auth_headers, create_user, diner_payload


def test_carer_registers_diner_waiting_with_consent_recorded_when_valid(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    carer = create_user(session, role="carer")
    response = client.post(
        "/api/diners", json=diner_payload(), headers=auth_headers(carer, settings)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "waiting" and body["council"] == "barnet"
    assert body["postcode"] == "N3 1QX" and body["pairing"] is None and body["upcoming_meals"] == []
    # The coordinates are staff's alone (SECURITY.md); the carer gave the address.
    assert body["position"] is None
    read = client.get(f"/api/diners/{body['id']}", headers=auth_headers(carer, settings))
    assert read.json()["position"] is None
    stored = session.get(Diner, body["id"])
    assert stored is not None and stored.consent_by_id == carer.id and stored.consent_at is not None


def test_carer_registers_several_relatives_and_lists_only_own_when_asked(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    carer, other = create_user(session, role="carer"), create_user(session, role="carer")
    headers = auth_headers(carer, settings)
    client.post("/api/diners", json=diner_payload(full_name="Edna Smith"), headers=headers)
    client.post("/api/diners", json=diner_payload(full_name="Albert Smith"), headers=headers)
    client.post(
        "/api/diners",
        json=diner_payload(full_name="Not Mine"),
        headers=auth_headers(other, settings),
    )
    listing = client.get("/api/diners", headers=headers).json()
    assert listing["total"] == 2
    assert sorted(d["full_name"] for d in listing["items"]) == ["Albert Smith", "Edna Smith"]
    assert all("position" not in d and "access_notes" not in d for d in listing["items"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("consent", False),
        ("consent", "true"),
        ("allergies", ["shellfish"]),
        ("texture", "liquidised"),
        ("frequency", "daily"),
        ("full_name", ""),
        ("full_name", "x" * 201),
        ("full_name", ["Edna"]),
        ("postcode", "12345"),
        ("availability", [{"weekday": 2, "start": "18:00", "end": "17:00"}]),
        ("phone", "not a phone"),
        ("access_notes", "x" * 501),
    ],
)
def test_bad_diner_gets_422_naming_field_and_saves_nothing(
    client: TestClient,
    session: Session,
    settings: Settings,
    barnet: Council,
    field: str,
    value: object,
):
    carer = create_user(session, role="carer")
    response = client.post(
        "/api/diners", json=diner_payload(**{field: value}), headers=auth_headers(carer, settings)
    )
    assert response.status_code == 422, response.text
    assert any(field in e["loc"] for e in response.json()["detail"])
    assert session.exec(select(Diner)).all() == []


@pytest.mark.parametrize("field", ["diets", "allergies", "texture", "frequency"])
def test_a_diner_sent_without_a_needs_field_gets_422_naming_it_rather_than_a_default(
    client: TestClient, session: Session, settings: Settings, barnet: Council, field: str
):
    """Before, a diner sent without `allergies` was registered as allergic to nothing."""
    body = diner_payload()
    del body[field]
    carer = create_user(session, role="carer")
    response = client.post("/api/diners", json=body, headers=auth_headers(carer, settings))
    assert response.status_code == 422, response.text
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [
        (["body", field], "missing")
    ]
    assert session.exec(select(Diner)).all() == []


def test_diner_outside_every_area_gets_422_when_registered(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    carer = create_user(session, role="carer")
    response = client.post(
        "/api/diners", json=diner_payload(postcode="EH1 1YZ"), headers=auth_headers(carer, settings)
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "outside_service_area"


def test_pause_shows_paused_then_resumes_when_range_passes(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    carer = create_user(session, role="carer")
    headers = auth_headers(carer, settings)
    diner_id = client.post("/api/diners", json=diner_payload(), headers=headers).json()["id"]
    today = date.today()
    body = {"from": str(today), "to": str(today + timedelta(days=10)), "reason": "hospital stay"}
    paused = client.post(f"/api/diners/{diner_id}/pause", json=body, headers=headers)
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused" and paused.json()["paused_to"] == body["to"]
    other_id = client.post("/api/diners", json=diner_payload(), headers=headers).json()["id"]
    later = {"from": str(today + timedelta(days=30)), "to": str(today + timedelta(days=31))}
    assert (
        client.post(f"/api/diners/{other_id}/pause", json=later, headers=headers).json()["status"]
        == "waiting"
    )


def test_a_second_pause_apart_from_the_first_is_refused_rather_than_replacing_it(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Pausing for a December holiday replaced a January hospital stay: its meals came back,
    with reminders, and the cook was never told (an outside check)."""
    world = active_pairing(client, session, settings, staff)
    meals = client.get("/api/cooks/me/meals", headers=world.cook_headers).json()["items"]
    later = [date.fromisoformat(m["date"]) for m in meals][2:4]
    hospital = {"from": str(later[0]), "to": str(later[1]), "reason": "hospital stay"}
    path = f"/api/diners/{world.diner_id}/pause"
    assert client.post(path, json=hospital, headers=world.carer_headers).status_code == 200
    holiday = {"from": str(date.today()), "to": str(date.today())}

    refused = client.post(path, json=holiday, headers=world.carer_headers)

    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        f"Meals are already paused from {later[0].day} {later[0]:%B %Y} to "
        f"{later[1].day} {later[1]:%B %Y}, and there is one pause at a time"
    )
    stored = session.exec(
        select(Meal).where(Meal.diner_id == world.diner_id, col(Meal.date).in_(later))
    ).all()
    assert [m.status for m in stored] == ["cancelled", "cancelled"]
    # Dates that touch it change it: the pause is moved, a meal outside it is back on, and
    # its cook is told so.
    moved = {"from": str(later[1]), "to": str(later[1] + timedelta(days=7))}
    assert client.post(path, json=moved, headers=world.carer_headers).status_code == 200
    session.expire_all()
    back = session.exec(select(Meal).where(Meal.diner_id == world.diner_id, Meal.date == later[0]))
    assert back.one().status == "scheduled"
    told = session.exec(select(Notification).where(Notification.event == "meal_back_on")).all()
    assert [(n.to_user_id, n.subject) for n in told] == [
        (world.cook.id, f"The meal for Edna on {later[0]:%A %d %B} is back on")
    ]


def test_pause_gets_422_when_dates_reversed_or_past(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    headers = auth_headers(create_user(session, role="carer"), settings)
    diner_id = client.post("/api/diners", json=diner_payload(), headers=headers).json()["id"]
    reversed_ = client.post(
        f"/api/diners/{diner_id}/pause",
        json={"from": "2031-05-10", "to": "2031-05-01"},
        headers=headers,
    )
    past = client.post(
        f"/api/diners/{diner_id}/pause",
        json={"from": "2020-05-01", "to": "2020-05-10"},
        headers=headers,
    )
    assert reversed_.status_code == 422 and past.status_code == 422
    assert [e["loc"] for e in reversed_.json()["detail"]] == [["body", "to"]]  # was ["body"]
    assert past.json()["detail"][0]["loc"] == ["body", "to"]
    too_long = client.post(
        f"/api/diners/{diner_id}/pause",
        json={"from": "2031-05-01", "to": "2032-06-01"},
        headers=headers,
    )
    assert [(e["loc"], e["msg"]) for e in too_long.json()["detail"]] == [
        (["body", "to"], "Value error, a pause lasts at most a year")
    ]


def test_leave_marks_diner_left_and_second_leave_conflicts(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    headers = auth_headers(create_user(session, role="carer"), settings)
    diner_id = client.post("/api/diners", json=diner_payload(), headers=headers).json()["id"]
    left = client.post(
        f"/api/diners/{diner_id}/leave", json={"reason": "moved to care home"}, headers=headers
    )
    assert left.status_code == 200 and left.json()["status"] == "left"
    again = client.post(f"/api/diners/{diner_id}/leave", json={"reason": "again"}, headers=headers)
    assert again.status_code == 409


def test_staff_refers_diner_without_carer_when_in_own_council(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    staff = create_user(session, role="staff", council=barnet)
    response = client.post(
        "/api/staff/diners", json=diner_payload(), headers=auth_headers(staff, settings)
    )
    assert response.status_code == 201, response.text
    assert response.json()["referred_by_staff"] is True
    actions = session.exec(select(AuditEntry.action)).all()
    assert "diner.referred" in actions


def test_staff_referral_gets_422_when_postcode_in_another_council(
    client: TestClient,
    session: Session,
    settings: Settings,
    barnet: Council,
    tower_hamlets: Council,
):
    staff = create_user(session, role="staff", council=tower_hamlets)
    response = client.post(
        "/api/staff/diners", json=diner_payload(), headers=auth_headers(staff, settings)
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "outside_council_area"


def test_staff_lists_waiting_diners_of_own_council_only_when_filtered(
    client: TestClient,
    session: Session,
    settings: Settings,
    barnet: Council,
    tower_hamlets: Council,
):
    carer = create_user(session, role="carer")
    headers = auth_headers(carer, settings)
    client.post("/api/diners", json=diner_payload(), headers=headers)
    client.post("/api/diners", json=diner_payload(postcode="E1 6AA"), headers=headers)
    barnet_staff = create_user(session, role="staff", council=barnet)
    waiting = client.get(
        "/api/staff/diners?status=waiting", headers=auth_headers(barnet_staff, settings)
    ).json()
    assert waiting["total"] == 1 and waiting["items"][0]["postcode"] == "N3 1QX"
    assert (
        client.get(
            "/api/staff/diners?status=left", headers=auth_headers(barnet_staff, settings)
        ).json()["total"]
        == 0
    )
    assert (
        client.get(
            "/api/staff/diners?limit=501", headers=auth_headers(barnet_staff, settings)
        ).status_code
        == 422
    )


def test_staff_list_pages_count_every_match_when_paged_filtered_or_past_the_end(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    carer = create_user(session, role="carer")
    headers = auth_headers(carer, settings)
    ids = [
        client.post("/api/diners", json=diner_payload(full_name=name), headers=headers).json()["id"]
        for name in ("Ada One", "Bea Two", "Cyd Three")
    ]
    today = date.today()
    pause = {"from": str(today), "to": str(today + timedelta(days=3)), "reason": "hospital stay"}
    client.post(f"/api/diners/{ids[1]}/pause", json=pause, headers=headers)
    staff = auth_headers(create_user(session, role="staff", council=barnet), settings)

    def page(query: str) -> tuple[list[tuple[int, str]], int]:
        body = client.get(f"/api/staff/diners?{query}", headers=staff).json()
        return [(d["id"], d["status"]) for d in body["items"]], body["total"]

    assert page("limit=2") == ([(ids[0], "waiting"), (ids[1], "paused")], 3)
    assert page("limit=2&offset=2") == ([(ids[2], "waiting")], 3)
    assert page("limit=2&offset=5") == ([], 3)  # past the end: still the total
    assert page("status=waiting&limit=1&offset=1") == ([(ids[2], "waiting")], 2)
    assert page("status=paused") == ([(ids[1], "paused")], 1)
    assert page("status=matched&offset=1") == ([], 0)
    mine = client.get("/api/diners?limit=1&offset=2", headers=headers).json()
    assert [d["id"] for d in mine["items"]] == [ids[2]] and mine["total"] == 3


def test_staff_view_of_diner_is_audited_when_read(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    diner_id = client.post(
        "/api/diners",
        json=diner_payload(),
        headers=auth_headers(create_user(session, role="carer"), settings),
    ).json()["id"]
    staff = create_user(session, role="staff", council=barnet)
    response = client.get(f"/api/staff/diners/{diner_id}", headers=auth_headers(staff, settings))
    assert response.status_code == 200 and response.json()["address_line"] == "3 Quiet Close"
    assert response.json()["position"]["precision"] == "unit"
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.action == "diner.address_viewed")
    ).all()
    assert [(e.actor_id, e.subject_id) for e in entries] == [(staff.id, diner_id)]


def test_carer_gets_404_for_another_carers_diner_or_none_when_read(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    carer, other = create_user(session, role="carer"), create_user(session, role="carer")
    headers = auth_headers(carer, settings)
    mine = client.post("/api/diners", json=diner_payload(), headers=headers).json()
    theirs = client.post(
        "/api/diners", json=diner_payload(), headers=auth_headers(other, settings)
    ).json()
    assert client.get(f"/api/diners/{mine['id']}", headers=headers).json() == mine
    for diner_id in (theirs["id"], theirs["id"] + 1000):
        response = client.get(f"/api/diners/{diner_id}", headers=headers)
        assert response.status_code == 404
        assert response.json()["detail"] == "Diner not found"


def test_a_meal_paused_again_after_coming_back_is_told_to_the_cook_again(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Paused, back on, then paused again with the same dates: the second "no meal needed" was
    swallowed as a duplicate, and the cook's last word was "bring it as planned"."""
    world = active_pairing(client, session, settings, staff)
    meals = client.get("/api/cooks/me/meals", headers=world.cook_headers).json()["items"]
    second, third = (date.fromisoformat(m["date"]) for m in meals[1:3])
    path, headers = f"/api/diners/{world.diner_id}/pause", world.carer_headers
    both = {"from": str(second), "to": str(third)}
    assert client.post(path, json=both, headers=headers).status_code == 200
    shorter = {"from": str(third), "to": str(third)}  # touches the first: changes it
    assert client.post(path, json=shorter, headers=headers).status_code == 200

    again = client.post(path, json=both, headers=headers)

    assert again.status_code == 200, again.text
    told = session.exec(
        select(Notification.subject).where(
            Notification.event == "diner_paused", Notification.to_user_id == world.cook.id
        )
    ).all()
    on_second = [s for s in told if s.endswith(f"{second:%A} {second.day} {second:%B}")]
    assert len(on_second) == 2
