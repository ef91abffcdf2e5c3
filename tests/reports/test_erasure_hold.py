"""A relative whose carer asked for their data to be erased is held out of matching until staff
erase them (app/diners/erasure_hold.py): no cook is looked for, so the reports do not count
them as waiting for a cook (a review found the summary, the map and the unmatched report still
did), in the council that holds them only. A relative the carer registers after asking is not
held, and is counted as any other."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models import Council, User
from tests.factories import (
    approved_cook,
    auth_headers,
    create_user,
    diner_payload,
    registered_diner,
)
from tests.pages.helpers import sign_in
from tests.privacy.test_erasure_hold import ask_for_erasure
from tests.privacy.test_erasure_hold_named import register_after_asking
from tests.reports.test_continuity import _page_number

TUESDAY = {"weekday": 1, "start": "17:30", "frequency": "weekly"}  # the factories' shared time


def _relative(client: TestClient, settings: Settings, carer: User, **payload: object) -> int:
    made = client.post(
        "/api/diners", json=diner_payload(**payload), headers=auth_headers(carer, settings)
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _waiting(client: TestClient, settings: Settings, staff: User) -> dict[str, int]:
    """Every report's count of the staff member's council's diners waiting for a cook."""
    headers = auth_headers(staff, settings)

    def get(path: str) -> dict:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    summary = get("/api/staff/reports/summary")
    unmatched = get("/api/staff/reports/unmatched?limit=500")["items"]
    summary_csv = client.get("/api/staff/reports/summary.csv", headers=headers)
    header, values = (line.split(",") for line in summary_csv.text.splitlines())
    return {
        "summary": summary["waiting_diners"],
        "invited": summary["waiting_diners_invited"],
        "unproposed": summary["waiting_diners_unproposed"],
        "summary.csv": int(dict(zip(header, values, strict=True))["waiting_diners"]),
        "this week": get("/api/staff/reports/weekly?weeks=1")["items"][-1]["waiting_diners"],
        "map": len(get("/api/staff/reports/map")["waiting_diners"]),
        "unmatched": sum(g["diners"] for g in unmatched),
    }


def _on_pages(client: TestClient, staff: User) -> dict[str, int]:
    """The counts the staff pages show, and how many the reports page says it leaves out."""
    client.cookies.clear()
    sign_in(client, staff)
    shown = {
        "reports page": _page_number(client, "/staff/reports", r"Diners waiting for a cook (\d+)"),
        "not counted": _page_number(
            client, "/staff/reports", r"Not counted: (\d+) diners? whose carer asked for their"
        ),
        "staff home page": _page_number(client, "/staff/", r"(\d+) diners? waiting for a cook"),
    }
    client.cookies.clear()
    return shown


def test_a_held_relative_is_not_counted_as_waiting_when_their_carer_asked_for_erasure(
    client: TestClient, session: Session, settings: Settings, staff: User, tower_hamlets: Council
):
    """Barnet: Arthur, and Ada (invited before her carer asked), whose carer asks; Doris,
    another carer's; then Betty, registered after asking. Tower Hamlets: Tom, the same carer's.
    Before: Barnet 3 waiting (Ada invited), Tower Hamlets 1. After: Barnet counts Doris and
    Betty, Tower Hamlets nobody; neither council's hold changes the other's figures."""
    _, cook_id = approved_cook(client, session, settings, staff)
    carer, arthur = registered_diner(client, session, settings, full_name="Arthur Jones")
    ada = _relative(client, settings, carer, full_name="Ada Jones")
    _relative(client, settings, carer, full_name="Tom Jones", postcode="E1 6AA")
    registered_diner(client, session, settings, full_name="Doris Smith")
    invited = client.post(
        "/api/staff/pairings",
        json={"diner_id": ada, "cook_id": cook_id, **TUESDAY},
        headers=auth_headers(staff, settings),
    )
    assert invited.status_code == 201, invited.text
    theirs = create_user(session, role="staff", council=tower_hamlets)
    before = _waiting(client, settings, staff)
    assert before == {
        "summary": 3,
        "invited": 1,
        "unproposed": 2,
        "summary.csv": 3,
        "this week": 3,
        "map": 3,
        "unmatched": 2,
    }
    assert _waiting(client, settings, theirs)["summary"] == 1

    ask_for_erasure(client, carer)
    register_after_asking(client, settings, carer)  # Betty

    after = _waiting(client, settings, staff)
    assert after == {
        "summary": 2,  # Doris and Betty
        "invited": 0,  # Ada's invitation can no longer be accepted
        "unproposed": 2,
        "summary.csv": 2,
        "this week": 2,
        "map": 2,
        "unmatched": 2,
    }
    assert _on_pages(client, staff) == {"reports page": 2, "not counted": 2, "staff home page": 2}
    assert _waiting(client, settings, theirs) == dict.fromkeys(after, 0)
    summary = client.get("/api/staff/reports/summary", headers=auth_headers(staff, settings))
    assert summary.json()["held_for_erasure"] == 2  # Arthur and Ada, not Tom
    tom = client.get("/api/staff/reports/summary", headers=auth_headers(theirs, settings))
    assert tom.json()["held_for_erasure"] == 1

    # Staff erase Arthur: he has left, so is neither held nor waiting any more.
    erased = client.post(
        f"/api/staff/diners/{arthur}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )
    assert erased.status_code == 200, erased.text
    assert _waiting(client, settings, staff) == after
    summary = client.get("/api/staff/reports/summary", headers=auth_headers(staff, settings))
    assert summary.json()["held_for_erasure"] == 1  # Ada
