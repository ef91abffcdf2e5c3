"""The council's reports over HTTP: one scenario whose figures are worked out by hand.

"Now" is fixed at Wednesday 22 January 2025, 12:00 UTC (GMT, so local time is UTC). The ISO
weeks asked for (weeks=3) are W02 (Mon 6 - Sun 12 January), W03 (13 - 19) and W04 (20 - 26,
under way). Every cook and diner lives in Barnet at N3 1HT / N3 1QX (300 m apart) unless said.

Cooks (created_at, all at 10:00 UTC):
    C1 approved, Tue 17:00-19:00, max 2 diners    created 7 Jan 2025 (W02)
    C2 approved, Tue 17:00-19:00, max 1 diner     created 14 Jan (W03)
    C3 pending                                     created 15 Jan (W03)
    C4 pending                                     created 20 Dec 2024 (before the weeks)
    C5 approved, Wed 12:00-14:00 only, max 1      created 21 Jan (W04)
  -> approved_cooks 3, pending_cooks 2; new cooks W02 1, W03 2, W04 1.

Diners (vegetarian, peanut allergy, soft bite-sized, Tue 17:30-19:00, weekly, unless said):
    D1  created 30 Dec 2024, matched   P1 with C1, active, accepted 2 Jan 18:00
    D2  created 1 Dec 2024, matched    P2 with C1, accepted 10 Dec 12:00, ended 10 Jan 12:00
                                       P3 with C2, active, accepted 15 Jan 12:00
    D3  created 8 Jan, waiting         P5 with C1, proposed (never accepted)
    D4  created 9 Jan, waiting         P6 with C2, declined (never accepted)
    D5  created 9 Jan, waiting, allergic to milk
    D6  created 16 Jan, waiting, EN5 1AA (4.6 km from every cook)
    D7  created 16 Jan, waiting, free Wed 12:30-14:00 only
    D8  created 2 Jan, left            P4 with C2, accepted 3 Jan 12:00, ended 8 Jan 12:00
    D9  created 6 Jan, waiting, paused 20 Jan - 2 Feb
    D10 created 20 Jan 09:00, waiting, allergic to milk
    and, in Tower Hamlets, one waiting diner at E1 6AA, created 10 Jan.

Summary:
    waiting_diners: public status waiting = D3 D4 D5 D6 D7 D10 = 6 (D9 is paused today)
    active_pairings: P1, P3 = 2
    meals (below): delivered 7, of which by the regular cook 5 -> continuity 5/7; missed 2
    pairing lengths in whole days to now or to their end: P1 19 (19 days 18 hours),
        P2 31, P3 7, P4 5 -> sorted 5, 7, 19, 31 -> median (7 + 19) / 2 = 13.0
    regular cooks per diner ever matched: D1 {C1}, D2 {C1, C2}, D8 {C2} -> 4/3
    waiting_diners_invited: D3 (P5 proposed) = 1; waiting_diners_unproposed: the other 5 (the
        unmatched rows below add up to 5)
    the last 12 weeks (30 Oct 2024 - 22 Jan 2025) of delivered meals per diner, in date order:
        D1 C1 C2 -> main-cook share 1/2, runs [1, 1]; D2 C1 C1 C1 C2 -> 3/4, runs [3, 1];
        D8 C1 -> 1, runs [1]. main_cook_share (1/2 + 3/4 + 1) / 3 = 0.75 over 3 diners;
        runs 1 1 3 1 1 -> median_same_cook_run 1.0
    no outcome answers: friend_share null, friend_answers 0

Meals (pairing, date, outcome, who brought it):
    P2 17 Dec delivered C1 | 24 Dec delivered C1 | 31 Dec missed C1 | 7 Jan delivered C1
    P1 7 Jan delivered C1 | 14 Jan delivered C2 (cover) | 21 Jan missed C1 | 28 Jan scheduled
    P4 7 Jan delivered C1 (cover) | 14 Jan cancelled
    P3 21 Jan delivered C2 | 28 Jan needs cover

Weekly:
    W02: delivered 3 (P2, P1 by regulars; P4 by a cover) -> continuity 2/3; missed 0
         waiting at Mon 13 Jan 00:00: D2 (P2 ended 10 Jan, P3 not yet), D3, D4, D5, D9 = 5
         (D1 matched; D8 left when P4 ended on 8 Jan; D6, D7, D10 not yet signed up)
    W03: delivered 1 (P1's cover) -> continuity 0.0; missed 0
         waiting at Mon 20 Jan 00:00: D3, D4, D5, D6, D7, D9 = 6 (D2 matched since 15 Jan;
         D9's pause starts 20 Jan; D10 signs up at 09:00 on 20 Jan)
    W04: delivered 1 (P3, regular) -> continuity 1.0; missed 1 (P1)
         waiting now: D3, D4, D5, D6, D7, D10 = 6 (the summary's figure)

Unmatched (waiting now, no open pairing: D4 D5 D6 D7 D10; D3 has a proposal):
    C1 is full (P1 + P5 = 2), C2 is full (P3 = 1), C5 has a place but cooks on Wednesdays.
    D4 N3: C1, C2 pass every check but capacity                        -> no_capacity
    D5, D10 N3: C1, C2 share Tuesday but cannot cook milk-free         -> no_cook_for_allergy
    D6 EN5: nobody within reach                                         -> no_cook_in_reach
    D7 N3: C5 fits                                                      -> null (run matching)
    Rows: (N3, no_cook_for_allergy, 2), (EN5, no_cook_in_reach, 1), (N3, no_capacity, 1),
          (N3, null, 1).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.main import app
from app.models import Cook, Council, Diner, Meal, Pairing, User
from app.reports.router import report_time
from tests.factories import (
    approved_cook,
    auth_headers,
    cook_payload,
    create_council,
    create_user,
    registered_diner,
    signed_up_cook,
)
from tests.support.statements import selects_run

NOW = datetime(2025, 1, 22, 12, tzinfo=UTC)
WEDNESDAY_LUNCH = [{"weekday": 2, "start": "12:00", "end": "14:00"}]
PATHS = [
    "/api/staff/reports/summary",
    "/api/staff/reports/summary.csv",
    "/api/staff/reports/weekly",
    "/api/staff/reports/weekly.csv",
    "/api/staff/reports/unmatched",
    "/api/staff/reports/unmatched.csv",
]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def frozen(client: TestClient) -> datetime:
    """Reports computed at NOW (the client fixture clears the override afterwards)."""
    app.dependency_overrides[report_time] = lambda: NOW
    return NOW


def _update(session: Session, model: type[Cook] | type[Diner], row_id: int, **fields: object):
    row = session.get(model, row_id)
    assert row is not None
    for name, value in fields.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()


def _pairing(
    session: Session,
    council: Council,
    cook_id: int,
    diner_id: int,
    status: str,
    accepted_at: datetime | None = None,
    ended_at: datetime | None = None,
    end_reason: str | None = None,
) -> Pairing:
    pairing = Pairing(
        council_id=council.id,  # type: ignore[arg-type]
        cook_id=cook_id,
        diner_id=diner_id,
        status=status,
        weekday=1,
        start="17:30",
        frequency="weekly",
        distance_m=300.0,
        proposed_at=(accepted_at or NOW).replace(hour=9),
        accepted_at=accepted_at,
        ended_at=ended_at,
        end_reason=end_reason,
    )
    session.add(pairing)
    session.flush()
    return pairing


def _meal(
    session: Session,
    pairing: Pairing,
    day: date,
    status: str,
    cook_id: int | None,
    is_cover: bool = False,
) -> None:
    session.add(
        Meal(
            pairing_id=pairing.id,  # type: ignore[arg-type]
            diner_id=pairing.diner_id,
            council_id=pairing.council_id,
            cook_id=cook_id,
            date=day,
            start="17:30",
            at=datetime.combine(day, time(17, 30), tzinfo=UTC),
            status=status,
            is_cover=is_cover,
        )
    )
    session.flush()


@pytest.fixture
def scenario(
    client: TestClient,
    session: Session,
    settings: Settings,
    barnet: Council,
    tower_hamlets: Council,
    staff: User,
    frozen: datetime,
) -> dict[str, int]:
    """The people, pairings and meals of the module docstring."""
    _, c1 = approved_cook(client, session, settings, staff)
    _, c2 = approved_cook(client, session, settings, staff, max_diners=1)
    _, c3 = signed_up_cook(client, session, settings)
    _, c4 = signed_up_cook(client, session, settings)
    _, c5 = approved_cook(
        client, session, settings, staff, max_diners=1, availability=WEDNESDAY_LUNCH
    )
    for cook_id, created in [
        (c1, utc(2025, 1, 7, 10)),
        (c2, utc(2025, 1, 14, 10)),
        (c3, utc(2025, 1, 15, 10)),
        (c4, utc(2024, 12, 20, 10)),
        (c5, utc(2025, 1, 21, 10)),
    ]:
        _update(session, Cook, cook_id, created_at=created)

    milk = {"allergies": ["peanuts", "milk"]}
    wednesday = {"availability": [{"weekday": 2, "start": "12:30", "end": "14:00"}]}
    diners: dict[str, tuple[dict[str, object], dict[str, object]]] = {
        "d1": ({}, {"created_at": utc(2024, 12, 30, 10), "status": "matched"}),
        "d2": ({}, {"created_at": utc(2024, 12, 1, 10), "status": "matched"}),
        "d3": ({}, {"created_at": utc(2025, 1, 8, 10)}),
        "d4": ({}, {"created_at": utc(2025, 1, 9, 10)}),
        "d5": (milk, {"created_at": utc(2025, 1, 9, 10)}),
        "d6": ({"postcode": "EN5 1AA"}, {"created_at": utc(2025, 1, 16, 10)}),
        "d7": (wednesday, {"created_at": utc(2025, 1, 16, 10)}),
        "d8": ({}, {"created_at": utc(2025, 1, 2, 10), "status": "left"}),
        "d9": (
            {},
            {
                "created_at": utc(2025, 1, 6, 10),
                "paused_from": date(2025, 1, 20),
                "paused_to": date(2025, 2, 2),
            },
        ),
        "d10": (milk, {"created_at": utc(2025, 1, 20, 9)}),
        "elsewhere": ({"postcode": "E1 6AA"}, {"created_at": utc(2025, 1, 10, 10)}),
    }
    ids: dict[str, int] = {}
    for name, (payload, fields) in diners.items():
        _, ids[name] = registered_diner(client, session, settings, **payload)
        _update(session, Diner, ids[name], **fields)

    p1 = _pairing(session, barnet, c1, ids["d1"], "active", utc(2025, 1, 2, 18))
    p2 = _pairing(
        session,
        barnet,
        c1,
        ids["d2"],
        "ended",
        utc(2024, 12, 10, 12),
        utc(2025, 1, 10, 12),
        "change_requested",
    )
    p3 = _pairing(session, barnet, c2, ids["d2"], "active", utc(2025, 1, 15, 12))
    p4 = _pairing(
        session,
        barnet,
        c2,
        ids["d8"],
        "ended",
        utc(2025, 1, 3, 12),
        utc(2025, 1, 8, 12),
        "diner_left",
    )
    _pairing(session, barnet, c1, ids["d3"], "proposed")
    _pairing(session, barnet, c2, ids["d4"], "declined", None, utc(2025, 1, 10, 12), "declined")

    _meal(session, p2, date(2024, 12, 17), "delivered", c1)
    _meal(session, p2, date(2024, 12, 24), "delivered", c1)
    _meal(session, p2, date(2024, 12, 31), "missed", c1)
    _meal(session, p2, date(2025, 1, 7), "delivered", c1)
    _meal(session, p1, date(2025, 1, 7), "delivered", c1)
    _meal(session, p1, date(2025, 1, 14), "delivered", c2, is_cover=True)
    _meal(session, p1, date(2025, 1, 21), "missed", c1)
    _meal(session, p1, date(2025, 1, 28), "scheduled", c1)
    _meal(session, p4, date(2025, 1, 7), "delivered", c1, is_cover=True)
    _meal(session, p4, date(2025, 1, 14), "cancelled", c2)
    _meal(session, p3, date(2025, 1, 21), "delivered", c2)
    _meal(session, p3, date(2025, 1, 28), "needs_cover", None)
    return ids


EXPECTED_SUMMARY = {
    "approved_cooks": 3,
    "pending_cooks": 2,
    "waiting_diners": 6,
    "active_pairings": 2,
    "meals_delivered": 7,
    "meals_missed": 2,
    "continuity_rate": 5 / 7,
    "median_pairing_days": 13.0,
    "regular_cooks_per_diner": 4 / 3,
    "waiting_diners_invited": 1,
    "waiting_diners_unproposed": 5,
    "main_cook_share": 0.75,
    "median_same_cook_run": 1.0,
    "continuity_diners": 3,
    "friend_share": None,
    "friend_answers": 0,
    "held_for_erasure": 0,
}
EXPECTED_WEEKS = [
    {
        "week": "2025-W02",
        "week_start": "2025-01-06",
        "week_end": "2025-01-12",
        "meals_delivered": 3,
        "meals_missed": 0,
        "new_cooks": 1,
        "waiting_diners": 5,
        "continuity_rate": 2 / 3,
    },
    {
        "week": "2025-W03",
        "week_start": "2025-01-13",
        "week_end": "2025-01-19",
        "meals_delivered": 1,
        "meals_missed": 0,
        "new_cooks": 2,
        "waiting_diners": 6,
        "continuity_rate": 0.0,
    },
    {
        "week": "2025-W04",
        "week_start": "2025-01-20",
        "week_end": "2025-01-26",
        "meals_delivered": 1,
        "meals_missed": 1,
        "new_cooks": 1,
        "waiting_diners": 6,
        "continuity_rate": 1.0,
    },
]
EXPECTED_UNMATCHED = [
    {"district": "N3", "reason": "no_cook_for_allergy", "diners": 2},
    {"district": "EN5", "reason": "no_cook_in_reach", "diners": 1},
    {"district": "N3", "reason": "no_capacity", "diners": 1},
    {"district": "N3", "reason": None, "diners": 1},
]


def _csv_rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text)))


def _typed(row: dict[str, str], like: dict[str, object]) -> dict[str, object]:
    """A CSV row read back with the JSON's types (an empty cell is null)."""
    out: dict[str, object] = {}
    for key, cell in row.items():
        expected = like[key]
        if cell == "":
            out[key] = None
        elif isinstance(expected, bool) or expected is None or isinstance(expected, str):
            out[key] = cell
        elif isinstance(expected, int):
            out[key] = int(cell)
        else:
            out[key] = float(cell)
    return out


