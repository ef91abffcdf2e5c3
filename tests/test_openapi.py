"""The OpenAPI schema tells the truth about errors (app/openapi.py, API.md "Errors").

The schema's own markers are the reference: an operation FastAPI marks with `security` takes the
sign-in dependency, its path parameters and request body are listed. What the services raise is
read from app/ (the 409s and 429s named below are those API.md promises)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlmodel import Session

from app.config import Settings
from app.errors import ErrorBody, ValidationErrorBody
from app.main import app
from tests.factories import auth_headers, cook_payload, create_user

SCHEMA = "#/components/schemas/"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return app.openapi()


def _operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]


def _declared(spec: dict[str, Any], label: str) -> set[int]:
    method, path = label.split(" ", 1)
    return {int(code) for code in spec["paths"][path][method.lower()]["responses"]}


def test_every_operation_declares_401_when_it_requires_sign_in(spec: dict[str, Any]) -> None:
    missing = [
        label
        for label, operation in _operations(spec)
        if operation.get("security") and "401" not in operation["responses"]
    ]
    assert not missing
    assert len([op for _, op in _operations(spec) if op.get("security")]) > 40


def test_no_operation_declares_401_when_it_needs_no_sign_in_and_checks_no_password(
    spec: dict[str, Any],
) -> None:
    # Sign-in with a password answers 401 for wrong credentials; the rest of the open routes
    # never do.
    open_with_401 = {
        label
        for label, operation in _operations(spec)
        if not operation.get("security") and "401" in operation["responses"]
    }
    assert open_with_401 == {"POST /api/auth/token", "POST /api/auth/session"}


def test_every_operation_declares_403_when_it_checks_a_role(spec: dict[str, Any]) -> None:
    for label in (
        "GET /api/staff/diners",
        "GET /api/staff/cooks/{cook_id}",
        "GET /api/cooks/me",
        "GET /api/diners",
        "POST /api/staff/users/{user_id}/sessions/revoke",  # its own staff-or-admin check
    ):
        assert 403 in _declared(spec, label), label


def test_a_read_declares_no_403_when_any_signed_in_person_may_make_it(
    spec: dict[str, Any],
) -> None:
    # No role check, and a GET needs no CSRF token: a 403 cannot happen.
    assert 403 not in _declared(spec, "GET /api/me")
    assert 401 in _declared(spec, "GET /api/me")
    # A POST by a browser session without its CSRF token is refused with 403.
    assert 403 in _declared(spec, "POST /api/auth/logout")


def test_every_operation_declares_404_when_it_has_a_path_id(spec: dict[str, Any]) -> None:
    missing = [
        label
        for label, operation in _operations(spec)
        if any(p["in"] == "path" for p in operation.get("parameters", []))
        and "404" not in operation["responses"]
    ]
    assert not missing


def test_an_operation_declares_404_when_its_service_raises_not_found_for_no_path_id(
    spec: dict[str, Any],
) -> None:
    # "You have no cook profile yet": found in the service it calls, not in the route.
    assert 404 in _declared(spec, "GET /api/cooks/me")
    assert 404 not in _declared(spec, "GET /api/me")


def test_every_operation_declares_413_and_422_when_it_takes_a_body(spec: dict[str, Any]) -> None:
    with_body = [(label, op) for label, op in _operations(spec) if "requestBody" in op]
    assert with_body
    for label, operation in with_body:
        assert {"413", "422"} <= set(operation["responses"]), label
    assert 413 not in _declared(spec, "GET /api/me")


def test_every_operation_declares_503_when_the_database_is_unavailable(
    spec: dict[str, Any],
) -> None:
    assert all("503" in operation["responses"] for _, operation in _operations(spec))


@pytest.mark.parametrize(
    "label",
    [
        "POST /api/auth/register",  # the email is taken
        "PUT /api/cooks/me",  # saved twice at once
        "POST /api/staff/cooks/{cook_id}/approve",
        "POST /api/staff/pairings",  # the diner already has a pairing, the cook no place
        "POST /api/pairings/{pairing_id}/accept",  # no longer proposed
        "POST /api/meals/{meal_id}/delivered",  # the outcome is already recorded
        "POST /api/meals/{meal_id}/feedback",  # already rated
        "POST /api/staff/diners/{diner_id}/erase",  # already erased
    ],
)
def test_an_operation_declares_409_when_its_service_can_conflict(
    spec: dict[str, Any], label: str
) -> None:
    assert 409 in _declared(spec, label)


def test_only_changes_declare_409_when_conflicts_are_read_from_the_code(
    spec: dict[str, Any],
) -> None:
    labels = [label for label, _ in _operations(spec)]
    with_409 = [label for label in labels if 409 in _declared(spec, label)]
    assert len(with_409) > 10
    assert not [label for label in with_409 if label.startswith("GET ")]


def test_sign_in_registration_and_password_change_declare_429_when_attempts_are_limited(
    spec: dict[str, Any],
) -> None:
    limited = {label for label, op in _operations(spec) if "429" in op["responses"]}
    assert limited == {
        "POST /api/auth/register",
        "POST /api/auth/token",
        "POST /api/auth/session",
        "POST /api/me/password",
    }
    assert spec["paths"]["/api/auth/token"]["post"]["responses"]["429"]["headers"]["Retry-After"][
        "required"
    ]


def test_every_error_response_references_the_error_body_schema_when_declared(
    spec: dict[str, Any],
) -> None:
    refs: dict[str, set[str]] = {}
    for _, operation in _operations(spec):
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                ref = response["content"]["application/json"]["schema"]["$ref"]
                refs.setdefault(code, set()).add(ref)
    assert refs.pop("422") == {SCHEMA + "ValidationErrorBody"}
    assert all(found == {SCHEMA + "ErrorBody"} for found in refs.values()), refs
    schemas = spec["components"]["schemas"]
    assert schemas["ErrorBody"]["required"] == ["detail"]
    assert schemas["ValidationIssue"]["required"] == ["loc", "msg", "type"]
    assert "HTTPValidationError" not in schemas  # FastAPI's own, with an `input` we never send


def test_a_new_password_states_its_length_in_the_schema_when_it_is_chosen(
    spec: dict[str, Any], client: TestClient
) -> None:
    schemas = spec["components"]["schemas"]
    for model, field in (
        ("UserCreate", "password"),
        ("PasswordChange", "new_password"),
        ("PasswordResetConfirm", "new_password"),
    ):
        prop = schemas[model]["properties"][field]
        assert (prop["minLength"], prop["maxLength"]) == (10, 128), model
    # Signing in checks an existing password: no rule about its length.
    assert "minLength" not in schemas["SessionCreate"]["properties"]["password"]
    # The service still judges the length, with the rules' own message.
    r = client.post(
        "/api/auth/register",
        json={"email": "a@example.org", "password": "short", "full_name": "A B", "role": "cook"},
    )
    assert r.status_code == 422
    body = ValidationErrorBody.model_validate(r.json())
    assert [(i.loc, i.type) for i in body.detail] == [(["body", "password"], "weak_password")]
    assert "at least 10 characters" in body.detail[0].msg


def test_a_list_of_choices_says_each_value_once_when_repeats_are_refused(
    spec: dict[str, Any], client: TestClient, session: Session, settings: Settings
) -> None:
    schemas = spec["components"]["schemas"]
    for model, field in (
        ("CookProfileIn", "frequencies"),
        ("CookProfileIn", "diets"),
        ("CookProfileIn", "allergen_free"),
        ("CookProfileIn", "textures"),
        ("DinerIn", "diets"),
        ("DinerIn", "allergies"),
        ("DinerUpdate", "allergies"),
    ):
        assert schemas[model]["properties"][field]["uniqueItems"] is True, (model, field)
    headers = auth_headers(create_user(session, role="cook"), settings)
    r = client.put("/api/cooks/me", json=cook_payload(diets=["halal", "halal"]), headers=headers)
    assert r.status_code == 422
    assert [i.loc for i in ValidationErrorBody.model_validate(r.json()).detail] == [
        ["body", "diets"]
    ]


@pytest.mark.parametrize(
    ("method", "url", "status", "model"),
    [
        ("GET", "/api/me", 401, ErrorBody),
        ("GET", "/api/diners/999999", 401, ErrorBody),
        ("POST", "/api/auth/register", 422, ValidationErrorBody),
    ],
)
def test_an_error_body_matches_its_declared_schema_when_answered(
    client: TestClient,
    spec: dict[str, Any],
    method: str,
    url: str,
    status: int,
    model: type[BaseModel],
) -> None:
    r = client.request(method, url, json={})
    assert r.status_code == status
    model.model_validate(r.json(), strict=True)
    template = "/api/diners/{diner_id}" if "diners" in url else url
    declared = spec["paths"][template][method.lower()]["responses"][str(status)]
    assert declared["content"]["application/json"]["schema"]["$ref"] == SCHEMA + model.__name__


def test_the_schema_is_built_once_when_asked_again(spec: dict[str, Any]) -> None:
    assert app.openapi() is spec
    assert spec["paths"]["/api/me"]["get"]["responses"].keys() == {"200", "401", "503"}
