from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.models import AreaDemand, Cook, Council
from tests.factories import auth_headers, cook_payload, create_user
from tests.support.statements import beyond_sign_in, selects_run


def test_cook_profile_is_created_pending_when_valid(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    cook = create_user(session, role="cook")
    response = client.put(
        "/api/cooks/me", json=cook_payload(), headers=auth_headers(cook, settings)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "pending" and body["council"] == "barnet"
    assert body["postcode"] == "N3 1HT" and body["phone"] == "+442079460018"
    assert body["position"]["precision"] == "unit"
    assert body["position"]["latitude"] == pytest.approx(51.604193)
    me = client.get("/api/me", headers=auth_headers(cook, settings)).json()
    assert me["council"] == "barnet"


def test_cook_profile_is_replaced_with_same_id_when_put_again(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    headers = auth_headers(create_user(session, role="cook"), settings)
    first = client.put("/api/cooks/me", json=cook_payload(), headers=headers).json()
    second = client.put("/api/cooks/me", json=cook_payload(max_diners=4), headers=headers).json()
    assert second["id"] == first["id"] and second["max_diners"] == 4
    assert client.get("/api/cooks/me", headers=headers).json()["max_diners"] == 4


@pytest.mark.parametrize(
    "field", ["walk_radius_m", "max_diners", "diets", "allergen_free", "textures"]
)
def test_a_profile_sent_without_a_field_gets_422_naming_it_and_keeps_the_saved_one(
    client: TestClient, session: Session, settings: Settings, barnet: Council, field: str
):
    """The profile is replaced whole: before, a field left out was reset to a default (one
    diner, regular food only) without a word."""
    headers = auth_headers(create_user(session, role="cook"), settings)
    saved = client.put("/api/cooks/me", json=cook_payload(max_diners=4), headers=headers)
    assert saved.status_code == 200, saved.text
    body = cook_payload(max_diners=4, textures=["soft_bite_sized"])
    del body[field]
    refused = client.put("/api/cooks/me", json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    assert [(e["loc"], e["type"]) for e in refused.json()["detail"]] == [
        (["body", field], "missing")
    ]
    kept = client.get("/api/cooks/me", headers=headers).json()
    assert kept["max_diners"] == 4 and kept["textures"] == ["regular", "soft_bite_sized"]


def test_effective_radius_is_capped_when_council_maximum_smaller(
    client: TestClient, session: Session, settings: Settings
):
    from tests.factories import create_council

    create_council(session, slug="tight", lad_codes=["E09000003"], max_walk_radius_m=800)
    headers = auth_headers(create_user(session, role="cook"), settings)
    body = client.put(
        "/api/cooks/me", json=cook_payload(walk_radius_m=2000), headers=headers
    ).json()
    assert body["walk_radius_m"] == 2000 and body["effective_radius_m"] == 800


def test_sector_centroid_is_used_when_unit_postcode_unknown(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    headers = auth_headers(create_user(session, role="cook"), settings)
    response = client.put("/api/cooks/me", json=cook_payload(postcode="N3 1ZZ"), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["position"]["precision"] == "sector"


def test_outside_area_gets_422_and_is_noted_when_no_council_covers_postcode(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    headers = auth_headers(create_user(session, role="cook"), settings)
    response = client.put("/api/cooks/me", json=cook_payload(postcode="M1 1AE"), headers=headers)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "outside_service_area" and error["loc"] == ["body", "postcode"]
    assert "don't run here yet" in error["msg"]
    demand = session.exec(select(AreaDemand)).all()
    assert [(d.district, d.role) for d in demand] == [("M1", "cook")]
    assert session.exec(select(Cook)).all() == []


@pytest.mark.parametrize(
    ("field", "value", "loc_tail"),
    [
        ("postcode", "not a postcode", "postcode"),
        ("postcode", "ZZ99 9ZZ", "postcode"),
        ("walk_radius_m", 50, "walk_radius_m"),
        ("walk_radius_m", 5001, "walk_radius_m"),
        ("walk_radius_m", "1500", "walk_radius_m"),
        ("max_diners", 0, "max_diners"),
        ("max_diners", 6, "max_diners"),
        ("allergen_free", ["nuts"], 0),
        ("diets", ["paleo"], 0),
        ("diets", ["halal", "halal"], "diets"),
        ("textures", [], "textures"),
        ("frequencies", ["daily"], 0),
        ("phone", "12345", "phone"),
        ("phone", "+1 202 555 0143", "phone"),
        ("display_name", "", "display_name"),
        ("display_name", "x" * 61, "display_name"),
        ("availability", [], "availability"),
        ("availability", [{"weekday": 1, "start": "19:00", "end": "17:00"}], 0),
        ("availability", [{"weekday": 7, "start": "17:00", "end": "19:00"}], "weekday"),
        ("availability", [{"weekday": 1, "start": "25:00", "end": "26:00"}], "start"),
        (
            "availability",
            [
                {"weekday": 1, "start": "17:00", "end": "19:00"},
                {"weekday": 1, "start": "18:00", "end": "20:00"},
            ],
            "availability",
        ),
        (
            "availability",
            [
                {
                    "weekday": d % 7,
                    "start": f"{8 + d // 7}:00".zfill(5),
                    "end": f"{8 + d // 7}:45".zfill(5),
                }
                for d in range(22)
            ],
            "availability",
        ),
    ],
)
def test_bad_cook_profile_gets_422_naming_field_and_keeps_saved_profile(
    client: TestClient,
    session: Session,
    settings: Settings,
    barnet: Council,
    field: str,
    value: object,
    loc_tail: object,
):
    headers = auth_headers(create_user(session, role="cook"), settings)
    saved = client.put("/api/cooks/me", json=cook_payload(), headers=headers).json()
    response = client.put("/api/cooks/me", json=cook_payload(**{field: value}), headers=headers)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(field in e["loc"] and loc_tail in e["loc"] for e in errors), errors
    assert client.get("/api/cooks/me", headers=headers).json() == saved


def test_unknown_field_gets_422_when_sent(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    headers = auth_headers(create_user(session, role="cook"), settings)
    response = client.put("/api/cooks/me", json=cook_payload(status="approved"), headers=headers)
    assert response.status_code == 422


def test_get_own_profile_is_404_when_none_yet(
    client: TestClient, session: Session, settings: Settings
):
    headers = auth_headers(create_user(session, role="cook"), settings)
    assert client.get("/api/cooks/me", headers=headers).status_code == 404


@pytest.mark.parametrize("role", ["carer", "staff"])
def test_cook_routes_are_403_when_role_is_not_cook(
    client: TestClient, session: Session, settings: Settings, barnet: Council, role: str
):
    headers = auth_headers(create_user(session, role=role, council=barnet), settings)
    assert client.put("/api/cooks/me", json=cook_payload(), headers=headers).status_code == 403
    assert client.get("/api/cooks/me", headers=headers).status_code == 403


def test_own_profile_is_one_select_beyond_the_sign_in_check_when_read(
    client: TestClient, engine: Engine, session: Session, settings: Settings, barnet: Council
):
    headers = auth_headers(create_user(session, role="cook"), settings)
    put = client.put("/api/cooks/me", json=cook_payload(), headers=headers).json()

    def get(path: str) -> None:
        assert client.get(path, headers=headers).status_code == 200

    session.expunge_all()  # as a request's own session: nothing loaded yet
    read = beyond_sign_in(selects_run(engine, lambda: get("/api/cooks/me")))
    assert len(read) == 1  # the profile with its council and neighbourhood
    assert client.get("/api/cooks/me", headers=headers).json() == put


def test_own_profile_answers_404_when_cook_has_none_yet(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    headers = auth_headers(create_user(session, role="cook"), settings)
    for path in ("/api/cooks/me", "/api/cooks/me/meals"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404
        assert response.json()["detail"] == "You have no cook profile yet"
