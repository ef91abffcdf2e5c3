"""Suspensions and rejections stick until the council that set them (or an admin) lifts them;
each council sees what happened to a cook with them; a moved cook waits for a location review."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.config import Settings
from app.models import AuditEntry, AuditReason, Council, Notification, User
from tests.factories import (
    approve_payload,
    approved_cook,
    auth_headers,
    cook_payload,
    create_user,
    signed_up_cook,
)
from tests.pages.test_staff_cooks import sign_in

TOWER_HAMLETS_POSTCODE = "E14 5AB"


def act(client: TestClient, settings: Settings, who: User, cook_id: int, action: str, **body):
    return client.post(
        f"/api/staff/cooks/{cook_id}/{action}",
        json=body or None,
        headers=auth_headers(who, settings),
    )


def move_away(client: TestClient, settings: Settings, cook: User) -> Response:
    """The cook's profile saved at a Tower Hamlets postcode: they move council."""
    moved = client.put(
        "/api/cooks/me",
        json=cook_payload(postcode=TOWER_HAMLETS_POSTCODE),
        headers=auth_headers(cook, settings),
    )
    assert moved.status_code == 200, moved.text
    return moved


def suspended_cook(
    client: TestClient, session: Session, settings: Settings, staff: User
) -> tuple[User, int]:
    cook, cook_id = approved_cook(client, session, settings, staff)
    assert (
        act(client, settings, staff, cook_id, "suspend", reason="concern raised").status_code == 200
    )
    return cook, cook_id