def test_summary_matches_hand_worked_figures_when_scenario_is_set_up(
    client: TestClient, settings: Settings, staff: User, scenario: dict[str, int]
):
    response = client.get("/api/staff/reports/summary", headers=auth_headers(staff, settings))
    assert response.status_code == 200, response.text
    assert response.json() == EXPECTED_SUMMARY


def test_weekly_matches_hand_worked_figures_when_three_weeks_asked(
    client: TestClient, settings: Settings, staff: User, scenario: dict[str, int]
):
    response = client.get(
        "/api/staff/reports/weekly", params={"weeks": 3}, headers=auth_headers(staff, settings)
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"items": EXPECTED_WEEKS, "total": 3}


def test_weekly_gives_twelve_weeks_ending_this_week_when_weeks_not_given(
    client: TestClient, settings: Settings, staff: User, scenario: dict[str, int]
):
    items = client.get("/api/staff/reports/weekly", headers=auth_headers(staff, settings)).json()[
        "items"
    ]
    assert len(items) == 12
    assert items[0]["week"] == "2024-W45" and items[-3:] == EXPECTED_WEEKS
    # Before W02: 2024-W51 (16-22 Dec) has P2's 17 Dec meal and C4 (20 Dec); 2024-W52 has
    # P2's 24 Dec meal; 2025-W01 (30 Dec - 5 Jan) P2's missed 31 Dec meal. Nobody waits at
    # their ends: D2 is matched from 10 Dec, D1 and D8 are matched within days of signing up
    # (2 and 3 Jan), and D9 signs up on Monday 6 Jan at 10:00.
    assert [
        (w["week"], w["meals_delivered"], w["meals_missed"], w["new_cooks"], w["waiting_diners"])
        for w in items[-6:-3]
    ] == [("2024-W51", 1, 0, 1, 0), ("2024-W52", 1, 0, 0, 0), ("2025-W01", 0, 1, 0, 0)]
    assert [w["continuity_rate"] for w in items[-6:-3]] == [1.0, 1.0, None]
    # Earlier: D2 signed up on Sunday 1 Dec and waited until P2 on 10 Dec, so is counted at
    # the ends of 2024-W48 (25 Nov - 1 Dec) and W49 (2 - 8 Dec); nothing else happened.
    assert [(w["week"], w["waiting_diners"]) for w in items[:-6]] == [
        ("2024-W45", 0),
        ("2024-W46", 0),
        ("2024-W47", 0),
        ("2024-W48", 1),
        ("2024-W49", 1),
        ("2024-W50", 0),
    ]
    assert all(
        (w["meals_delivered"], w["meals_missed"], w["new_cooks"], w["continuity_rate"])
        == (0, 0, 0, None)
        for w in items[:-6]
    )
    assert sum(w["meals_delivered"] for w in items) == 7
    assert sum(w["meals_missed"] for w in items) == 2


