"""Inputs the schema fuzzer found: each gets a clear 4xx, never a 500 (on both databases)."""

from __future__ import annotations

import annotated_types
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.main import app
from app.models import Diner, User
from app.schemas import MAX_ID
from tests.factories import (
    approved_cook,
    auth_headers,
    cook_payload,
    create_council,
    create_user,
    diner_payload,
)


def test_id_beyond_32_bits_is_422_when_used_in_path_or_body(
    client: TestClient, session: Session, settings: Settings
):
    staff = create_user(session, role="staff", council=create_council(session))
    headers = auth_headers(staff, settings)
    assert client.get("/api/staff/diners/3634809540", headers=headers).status_code == 422
    body = {"diner_id": 2**31, "cook_id": 1, "weekday": 1, "start": "17:30", "frequency": "weekly"}
    refused = client.post("/api/staff/pairings", json=body, headers=headers)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "diner_id"]
    assert client.get(f"/api/staff/audit?offset={2**63}", headers=headers).status_code == 422


def _path_params(dependant: Dependant) -> list:
    return [*dependant.path_params, *(p for d in dependant.dependencies for p in _path_params(d))]


def test_every_number_in_an_address_is_bounded_to_an_id_when_it_is_a_page_or_the_api():
    """A number past 32 bits reached the database from a page's address: SQLite cannot bind
    it and PostgreSQL refuses it, a 500 either way. Every route, API or page, takes its ids
    between 1 and MAX_ID (`PathId`), so FastAPI refuses any other before a query runs."""
    unbounded, checked = [], 0
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        for param in _path_params(route.dependant):
            if param.field_info.annotation is not int:
                continue
            checked += 1
            meta = param.field_info.metadata
            low = [m.ge for m in meta if isinstance(m, annotated_types.Ge)]
            high = [m.le for m in meta if isinstance(m, annotated_types.Le)]
            if not (low and low[0] >= 1 and high and high[0] <= MAX_ID):
                unbounded.append(f"{sorted(route.methods)} {route.path}: {param.name}")
    assert checked > 40  # the API's and the pages' ids
    assert unbounded == []


def test_nul_character_is_refused_cleanly_when_signing_in_or_filtering(
    client: TestClient, session: Session, settings: Settings
):
    token = client.post(
        "/api/auth/token", data={"username": "a\x00b@example.org", "password": "x" * 12}
    )
    # Refused as the browser's sign-in refuses it, naming the field (it was a 401).
    assert token.status_code == 422 and token.json()["detail"][0]["loc"] == ["body", "username"]
    browser = client.post("/api/auth/session", json={"email": "a\x00b@x.org", "password": "x" * 12})
    assert browser.status_code == 422
    staff = create_user(session, role="staff", council=create_council(session))
    audit = client.get("/api/staff/audit?subject_type=a%00b", headers=auth_headers(staff, settings))
    assert audit.status_code == 422


