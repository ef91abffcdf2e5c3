"""The `portion` command against a real (fresh) database."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from app import db
from app.cli import cli
from app.config import get_settings
from app.db import make_engine
from app.models import Council, PostcodeUnit, User
from tests.conftest import TEST_SETTINGS
from tests.factories import cook_payload

runner = CliRunner()


@pytest.fixture
def cli_database(empty_database: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PORTION_DATABASE_URL", empty_database)
    monkeypatch.setenv("PORTION_SECRET_KEY", TEST_SETTINGS.secret_key)
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


def test_seed_demo_loads_nothing_when_if_empty_and_a_council_exists(cli_database: str):
    runner.invoke(cli, ["migrate"])
    runner.invoke(
        cli, ["create-council", "--slug", "camden", "--name", "Camden", "--lad", "E09000007"]
    )
    result = runner.invoke(cli, ["seed-demo", "--if-empty"])
    engine = make_engine(cli_database)
    with Session(engine) as session:
        councils = session.exec(select(Council.slug)).all()
    engine.dispose()
    assert result.exit_code == 0 and "demo not loaded" in result.output
    assert councils == ["camden"]


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


# A council's extract of the ONS Postcode Directory: the columns the importer reads (pcds, lat,
# long, oslaua, doterm) among some of the others, quoted as ONS ships them.
ONSPD_SAMPLE = """\
"pcd","pcd2","pcds","dointr","doterm","oscty","oslaua","osward","usertype","ctry","lat","long"
"N3  1HT","N3   1HT","N3 1HT","198001","","E99999999","E09000003","E05013629","0","E92000001","51.598765","-0.187654"
"N3  1ZA","N3   1ZA","N3 1ZA","200012","","E99999999","E09000003","E05013629","0","E92000001","51.601000","-0.195000"
"N3  1ZB","N3   1ZB","N3 1ZB","198001","201905","E99999999","E09000003","E05013629","1","E92000001","51.602000","-0.196000"
"N3  1ZD","N3   1ZD","N3 1ZD","202402","","E99999999","E09000003","","0","E92000001","99.999999","0.000000"
"""  # noqa: E501


def units(url: str) -> dict[str, tuple[float, float]]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.exec(
            select(PostcodeUnit.postcode, PostcodeUnit.latitude, PostcodeUnit.longitude)
        ).all()
    engine.dispose()
    return {postcode: (lat, lon) for postcode, lat, lon in rows}


def test_import_postcodes_is_idempotent_when_run_twice(cli_database: str, tmp_path: Path):
    runner.invoke(cli, ["migrate"])
    extract = tmp_path / "onspd_barnet.csv"
    extract.write_text(ONSPD_SAMPLE)
    first = runner.invoke(cli, ["import-postcodes", str(extract)])
    assert first.exit_code == 0, first.output
    assert "Imported 2 postcodes (skipped 1 terminated, 1 without a grid reference)" in (
        first.output
    )
    extract.write_text(ONSPD_SAMPLE.replace("51.601000", "51.601500"))
    second = runner.invoke(cli, ["import-postcodes", str(extract)])
    assert second.exit_code == 0, second.output
    assert units(cli_database) == {
        "N3 1HT": (51.598765, -0.187654),
        "N3 1ZA": (51.6015, -0.195),
    }


def test_import_postcodes_reads_gzip_when_file_is_compressed(cli_database: str, tmp_path: Path):
    runner.invoke(cli, ["migrate"])
    extract = tmp_path / "onspd_barnet.csv.gz"
    extract.write_bytes(gzip.compress(ONSPD_SAMPLE.encode()))
    result = runner.invoke(cli, ["import-postcodes", str(extract), "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert set(units(cli_database)) == {"N3 1HT", "N3 1ZA"}


def test_import_postcodes_fails_clearly_when_column_missing(cli_database: str, tmp_path: Path):
    runner.invoke(cli, ["migrate"])
    extract = tmp_path / "not_onspd.csv"
    extract.write_text(ONSPD_SAMPLE.replace('"lat"', '"latitude"'))
    result = runner.invoke(cli, ["import-postcodes", str(extract)])
    assert result.exit_code == 2
    assert "missing column(s) lat" in result.output and "nothing was imported" in result.output
    assert units(cli_database) == {}


def test_import_postcodes_writes_nothing_when_a_later_line_is_bad(
    cli_database: str, tmp_path: Path
):
    runner.invoke(cli, ["migrate"])
    extract = tmp_path / "onspd_barnet.csv"
    extract.write_text(
        ONSPD_SAMPLE + '"N3  1ZE","","N3 1ZE","","","","E09000003","","","","x","y"\n'
    )
    result = runner.invoke(cli, ["import-postcodes", str(extract), "--batch-size", "1"])
    assert result.exit_code == 2
    assert "line 6: lat is not a number" in result.output
    assert units(cli_database) == {}


def test_import_postcodes_fails_clearly_when_file_missing(cli_database: str, tmp_path: Path):
    result = runner.invoke(cli, ["import-postcodes", str(tmp_path / "nowhere.csv")])
    assert result.exit_code == 2 and "nowhere.csv: no such file" in result.output


def test_imported_position_is_used_when_cook_signs_up(cli_database: str, tmp_path: Path):
    from fastapi.testclient import TestClient

    from app.main import app

    runner.invoke(cli, ["migrate"])
    runner.invoke(
        cli, ["create-council", "--slug", "barnet", "--name", "Barnet", "--lad", "E09000003"]
    )
    extract = tmp_path / "onspd_barnet.csv"
    extract.write_text(ONSPD_SAMPLE)
    assert runner.invoke(cli, ["import-postcodes", str(extract)]).exit_code == 0
    with TestClient(app) as client:
        account = {"email": "cook@example.org", "password": "a long enough passphrase"}
        client.post("/api/auth/register", json=account | {"full_name": "Priya", "role": "cook"})
        token = client.post(
            "/api/auth/token", data={"username": account["email"], "password": account["password"]}
        ).json()["access_token"]
        response = client.put(
            "/api/cooks/me",
            json=cook_payload(postcode="n31ht"),
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["position"] == {
        "latitude": 51.598765,
        "longitude": -0.187654,
        "precision": "unit",
    }


def test_schedule_and_jobs_commands_run_when_database_migrated(cli_database: str):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    scheduled = runner.invoke(cli, ["schedule-meals"])
    assert scheduled.exit_code == 0 and "0 meal(s) scheduled" in scheduled.output
    jobs = runner.invoke(cli, ["run-jobs"])
    assert jobs.exit_code == 0 and "reminders: 0" in jobs.output