def test_unmatched_matches_hand_worked_reasons_when_scenario_is_set_up(
    client: TestClient, settings: Settings, staff: User, scenario: dict[str, int]
):
    response = client.get("/api/staff/reports/unmatched", headers=auth_headers(staff, settings))
    assert response.status_code == 200, response.text
    assert response.json() == {"items": EXPECTED_UNMATCHED, "total": 4}


def test_unmatched_pages_rows_when_limit_and_offset_given(
    client: TestClient, settings: Settings, staff: User, scenario: dict[str, int]
):
    response = client.get(
        "/api/staff/reports/unmatched",
        params={"limit": 2, "offset": 1},
        headers=auth_headers(staff, settings),
    )
    assert response.json() == {"items": EXPECTED_UNMATCHED[1:3], "total": 4}


def test_csv_files_parse_to_the_same_figures_when_downloaded(
    client: TestClient, settings: Settings, staff: User, scenario: dict[str, int]
):
    headers = auth_headers(staff, settings)
    summary = client.get("/api/staff/reports/summary.csv", headers=headers)
    assert summary.headers["content-disposition"] == (
        'attachment; filename="extra-portion-barnet-summary-2025-01-22.csv"'
    )
    rows = _csv_rows(summary)
    assert list(rows[0]) == list(EXPECTED_SUMMARY)
    assert [_typed(r, EXPECTED_SUMMARY) for r in rows] == [EXPECTED_SUMMARY]

    weekly = client.get("/api/staff/reports/weekly.csv", params={"weeks": 3}, headers=headers)
    assert weekly.headers["content-disposition"] == (
        'attachment; filename="extra-portion-barnet-weekly-2025-01-22.csv"'
    )
    assert [_typed(r, EXPECTED_WEEKS[0]) for r in _csv_rows(weekly)] == EXPECTED_WEEKS

    unmatched = client.get("/api/staff/reports/unmatched.csv", headers=headers)
    assert unmatched.headers["content-disposition"] == (
        'attachment; filename="extra-portion-barnet-unmatched-2025-01-22.csv"'
    )
    # A diner a cook fits now has no reason in the API (null); the file says "proposable",
    # not a blank cell that read as unknown (a browser walk).
    in_csv = [{**u, "reason": u["reason"] or "proposable"} for u in EXPECTED_UNMATCHED]
    assert [_typed(r, EXPECTED_UNMATCHED[0]) for r in _csv_rows(unmatched)] == in_csv