def test_suspended_cook_stays_suspended_when_stopping_then_saving_profile(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, _ = suspended_cook(client, session, settings, staff)
    headers = auth_headers(cook, settings)
    stopped = client.post("/api/cooks/me/stop", json={"reason": "fresh start"}, headers=headers)
    assert stopped.status_code == 200 and stopped.json()["status"] == "suspended"
    saved = client.put("/api/cooks/me", json=cook_payload(display_name="New me"), headers=headers)
    assert saved.status_code == 200
    assert saved.json()["status"] == "suspended"
    assert saved.json()["status_reason"] == "concern raised"
    assert saved.json()["status_council"] == "barnet"


def test_suspended_cook_who_asked_to_stop_stays_stopped_when_the_suspension_is_lifted(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """An outside check: reinstating made them approved, to be invited again, though they had
    asked to stop while suspended."""
    cook, cook_id = suspended_cook(client, session, settings, staff)
    headers = auth_headers(cook, settings)
    client.post("/api/cooks/me/stop", json={"reason": "moving on"}, headers=headers)
    lifted = act(client, settings, staff, cook_id, "reinstate", reason="concern not upheld")
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["status"] == "left"
    assert client.get("/api/cooks/me", headers=headers).json()["status"] == "left"
    told = session.exec(
        select(Notification).where(
            Notification.event == "cook_reinstated", Notification.to_user_id == cook.id
        )
    ).one()
    assert "As you asked to stop, you will not be asked to cook" in told.body
    # Coming back is theirs to choose: a saved profile is checked again, as any returning cook.
    saved = client.put("/api/cooks/me", json=cook_payload(), headers=headers)
    assert saved.json()["status"] == "pending"


def test_suspended_cook_who_stopped_then_saved_their_profile_is_approved_when_it_is_lifted(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = suspended_cook(client, session, settings, staff)
    headers = auth_headers(cook, settings)
    client.post("/api/cooks/me/stop", json={"reason": "moving on"}, headers=headers)
    client.put("/api/cooks/me", json=cook_payload(), headers=headers)  # changed their mind
    lifted = act(client, settings, staff, cook_id, "reinstate", reason="concern not upheld")
    assert lifted.json()["status"] == "approved"


def test_rejected_cook_who_asked_to_stop_stays_stopped_when_the_rejection_is_lifted(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = signed_up_cook(client, session, settings)
    act(client, settings, staff, cook_id, "reject", reason="no references")
    stop = {"reason": "moving away"}
    client.post("/api/cooks/me/stop", json=stop, headers=auth_headers(cook, settings))
    lifted = act(client, settings, staff, cook_id, "reinstate", reason="references arrived")
    assert lifted.json()["status"] == "left"


def test_rejected_cook_stays_rejected_when_stopping_then_saving_profile(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = signed_up_cook(client, session, settings)
    assert (
        act(client, settings, staff, cook_id, "reject", reason="no references").status_code == 200
    )
    headers = auth_headers(cook, settings)
    client.post("/api/cooks/me/stop", json={"reason": "try again"}, headers=headers)
    saved = client.put("/api/cooks/me", json=cook_payload(), headers=headers)
    assert saved.json()["status"] == "rejected"
    assert saved.json()["status_reason"] == "no references"


def test_suspension_sticks_when_cook_moves_to_another_council(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
):
    cook, _ = suspended_cook(client, session, settings, staff)
    moved = move_away(client, settings, cook)
    body = moved.json()
    assert body["council"] == "tower-hamlets" and body["status"] == "suspended"
    assert body["status_reason"] == "concern raised" and body["status_council"] == "barnet"


def test_new_council_cannot_lift_suspension_when_another_council_set_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
):
    cook, cook_id = suspended_cook(client, session, settings, staff)
    move_away(client, settings, cook)
    their_staff = create_user(session, role="staff", council=tower_hamlets)
    refused = act(client, settings, their_staff, cook_id, "reinstate", reason="looks fine")
    assert refused.status_code == 409
    approve = act(client, settings, their_staff, cook_id, "approve", **approve_payload())
    assert approve.status_code == 409
    view = client.get(f"/api/staff/cooks/{cook_id}", headers=auth_headers(their_staff, settings))
    assert view.json()["status"] == "suspended"


def test_imposing_council_lifts_suspension_to_pending_when_cook_has_moved_away(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
):
    cook, cook_id = suspended_cook(client, session, settings, staff)
    move_away(client, settings, cook)
    lifted = act(client, settings, staff, cook_id, "reinstate", reason="resolved")
    assert lifted.status_code == 200, lifted.text
    # Lifted, and the cook is with another council now: nothing of where they live or what
    # they are there (a security review: the answer named the new postcode district).
    assert lifted.json() == {
        "id": cook_id,
        "display_name": "Priya",
        "status": None,
        "moved_away": True,
    }
    assert (
        client.get(f"/api/staff/cooks/{cook_id}", headers=auth_headers(staff, settings)).status_code
        == 404
    )
    # The new council has not vetted the cook: they wait for its checks.
    theirs = auth_headers(create_user(session, role="staff", council=tower_hamlets), settings)
    assert client.get(f"/api/staff/cooks/{cook_id}", headers=theirs).json()["status"] == "pending"


def test_old_councils_audit_entry_names_no_new_status_when_it_lifts_for_a_moved_cook(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
):
    """A security review: the old council's entry of its own reinstatement read the cook's
    status with the new council ("left": they had asked to stop there), in its log and the
    cook's history; the new council's entry keeps it."""
    cook, cook_id = suspended_cook(client, session, settings, staff)
    headers = auth_headers(cook, settings)
    move_away(client, settings, cook)
    client.post("/api/cooks/me/stop", json={"reason": "too busy"}, headers=headers)
    assert act(client, settings, staff, cook_id, "reinstate", reason="resolved").status_code == 200
    ours = auth_headers(staff, settings)
    their_staff = create_user(session, role="staff", council=tower_hamlets)
    theirs = auth_headers(their_staff, settings)

    def reinstated(headers: dict[str, str]) -> dict[str, object]:
        log = client.get(
            f"/api/staff/audit?subject_type=cook&subject_id={cook_id}", headers=headers
        ).json()["items"]
        return next(e["data"] for e in log if e["action"] == "cook.reinstated")

    assert reinstated(ours) == {}
    assert reinstated(theirs) == {"status": "left"}
    history = client.get(f"/api/staff/cooks/{cook_id}/history", headers=ours).json()["items"]
    assert (history[0]["action"], history[0]["status"]) == ("cook.reinstated", None)
    sign_in(client, staff)
    page = client.get("/staff/audit")
    assert page.status_code == 200 and "Reinstated the cook" in page.text
    assert "Status: left" not in page.text
    sign_in(client, their_staff)
    assert "Status: left" in client.get("/staff/audit").text


def test_admin_reads_a_moved_cook_in_full_when_lifting_and_the_old_council_still_does_not(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
):
    cook, cook_id = suspended_cook(client, session, settings, staff)
    move_away(client, settings, cook)
    admin = create_user(session, role="admin")
    lifted = act(client, settings, admin, cook_id, "reinstate", reason="appeal upheld")
    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["council"], lifted.json()["status"]) == ("tower-hamlets", "pending")
    assert lifted.json()["postcode"] == TOWER_HAMLETS_POSTCODE
    log = client.get(
        f"/api/staff/audit?subject_type=cook&subject_id={cook_id}",
        headers=auth_headers(staff, settings),
    ).json()["items"]
    assert [e["data"] for e in log if e["action"] == "cook.reinstated"] == [{}]


def test_admin_lifts_suspension_when_any_council_set_it(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = suspended_cook(client, session, settings, staff)
    admin = create_user(session, role="admin")
    view = client.get(f"/api/staff/cooks/{cook_id}", headers=auth_headers(admin, settings))
    assert view.status_code == 200 and view.json()["status"] == "suspended"
    lifted = act(client, settings, admin, cook_id, "reinstate", reason="appeal upheld")
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["status"] == "approved" and lifted.json()["status_council"] is None


def test_reinstating_rejected_cook_returns_them_to_pending_when_council_lifts_it(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = signed_up_cook(client, session, settings)
    act(client, settings, staff, cook_id, "reject", reason="no references")
    assert act(client, settings, staff, cook_id, "approve", **approve_payload()).status_code == 409
    lifted = act(client, settings, staff, cook_id, "reinstate", reason="references arrived")
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["status"] == "pending"
    assert act(client, settings, staff, cook_id, "approve", **approve_payload()).status_code == 200


def test_other_roles_get_403_when_reinstating(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = suspended_cook(client, session, settings, staff)
    carer = create_user(session, role="carer")
    for who in (cook, carer):
        assert act(client, settings, who, cook_id, "reinstate", reason="x").status_code == 403


def test_history_lists_what_happened_in_this_council_when_staff_reads(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = suspended_cook(client, session, settings, staff)
    act(client, settings, staff, cook_id, "reinstate", reason="resolved")
    history = client.get(
        f"/api/staff/cooks/{cook_id}/history", headers=auth_headers(staff, settings)
    )
    assert history.status_code == 200, history.text
    items = history.json()["items"]
    assert [(i["action"], i["status"]) for i in items] == [
        ("cook.reinstated", "approved"),
        ("cook.suspended", "suspended"),
        ("cook.approved", "approved"),
    ]
    assert {i["actor_name"] for i in items} == {staff.full_name}
    assert history.json()["total"] == 3
    # Why, for each decision: the suspension's reason outlives the reinstatement (it was lost).
    assert [i["reason"] for i in items] == ["resolved", "concern raised", None]


def test_erasing_the_cook_removes_the_reasons_staff_gave_and_keeps_the_history(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = suspended_cook(client, session, settings, staff)
    headers = auth_headers(staff, settings)
    assert (
        client.post(
            f"/api/staff/cooks/{cook_id}/erase", json={"confirm": True}, headers=headers
        ).status_code
        == 200
    )

    items = client.get(f"/api/staff/cooks/{cook_id}/history", headers=headers).json()["items"]

    assert ("cook.suspended", None) in [(i["action"], i["reason"]) for i in items]
    assert session.exec(select(AuditReason)).all() == []


def test_history_follows_each_council_when_suspended_cook_moves(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
):
    cook, cook_id = suspended_cook(client, session, settings, staff)
    their_staff = create_user(session, role="staff", council=tower_hamlets)
    theirs = auth_headers(their_staff, settings)
    assert client.get(f"/api/staff/cooks/{cook_id}/history", headers=theirs).status_code == 404
    move_away(client, settings, cook)
    ours = client.get(
        f"/api/staff/cooks/{cook_id}/history", headers=auth_headers(staff, settings)
    ).json()
    assert [i["action"] for i in ours["items"]] == [
        "cook.moved_away",
        "cook.suspended",
        "cook.approved",
    ]
    assert [
        i["action"]
        for i in client.get(f"/api/staff/cooks/{cook_id}/history", headers=theirs).json()["items"]
    ] == ["cook.moved_in"]
    data = session.exec(select(AuditEntry.data).where(AuditEntry.subject_type == "cook")).all()
    assert all(set(d) <= {"status", "location_review", "dbs_level", "dbs_checked_on"} for d in data)


def test_approved_cook_keeps_status_but_awaits_location_review_when_postcode_changes(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = approved_cook(client, session, settings, staff)
    moved = client.put(
        "/api/cooks/me", json=cook_payload(postcode="N3 1BU"), headers=auth_headers(cook, settings)
    )
    assert moved.status_code == 200
    assert moved.json()["status"] == "approved" and moved.json()["location_review"] is True
    headers = auth_headers(staff, settings)
    assert client.get(f"/api/staff/cooks/{cook_id}", headers=headers).json()["location_review"]
    queue = client.get("/api/staff/cooks?location_review=true", headers=headers).json()
    assert [c["id"] for c in queue["items"]] == [cook_id]


def test_staff_confirm_location_clears_review_and_audits_when_cook_moved(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = approved_cook(client, session, settings, staff)
    client.put(
        "/api/cooks/me", json=cook_payload(postcode="N3 1BU"), headers=auth_headers(cook, settings)
    )
    confirmed = act(client, settings, staff, cook_id, "confirm-location")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["location_review"] is False and confirmed.json()["status"] == "approved"
    assert act(client, settings, staff, cook_id, "confirm-location").status_code == 409
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.subject_id == cook_id)).all()
    assert {"cook.location_changed", "cook.location_confirmed"} <= set(actions)
    own = client.get("/api/cooks/me", headers=auth_headers(cook, settings)).json()
    assert own["location_review"] is False


def test_resaving_same_postcode_leaves_no_location_review_when_cook_approved(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, _ = approved_cook(client, session, settings, staff)
    saved = client.put(
        "/api/cooks/me", json=cook_payload(max_diners=3), headers=auth_headers(cook, settings)
    )
    assert saved.json()["status"] == "approved" and saved.json()["location_review"] is False


SECRET = "Safeguarding: asked Frank Cooper of 14 Oak Road about his bank card"
LIFTED = "Police found no case about Frank Cooper"


def test_new_council_sees_the_status_not_the_old_councils_words_when_a_cook_moves(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
):
    # A security review: the old council's reason, which can name its diners and their
    # addresses, was on the new council's record, API and page, and in its history, with the
    # old council's staff member by name.
    cook, cook_id = approved_cook(client, session, settings, staff)
    assert act(client, settings, staff, cook_id, "suspend", reason=SECRET).status_code == 200
    move_away(client, settings, cook)
    their_staff = create_user(session, role="staff", council=tower_hamlets)
    theirs = auth_headers(their_staff, settings)

    view = client.get(f"/api/staff/cooks/{cook_id}", headers=theirs).json()
    assert (view["status"], view["status_council"]) == ("suspended", "barnet")
    assert view["status_reason"] is None
    sign_in(client, their_staff)
    page = client.get(f"/staff/cooks/{cook_id}")
    assert page.status_code == 200 and "Frank" not in page.text
    assert 'id="decided-elsewhere"' in page.text
    # The cook and an admin still read it.
    assert (
        client.get("/api/cooks/me", headers=auth_headers(cook, settings)).json()["status_reason"]
        == SECRET
    )
    admin = auth_headers(create_user(session, role="admin"), settings)
    assert (
        client.get(f"/api/staff/cooks/{cook_id}", headers=admin).json()["status_reason"] == SECRET
    )

    assert act(client, settings, staff, cook_id, "reinstate", reason=LIFTED).status_code == 200

    history = client.get(f"/api/staff/cooks/{cook_id}/history", headers=theirs).json()["items"]
    assert [(i["action"], i["actor_name"], i["reason"]) for i in history] == [
        ("cook.reinstated", "Another council's staff", None),
        ("cook.moved_in", cook.full_name, None),
    ]
    view = client.get(f"/api/staff/cooks/{cook_id}", headers=theirs).json()
    assert (view["status"], view["status_reason"]) == ("pending", None)
    page = client.get(f"/staff/cooks/{cook_id}")
    assert "Frank" not in page.text and "Another council" in page.text  # who lifted it
    # The council that decided keeps its own words and names.
    ours = client.get(
        f"/api/staff/cooks/{cook_id}/history", headers=auth_headers(staff, settings)
    ).json()["items"]
    assert [(i["action"], i["actor_name"], i["reason"]) for i in ours][:3] == [
        ("cook.reinstated", staff.full_name, LIFTED),
        ("cook.moved_away", cook.full_name, None),
        ("cook.suspended", staff.full_name, SECRET),
    ]
