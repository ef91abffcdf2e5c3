"""The `portion` command against a real (fresh) database."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from app import db
from app.cli import cli
from app.config import get_settings
from app.db import make_engine
from app.demo import DEMO_PASSWORD, staff_email
from app.models import Council, User

runner = CliRunner()


@pytest.fixture
def cli_database(empty_database: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PORTION_DATABASE_URL", empty_database)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield empty_database
    db.get_engine().dispose()
    get_settings.cache_clear()
    db.get_engine.cache_clear()


def test_seed_demo_is_idempotent_when_run_twice(cli_database: str):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    first = runner.invoke(cli, ["seed-demo"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["seed-demo"])
    assert second.exit_code == 0, second.output
    engine = make_engine(cli_database)
    with Session(engine) as session:
        slugs = sorted(session.exec(select(Council.slug)).all())
        staff = session.exec(
            select(func.count()).select_from(User).where(User.role == "staff")
        ).one()
    engine.dispose()
    assert slugs == ["barnet", "reigate-banstead", "tower-hamlets"]
    assert staff == 3


def test_demo_staff_gets_token_when_seeded(cli_database: str, monkeypatch: pytest.MonkeyPatch):
    from fastapi.testclient import TestClient

    from app.main import app

    runner.invoke(cli, ["migrate"])
    runner.invoke(cli, ["seed-demo"])
    with TestClient(app) as client:
        response = client.post(
            "/api/auth/token",
            data={"username": staff_email("barnet"), "password": DEMO_PASSWORD},
        )
        assert response.status_code == 200
        me = client.get(
            "/api/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
        )
    assert me.json()["council"] == "barnet" and me.json()["role"] == "staff"


def test_create_council_and_staff_work_when_arguments_valid(cli_database: str):
    runner.invoke(cli, ["migrate"])
    made = runner.invoke(
        cli, ["create-council", "--slug", "camden", "--name", "Camden", "--lad", "E09000007"]
    )
    assert made.exit_code == 0, made.output
    staff = runner.invoke(
        cli,
        [
            "create-staff",
            "--council",
            "camden",
            "--email",
            "s@camden.example.org",
            "--password",
            "a long enough passphrase",
        ],
    )
    assert staff.exit_code == 0, staff.output
    again = runner.invoke(
        cli, ["create-council", "--slug", "camden", "--name", "Camden", "--lad", "E09000007"]
    )
    assert again.exit_code != 0


def test_create_council_fails_clearly_when_lad_code_malformed(cli_database: str):
    runner.invoke(cli, ["migrate"])
    result = runner.invoke(
        cli, ["create-council", "--slug", "nowhere", "--name", "Nowhere", "--lad", "XYZ"]
    )
    assert result.exit_code == 2 and "lad_codes" in result.output


def test_production_refuses_to_start_when_secret_is_default(monkeypatch: pytest.MonkeyPatch):
    from pydantic import ValidationError

    from app.config import Settings

    monkeypatch.setenv("PORTION_ENV", "production")
    monkeypatch.delenv("PORTION_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="PORTION_SECRET_KEY"):
        Settings()
    monkeypatch.setenv("PORTION_SECRET_KEY", "x" * 40)
    assert Settings().env == "production"