def test_other_council_staff_sees_only_their_own_diner_when_barnet_is_busy(
    client: TestClient,
    session: Session,
    settings: Settings,
    tower_hamlets: Council,
    scenario: dict[str, int],
):
    """Tower Hamlets has one waiting diner (E1 6AA, since 10 January) and nothing else."""
    headers = auth_headers(create_user(session, role="staff", council=tower_hamlets), settings)
    assert client.get("/api/staff/reports/summary", headers=headers).json() == {
        "approved_cooks": 0,
        "pending_cooks": 0,
        "waiting_diners": 1,
        "active_pairings": 0,
        "meals_delivered": 0,
        "meals_missed": 0,
        "continuity_rate": None,
        "median_pairing_days": None,
        "regular_cooks_per_diner": None,
        "waiting_diners_invited": 0,
        "waiting_diners_unproposed": 1,
        "main_cook_share": None,
        "median_same_cook_run": None,
        "continuity_diners": 0,
        "friend_share": None,
        "friend_answers": 0,
        "held_for_erasure": 0,
    }
    weeks = client.get("/api/staff/reports/weekly?weeks=3", headers=headers).json()["items"]
    assert [
        (w["meals_delivered"], w["meals_missed"], w["new_cooks"], w["waiting_diners"])
        for w in weeks
    ] == [(0, 0, 0, 1)] * 3
    assert all(w["continuity_rate"] is None for w in weeks)
    assert client.get("/api/staff/reports/unmatched", headers=headers).json() == {
        "items": [{"district": "E1", "reason": "no_cook_in_reach", "diners": 1}],
        "total": 1,
    }
    rows = _csv_rows(client.get("/api/staff/reports/unmatched.csv", headers=headers))
    assert rows == [{"district": "E1", "reason": "no_cook_in_reach", "diners": "1"}]