def test_date_must_be_written_as_a_date_when_a_number_is_sent(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, _ = approved_cook(client, session, settings, staff)  # else 404: no profile comes first
    response = client.post(
        "/api/cooks/me/away",
        json={"from": 0, "to": "2031-01-01"},
        headers=auth_headers(cook, settings),
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "from"]
    listed = client.get("/api/cooks/me/meals?from=0", headers=auth_headers(cook, settings))
    assert listed.status_code == 422
    reversed_range = client.get(
        "/api/cooks/me/meals?from=2031-01-10&to=2031-01-01", headers=auth_headers(cook, settings)
    )
    assert reversed_range.status_code == 422  # named where it is: the query, not a body
    assert reversed_range.json()["detail"][0]["loc"] == ["query", "to"]


# Text fields (API.md "Limits"): single-line ones refuse control and format characters and the
# Unicode line/paragraph separators (ZWJ and ZWNJ excepted); multi-line ones keep only "\n".
@pytest.fixture
def carer_headers(session: Session, settings: Settings) -> dict[str, str]:
    create_council(session, slug="barnet", lad_codes=["E09000003"])
    return auth_headers(create_user(session, role="carer"), settings)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", "Edna\u2028Smith"),  # line separator: broke the email carrying the name
        ("full_name", "Edna\u2029Smith"),  # paragraph separator
        ("full_name", "Edna\u202eSmith"),  # right-to-left override (format)
        ("full_name", "Edna\u200bSmith"),  # zero-width space (format)
        ("full_name", "Edna\x85Smith"),  # next line (control)
        ("address_line", "3 Quiet\tClose"),
        ("postcode", "N3\u20281QX"),
        ("access_notes", "Key safe\u2028code 1234"),
        ("access_notes", "Key safe\x0bcode 1234"),
        ("access_notes", "Key safe\rcode 1234"),  # a lone CR is not a line break
        ("full_name", "Edna \ufffdSmith"),  # what unreadable bytes become (U+FFFD)
        ("access_notes", "Key safe\n\ufffd"),
    ],
)
def test_text_field_is_refused_naming_it_when_it_has_a_hidden_character(
    client: TestClient, carer_headers: dict[str, str], field: str, value: str
):
    response = client.post(
        "/api/diners", json=diner_payload(**{field: value}), headers=carer_headers
    )
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
    if "\ufffd" in value:  # not "control or format characters", which it is not
        assert "could not be read (U+FFFD)" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "post",
            "/api/auth/register",
            {
                "email": "a@example.org",
                "password": "x" * 12,
                "full_name": "Ann\u2028Lee",
                "role": "cook",
            },
            "full_name",
        ),
        (
            "post",
            "/api/auth/session",
            {"email": "a\u2028@example.org", "password": "x" * 12},
            "email",
        ),
        ("put", "/api/cooks/me", cook_payload(display_name="Priya\u2029"), "display_name"),
        ("put", "/api/cooks/me", cook_payload(display_name="Pri\u2028ya"), "display_name"),
        ("post", "/api/cooks/me/stop", {"reason": "moving\u2028away"}, "reason"),
    ],
)
def test_text_field_is_refused_naming_it_when_another_endpoint_gets_a_separator(
    client: TestClient,
    session: Session,
    settings: Settings,
    method: str,
    path: str,
    body: dict[str, object],
    field: str,
    staff: User,
):
    cook = create_user(session, role="cook")
    if path.startswith("/api/cooks/me/"):  # these answer 404 to a cook with no profile first
        cook, _ = approved_cook(client, session, settings, staff)
    headers = auth_headers(cook, settings)
    response = client.request(method.upper(), path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]


def test_access_notes_keep_line_breaks_as_newlines_when_sent_with_crlf(
    client: TestClient, session: Session, carer_headers: dict[str, str]
):
    notes = "Key safe by the door\r\nRing twice\nThen wait"
    response = client.post(
        "/api/diners", json=diner_payload(access_notes=notes), headers=carer_headers
    )
    assert response.status_code == 201, response.text
    diner = session.get(Diner, response.json()["id"])
    assert diner is not None
    assert diner.access_notes == "Key safe by the door\nRing twice\nThen wait"


def test_name_with_joiners_is_accepted_when_the_script_needs_them(
    client: TestClient, session: Session, carer_headers: dict[str, str]
):
    name = "\u0dc1\u0dca\u200d\u0dbb\u0dd3 Perera"  # Sinhala "Sri": virama + ZWJ
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ inside a word
    for full_name in (name, persian):
        response = client.post(
            "/api/diners", json=diner_payload(full_name=full_name), headers=carer_headers
        )
        assert response.status_code == 201, response.text
        diner = session.get(Diner, response.json()["id"])
        assert diner is not None and diner.full_name == full_name


@pytest.mark.parametrize(
    "pasted",
    ["\u200bN3 1QX ", "\ufeffn3\u00a01qx", "N3\u2060 1QX\u00ad", "\u200eN3 1QX\u200d"],
)
def test_postcode_is_taken_without_the_invisible_characters_pasted_with_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    carer_headers: dict[str, str],
    pasted: str,
):
    """A postcode is letters, digits and spaces: a zero-width space copied along with it was
    refused as a hidden character, a message nobody can act on (a newcomer's walk)."""
    diner = client.post("/api/diners", json=diner_payload(postcode=pasted), headers=carer_headers)
    assert diner.status_code == 201, diner.text
    assert diner.json()["postcode"] == "N3 1QX"
    moved = client.patch(
        f"/api/diners/{diner.json()['id']}",
        json={"postcode": pasted.replace("1QX", "1HT").replace("1qx", "1ht")},
        headers=carer_headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["postcode"] == "N3 1HT"
    cook = client.put(
        "/api/cooks/me",
        json=cook_payload(postcode=pasted),
        headers=auth_headers(create_user(session, role="cook"), settings),
    )
    assert cook.status_code == 200, cook.text
    assert cook.json()["postcode"] == "N3 1QX"