def test_reports_are_zeros_and_nulls_when_council_has_nothing(
    client: TestClient, session: Session, settings: Settings, frozen: datetime
):
    headers = auth_headers(
        create_user(session, role="staff", council=create_council(session)), settings
    )
    summary = client.get("/api/staff/reports/summary", headers=headers).json()
    assert summary == {
        "approved_cooks": 0,
        "pending_cooks": 0,
        "waiting_diners": 0,
        "active_pairings": 0,
        "meals_delivered": 0,
        "meals_missed": 0,
        "continuity_rate": None,
        "median_pairing_days": None,
        "regular_cooks_per_diner": None,
        "waiting_diners_invited": 0,
        "waiting_diners_unproposed": 0,
        "main_cook_share": None,
        "median_same_cook_run": None,
        "continuity_diners": 0,
        "friend_share": None,
        "friend_answers": 0,
        "held_for_erasure": 0,
    }
    weeks = client.get("/api/staff/reports/weekly?weeks=1", headers=headers).json()
    assert weeks == {
        "items": [
            {
                "week": "2025-W04",
                "week_start": "2025-01-20",
                "week_end": "2025-01-26",
                "meals_delivered": 0,
                "meals_missed": 0,
                "new_cooks": 0,
                "waiting_diners": 0,
                "continuity_rate": None,
            }
        ],
        "total": 1,
    }
    assert client.get("/api/staff/reports/unmatched", headers=headers).json() == {
        "items": [],
        "total": 0,
    }
    summary_csv = client.get("/api/staff/reports/summary.csv", headers=headers)
    assert summary_csv.text.splitlines()[1] == "0,0,0,0,0,0,,,,0,0,,,0,,0,0"
    assert _csv_rows(client.get("/api/staff/reports/unmatched.csv", headers=headers)) == []


@pytest.mark.parametrize("role", ["cook", "carer", "admin"])
@pytest.mark.parametrize("path", PATHS)
def test_reports_answer_403_when_user_is_not_staff(
    client: TestClient, session: Session, settings: Settings, barnet: Council, role: str, path: str
):
    user = create_user(session, role=role, council=barnet if role == "admin" else None)
    response = client.get(path, headers=auth_headers(user, settings))
    assert response.status_code == 403
    assert "staff" in response.json()["detail"]


@pytest.mark.parametrize("path", PATHS)
def test_reports_answer_401_when_not_signed_in(client: TestClient, path: str):
    assert client.get(path).status_code == 401


@pytest.mark.parametrize("weeks", ["0", "105", "-1", "twelve", "1.5"])
@pytest.mark.parametrize("path", ["/api/staff/reports/weekly", "/api/staff/reports/weekly.csv"])
def test_weekly_answers_422_naming_weeks_when_weeks_out_of_range(
    client: TestClient, settings: Settings, staff: User, path: str, weeks: str
):
    response = client.get(path, params={"weeks": weeks}, headers=auth_headers(staff, settings))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "weeks"]


def test_weekly_accepts_two_years_when_weeks_is_104(
    client: TestClient, settings: Settings, staff: User, frozen: datetime
):
    response = client.get(
        "/api/staff/reports/weekly", params={"weeks": 104}, headers=auth_headers(staff, settings)
    )
    assert response.status_code == 200
    assert response.json()["total"] == 104
    assert response.json()["items"][0]["week_start"] == "2023-01-30"


def test_unmatched_answers_422_when_limit_is_over_500(
    client: TestClient, settings: Settings, staff: User
):
    response = client.get(
        "/api/staff/reports/unmatched", params={"limit": 501}, headers=auth_headers(staff, settings)
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_summary_runs_five_selects_beyond_the_sign_in_check_when_council_is_busy(
    client: TestClient, engine: Engine, settings: Settings, staff: User, scenario: dict[str, int]
):
    headers = auth_headers(staff, settings)

    def get(path: str) -> None:
        assert client.get(path, headers=headers).status_code == 200

    signed_in = selects_run(engine, lambda: get("/api/me"))
    summary = selects_run(engine, lambda: get("/api/staff/reports/summary"))
    # the council's clock, the counts (one statement), the accepted pairings, the recent
    # meals' cooks and the outcome answers; no statement per row
    assert len(summary) - len(signed_in) == 5


def test_a_cook_who_moved_away_stays_among_the_new_cooks_of_the_council_they_joined(
    client: TestClient, session: Session, settings: Settings, staff: User, tower_hamlets: Council
):
    """A security review: the weekly count read each cook's council now, so a cook who moved
    left the week they signed up in, and was counted in the other council's past."""
    cook = create_user(session, role="cook")
    headers = auth_headers(cook, settings)
    assert client.put("/api/cooks/me", json=cook_payload(), headers=headers).status_code == 200
    theirs = create_user(session, role="staff", council=tower_hamlets)

    def joined_this_week(user: User) -> int:
        weeks = client.get(
            "/api/staff/reports/weekly", params={"weeks": 1}, headers=auth_headers(user, settings)
        )
        assert weeks.status_code == 200, weeks.text
        return int(weeks.json()["items"][-1]["new_cooks"])

    assert (joined_this_week(staff), joined_this_week(theirs)) == (1, 0)
    moved = client.put("/api/cooks/me", json=cook_payload(postcode="E14 5AB"), headers=headers)
    assert moved.status_code == 200 and moved.json()["council"] == "tower-hamlets", moved.text
    assert (joined_this_week(staff), joined_this_week(theirs)) == (1, 0)
    # And back again: still where they signed up.
    back = client.put("/api/cooks/me", json=cook_payload(), headers=headers)
    assert back.status_code == 200 and back.json()["council"] == "barnet", back.text
    assert (joined_this_week(staff), joined_this_week(theirs)) == (1, 0)
