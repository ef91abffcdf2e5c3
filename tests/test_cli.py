"""The `portion` command against a real (fresh) database."""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from app import db
from app.accounts.passwords import UNUSABLE_PASSWORD
from app.cli import PG_HINTS, cli
from app.config import PUBLISHED_PLACEHOLDER_KEY, get_settings
from app.db import make_engine
from app.models import Council, Meal, Notification, PostcodeUnit, User
from tests.conftest import TEST_SETTINGS
from tests.factories import cook_payload, create_council, create_user

runner = CliRunner()
DAY = timedelta(days=1)
ROOT = Path(__file__).resolve().parent.parent
PORTION = Path(sys.executable).with_name("portion")
UVICORN = Path(sys.executable).with_name("uvicorn")


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


def schema_revision(url: str) -> str | None:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    engine.dispose()
    return found


def test_migrate_refuses_in_one_line_when_revision_is_older_than_the_database(
    cli_database: str,
):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    head = schema_revision(cli_database)

    result = runner.invoke(cli, ["migrate", "0010"])

    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: the database is at revision {head}, later than 0010: ")
    assert "downgrades are not supported" in line and "restore a backup" in line
    assert "migrated" not in result.stdout
    assert schema_revision(cli_database) == head


def test_migrate_fails_in_one_line_when_revision_is_unknown(cli_database: str):
    result = runner.invoke(cli, ["migrate", "9999"])

    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: no revision '9999' in migrations/ (the latest is ")


def test_migrate_fails_in_one_line_when_the_database_is_at_an_unknown_revision(
    cli_database: str,
):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    engine = make_engine(cli_database)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
    engine.dispose()

    result = runner.invoke(cli, ["migrate"])

    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: the database is at revision 0999, which this version")


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


def test_create_council_and_staff_refuse_what_a_registration_refuses(cli_database: str):
    """An outside check: "notanemail" made a staff account that could sign in but never reset
    its password, a bell character went into a name, and a council of a LAD code no postcode
    has covered nothing."""
    runner.invoke(cli, ["migrate"])
    nowhere = runner.invoke(
        cli, ["create-council", "--slug", "nowhere", "--name", "Nowhere", "--lad", "E09000099"]
    )
    assert nowhere.exit_code == 2
    assert "No local authority district E09000099 in Great Britain" in nowhere.output
    made = runner.invoke(
        cli, ["create-council", "--slug", "camden", "--name", "Camden", "--lad", "E09000007"]
    )
    assert made.exit_code == 0, made.output
    staff = ["create-staff", "--council", "camden", "--password", "a long enough passphrase"]

    no_email = runner.invoke(cli, [*staff, "--email", "notanemail"])
    bell = runner.invoke(
        cli, [*staff, "--email", "s@camden.example.org", "--full-name", "Bad\aName"]
    )

    assert no_email.exit_code == 2 and "email:" in no_email.output, no_email.output
    assert bell.exit_code == 2 and "full_name:" in bell.output, bell.output
    engine = make_engine(cli_database)
    with Session(engine) as session:
        assert session.exec(select(User)).all() == []
        assert session.exec(select(Council.slug)).all() == ["camden"]
    engine.dispose()


def test_create_staff_prompts_for_the_password_when_left_out(cli_database: str):
    runner.invoke(cli, ["migrate"])
    runner.invoke(
        cli, ["create-council", "--slug", "camden", "--name", "Camden", "--lad", "E09000007"]
    )
    helped = runner.invoke(cli, ["create-staff", "--help"], terminal_width=200)
    [option] = [line for line in helped.output.splitlines() if "--password" in line]
    assert "required" not in option and "prompt" in option

    args = ["create-staff", "--council", "camden", "--email", "s@camden.example.org"]
    # Asked twice: a typo once left a council's only staff account out of reach (an
    # operator's walk); two that differ make nothing.
    typo = runner.invoke(cli, args, input="a long enough passphrase\na long enough passphrasE\n")
    assert typo.exit_code != 0 and "do not match" in typo.output
    made = runner.invoke(cli, args, input="a long enough passphrase\n" * 2)

    assert made.exit_code == 0, made.output
    assert "a long enough passphrase" not in made.output  # not echoed


def test_set_password_gives_a_staff_account_a_new_one_and_ends_its_sign_ins(cli_database: str):
    from fastapi.testclient import TestClient

    from app.main import app

    runner.invoke(cli, ["migrate"])
    runner.invoke(
        cli, ["create-council", "--slug", "camden", "--name", "Camden", "--lad", "E09000007"]
    )
    email = "s@camden.example.org"
    made = runner.invoke(
        cli, ["create-staff", "--council", "camden", "--email", email,
              "--password", "a long enough passphrase"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    with TestClient(app) as client:
        old = {"username": email, "password": "a long enough passphrase"}
        token = client.post("/api/auth/token", data=old).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/me", headers=headers).status_code == 200

        changed = runner.invoke(
            cli, ["set-password", "--email", email], input="another fine passphrase\n" * 2
        )
        assert changed.exit_code == 0, changed.output
        assert client.get("/api/me", headers=headers).status_code == 401  # signed out
        assert client.post("/api/auth/token", data=old).status_code == 401
        new = {"username": email, "password": "another fine passphrase"}
        assert client.post("/api/auth/token", data=new).status_code == 200
    engine = make_engine(cli_database)
    with engine.connect() as conn:
        [(actor,)] = conn.execute(
            text("SELECT actor_id FROM audit_entry WHERE action = 'password_set_by_operator'")
        ).all()
    engine.dispose()
    assert actor is None  # the command line, not the staff member themself

    nobody = runner.invoke(
        cli, ["set-password", "--email", "x@example.org", "--password", "p" * 20]
    )
    assert nobody.exit_code == 2 and "No staff or admin account" in nobody.output
    weak = runner.invoke(cli, ["set-password", "--email", email, "--password", "short"])
    assert weak.exit_code == 2 and "password" in weak.output.lower()


def test_create_admin_makes_an_admin_who_signs_in_when_arguments_valid(cli_database: str):
    from fastapi.testclient import TestClient

    from app.main import app

    runner.invoke(cli, ["migrate"])
    args = ["create-admin", "--email", "admin@council.example.org", "--full-name", "Ada Admin"]
    made = runner.invoke(cli, args, input="a long enough passphrase\n" * 2)
    again = runner.invoke(cli, [*args, "--password", "another long passphrase"])
    weak = runner.invoke(cli, ["create-admin", "--email", "b@example.org", "--password", "short"])

    assert made.exit_code == 0, made.output
    assert again.exit_code == 2 and "already exists" in again.output
    assert weak.exit_code == 2 and "password" in weak.output
    with TestClient(app) as client:
        signed_in = client.post(
            "/api/auth/token",
            data={"username": "admin@council.example.org", "password": "a long enough passphrase"},
        )
        me = client.get(
            "/api/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        )
    body = me.json()
    assert (body["role"], body["council"], body["full_name"]) == ("admin", None, "Ada Admin")


def test_create_council_refuses_in_one_line_when_another_council_covers_a_lad_code(
    cli_database: str,
):
    runner.invoke(cli, ["migrate"])
    runner.invoke(
        cli, ["create-council", "--slug", "barnet", "--name", "Barnet", "--lad", "E09000003"]
    )
    args = ["create-council", "--slug", "north", "--name", "North London"]

    result = runner.invoke(cli, [*args, "--lad", "E09000007", "--lad", "E09000003"])

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line == "Error: Council 'barnet' (Barnet) already covers E09000003"
    engine = make_engine(cli_database)
    with Session(engine) as session:
        assert session.exec(select(Council.slug)).all() == ["barnet"]
    engine.dispose()


def test_create_council_fails_clearly_when_lad_code_malformed(cli_database: str):
    runner.invoke(cli, ["migrate"])
    result = runner.invoke(
        cli, ["create-council", "--slug", "nowhere", "--name", "Nowhere", "--lad", "XYZ"]
    )
    assert result.exit_code == 2 and "lad_codes" in result.output


def run_portion(args: list[str], cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """The installed `portion` command in a process of its own, with only these settings."""
    return subprocess.run(
        [str(PORTION), *args],
        cwd=cwd,
        env=portion_environment(**settings),
        capture_output=True,
        text=True,
        timeout=120,  # a guard against a hang, not a measure
    )


def portion_environment(**settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PORTION_")}
    env["PORTION_NOTIFICATIONS_IN_PROCESS"] = "false"
    env.update({f"PORTION_{name.upper()}": value for name, value in settings.items()})
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("command", "secret"),
    [
        ("serve", None),
        ("migrate", "too-short-for-production"),
        ("serve", PUBLISHED_PLACEHOLDER_KEY),
    ],
    ids=["serve-missing", "migrate-short", "serve-placeholder"],
)
def test_cli_refuses_in_one_line_when_production_secret_key_is_not_real(
    tmp_path: Path, command: str, secret: str | None
):
    settings = {"env": "production", "database_url": f"sqlite:///{tmp_path}/prod.db"}
    if secret is not None:
        settings["secret_key"] = secret
    args = [command, "--port", str(free_port())] if command == "serve" else [command]

    result = run_portion(args, tmp_path, **settings)

    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: PORTION_SECRET_KEY ")
    assert "Traceback" not in result.stdout + result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no database, no var/


@pytest.mark.parametrize(
    ("database_url", "problem"),
    [(None, "PORTION_DATABASE_URL is not set"), ("sqlite:///var/p.db", "relative SQLite")],
    ids=["unset", "relative"],
)
@pytest.mark.parametrize("command", [["serve", "--migrate"], ["migrate"], ["run-jobs"]])
def test_production_refuses_in_one_line_when_its_database_depends_on_the_folder(
    tmp_path: Path, command: list[str], database_url: str | None, problem: str
):
    # From a new folder, production created and served an empty ./var/portion.db.
    settings = {
        "env": "production",
        "secret_key": "Zq3v8Lw1Xr5Tn0Pb7Ye2Uc9Ms4Ho6GdJ",
        "public_url": "https://meals.example.gov.uk",
    }
    if database_url is not None:
        settings["database_url"] = database_url
    args = [*command, "--port", str(free_port())] if command[0] == "serve" else command

    result = run_portion(args, tmp_path, **settings)

    assert result.returncode == 2, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("Error: PORTION_DATABASE_URL ") and problem in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no database, no var/


def test_seed_demo_refuses_and_writes_nothing_when_production(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PORTION_ENV", "production")
    get_settings.cache_clear()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0

    for args in (["seed-demo"], ["seed-demo", "--if-empty"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "PORTION_ENV=production" in lines[0], result.stderr

    engine = make_engine(cli_database)
    with Session(engine) as session:
        councils = session.exec(select(func.count()).select_from(Council)).one()
        users = session.exec(select(func.count()).select_from(User)).one()
    engine.dispose()
    assert (councils, users) == (0, 0)


def test_serve_refuses_in_one_line_when_production_database_holds_the_demo(
    cli_database: str, tmp_path: Path
):
    # `make run` seeds var/portion.db; served with PORTION_ENV=production, admin@example.org
    # signed in with the published password (an operator's walk). The container's start
    # (`serve --migrate`) too.
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert runner.invoke(cli, ["seed-demo"]).exit_code == 0
    settings = {
        "env": "production",
        "database_url": cli_database,
        "secret_key": TEST_SETTINGS.secret_key,
        "public_url": "https://meals.example.gov.uk",
    }

    for start in (["serve"], ["serve", "--migrate"]):
        result = run_portion([*start, "--port", str(free_port())], tmp_path, **settings)

        assert result.returncode == 2, result.stderr
        [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert "demo data" in line and "empty database" in line
        assert "Traceback" not in result.stdout + result.stderr


def test_plain_uvicorn_refuses_in_one_line_when_production_secret_key_is_missing(
    tmp_path: Path,
):
    result = subprocess.run(
        [str(UVICORN), "--app-dir", str(ROOT), "app.main:app", "--port", str(free_port())],
        cwd=tmp_path,
        env=portion_environment(env="production", database_url=f"sqlite:///{tmp_path}/p.db"),
        capture_output=True,
        text=True,
        timeout=120,  # a guard against a hang, not a measure
    )

    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: PORTION_SECRET_KEY "), result.stderr


@pytest.mark.parametrize("server_command", ["portion serve", "plain uvicorn"])
def test_calendar_feed_token_reaches_no_log_when_served(tmp_path: Path, server_command: str):
    # Development from a fresh checkout: no secret set, so one is generated under var/.
    settings = {"database_url": f"sqlite:///{tmp_path}/var/portion.db", "log_level": "INFO"}
    assert run_portion(["migrate"], tmp_path, **settings).returncode == 0
    port = free_port()
    command = (
        [str(PORTION), "serve", "--host", "127.0.0.1", "--port", str(port)]
        if server_command == "portion serve"
        else [str(UVICORN), "--app-dir", str(ROOT), "app.main:app", "--port", str(port)]
    )
    server = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=portion_environment(**settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    token = f"made-up-feed-token-{secrets.token_hex(12)}"
    try:
        wait_until_serving(server, port)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/calendar/{token}.ics?x={token}")
        assert refused.value.code == 404
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)

    assert "GET /api/calendar/{token}.ics 404" in output  # the request was logged, by template
    assert token not in output
    generated = (tmp_path / "var" / "secret_key").read_text().strip()
    assert len(generated) >= 32 and generated != PUBLISHED_PLACEHOLDER_KEY
    assert generated not in output


def test_serve_migrates_then_serves_in_one_process_when_asked(tmp_path: Path):
    # The image's start: `portion serve --migrate` on a database that has no tables yet.
    from alembic.script import ScriptDirectory

    database = tmp_path / "portion.db"
    port = free_port()
    server = subprocess.Popen(
        [str(PORTION), "serve", "--migrate", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=portion_environment(database_url=f"sqlite:///{database}", log_level="INFO"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(server, port)
        # A sign-in reads the accounts table: only a migrated database answers 401.
        sign_in = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/auth/token",
            data=b"username=nobody%40example.org&password=not-the-password",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(sign_in)
        assert refused.value.code == 401
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)

    # SIGTERM ends the server after its shutdown (uvicorn then re-raises the signal)
    assert server.returncode in (0, -signal.SIGTERM) and "Finished server process" in output
    assert "Database migrated to head." in output
    assert "Application startup complete" in output  # uvicorn's own logging is kept
    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head
    engine.dispose()


@pytest.mark.parametrize("revision", [None, "0015"], ids=["never-migrated", "behind"])
def test_serve_refuses_in_one_line_when_database_is_not_migrated(
    cli_database: str, tmp_path: Path, revision: str | None
):
    if revision is not None:
        assert runner.invoke(cli, ["migrate", revision]).exit_code == 0
    settings = {"database_url": cli_database, "secret_key": TEST_SETTINGS.secret_key}

    result = run_portion(["serve", "--port", str(free_port())], tmp_path, **settings)

    assert result.returncode == 2
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("Error: the database is not migrated") and "portion migrate" in line


def test_serve_names_its_database_and_says_once_why_it_cannot_be_used(tmp_path: Path):
    # A wrong PostgreSQL URL: the server started with no line about its database, answered
    # every request 503 and logged only "database probe failed: OperationalError", once per
    # request (an operator's walk).
    nothing_there = free_port()
    settings = {
        "secret_key": TEST_SETTINGS.secret_key,
        "database_url": f"postgresql+psycopg://app:not-shown-pw@127.0.0.1:{nothing_there}/nosuchdb",
    }
    port = free_port()
    server = subprocess.Popen(
        [str(PORTION), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=portion_environment(**settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sign_in = b"username=nobody%40example.org&password=not-the-password"
    try:
        statuses = [
            answered(server, port, "/api/auth/token", sign_in),
            *(answered(server, port, path) for path in ("/healthz", "/healthz")),
            answered(server, port, "/api/auth/token", sign_in),
            answered(server, port, "/api/auth/token", sign_in),
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)

    assert statuses == [503] * 5
    assert f"Database: PostgreSQL database nosuchdb at 127.0.0.1:{nothing_there} as app" in output
    [said] = [line for line in output.splitlines() if "database is unavailable" in line]
    assert "Connection refused" in said and f"port {nothing_there}" in said
    assert "not-shown-pw" not in output and "Traceback" not in output


def answered(server: subprocess.Popen[str], port: int, path: str, data: bytes | None = None) -> int:
    """The status `portion serve` answers `path` with (POSTed when `data`), once it listens."""
    for _ in range(600):
        assert server.poll() is None, "portion serve exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", data=data) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as refused:
            return refused.code
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    pytest.fail("portion serve never answered")


@pytest.mark.parametrize("command", [["run-jobs"], ["send-notifications"]])
def test_jobs_and_a_worker_pass_say_in_one_line_when_database_is_not_migrated(
    cli_database: str, command: list[str]
):
    # `portion run-jobs` on an unmigrated database ended with a traceback (an operator's walk).
    result = runner.invoke(cli, command)

    assert result.exit_code == 2, result.output
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("Error: the database is not migrated") and "portion migrate" in line


def test_worker_warns_a_line_each_when_production_lacks_what_messages_need(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    monkeypatch.setenv("PORTION_ENV", "production")
    get_settings.cache_clear()

    result = runner.invoke(cli, ["send-notifications"])

    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert [line.split(":")[1].strip() for line in lines] == [
        "no mail settings in production",
        "PORTION_PUBLIC_URL is not set",
        "PORTION_MAIL_FROM is not set",
        "no letters can be posted",
    ]
    assert all(line.startswith("Warning: ") for line in lines)

    monkeypatch.setenv("PORTION_SMTP_HOST", "mail.internal")
    monkeypatch.setenv("PORTION_SMTP_PORT", "587")
    monkeypatch.setenv(
        "PORTION_NOTIFY_API_KEY",
        "portion-0c0f6f3b-6a0e-4e0e-9f39-3f6c1a2b3c4d-7d8e9f00-1111-4222-8333-444455556666",
    )
    monkeypatch.setenv("PORTION_NOTIFY_LETTER_TEMPLATE_ID", "letter")
    monkeypatch.setenv("PORTION_PUBLIC_URL", "https://meals.example.gov.uk")
    monkeypatch.setenv("PORTION_MAIL_FROM", "Meals <meals@example.gov.uk>")
    get_settings.cache_clear()
    again = runner.invoke(cli, ["send-notifications"])
    assert again.exit_code == 0 and not again.stderr.strip()


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_serve_warns_in_one_line_when_production_has_no_mail_settings(
    tmp_path: Path, log_format: str
):
    settings = {
        "env": "production",
        "secret_key": TEST_SETTINGS.secret_key,
        "database_url": f"sqlite:///{tmp_path}/portion.db",
        "public_url": "https://meals.example.gov.uk",
        "mail_from": "meals@example.gov.uk",
        "log_format": log_format,
    }
    with portion_serving(tmp_path, settings) as served:
        pass
    errors = served.errors

    if log_format == "text":
        warnings = [line for line in errors.splitlines() if line.startswith("Warning:")]
    else:  # every line of the log JSON, the warnings too (they were plain text among them)
        lines = [json.loads(line) for line in errors.splitlines() if line.strip()]
        warnings = [line["message"] for line in lines if line["level"] == "WARNING"]
        assert any(line["message"].startswith("Notifications: ") for line in lines), lines
    assert len(warnings) == 2 and "no mail settings" in warnings[0]
    assert "no letters can be posted" in warnings[1]


@pytest.mark.parametrize(("trusted", "secure"), [(None, True), ("192.0.2.1", False)])
def test_serve_trusts_the_proxies_portion_forwarded_allow_ips_names(
    tmp_path: Path, trusted: str | None, secure: bool
):
    # compose.yaml read PORTION_FORWARDED_ALLOW_IPS and handed it on as uvicorn's
    # FORWARDED_ALLOW_IPS, and README named both and a flag: one spelling now (an operator's
    # walk). Trusted, a proxy's X-Forwarded-Proto makes the form cookie Secure.
    settings = {
        "secret_key": TEST_SETTINGS.secret_key,
        "database_url": f"sqlite:///{tmp_path}/portion.db",
    }
    if trusted is not None:
        settings["forwarded_allow_ips"] = trusted
    with portion_serving(tmp_path, settings) as served:
        request = urllib.request.Request(
            f"http://127.0.0.1:{served.port}/sign-in", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(request) as answer:
            cookie = answer.headers["Set-Cookie"]

    assert cookie is not None and ("; secure" in cookie.lower()) == secure, cookie


@dataclass
class Served:
    port: int
    errors: str = ""  # what the server wrote to stderr, once it has stopped


@contextmanager
def portion_serving(tmp_path: Path, settings: dict[str, str]) -> Iterator[Served]:
    """`portion serve` on a database it migrated, with only these settings, answering; stopped
    (SIGTERM) after, its stderr then in `errors`."""
    assert run_portion(["migrate"], tmp_path, **settings).returncode == 0
    served = Served(free_port())
    server = subprocess.Popen(
        [str(PORTION), "serve", "--host", "127.0.0.1", "--port", str(served.port)],
        cwd=tmp_path,
        env=portion_environment(**settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_serving(server, served.port)
        yield served
    finally:
        server.send_signal(signal.SIGTERM)
        served.errors = server.communicate(timeout=60)[1]


def wait_until_serving(server: subprocess.Popen[str], port: int) -> None:
    for _ in range(600):
        assert server.poll() is None, "portion serve exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz"):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    pytest.fail("portion serve never answered /healthz")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (keyword, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"^\s*#.*\n", "", text, flags=re.MULTILINE).replace("\\\n", " ")
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in text.splitlines()
        if line.strip()
    ]


def container_start_script() -> Path:
    """The script the image's CMD runs, found through the COPY that installs it."""
    instructions = dockerfile_instructions()
    start = [args for keyword, args in instructions if keyword == "CMD"][-1]
    command = re.findall(r'"([^"]+)"', start)[0]
    for keyword, args in instructions:
        if keyword == "COPY" and args.split()[-1].endswith("/" + command):
            return ROOT / args.split()[0]
    pytest.fail(f"CMD runs {command}, which no COPY installs")


def test_image_defaults_to_production_without_demo_when_built():
    instructions = dockerfile_instructions()
    env = " ".join(args for keyword, args in instructions if keyword == "ENV")
    assert re.search(r"\bPORTION_ENV=production\b", env)
    start = [args for keyword, args in instructions if keyword in {"CMD", "ENTRYPOINT"}]
    assert not any("seed-demo" in args for args in start)
    script = container_start_script().read_text()
    assert re.search(r"^exec portion serve ", script, flags=re.MULTILINE)
    # seed-demo only inside the PORTION_DEMO opt-in
    assert re.search(
        r'if \[ "\$\{PORTION_DEMO:-0\}" = "1" \]; then\n'
        r"(?:.*\n)*?\s+portion seed-demo --if-empty\n\s*fi",
        script,
    )
    assert script.count("seed-demo") == 1


def run_container_start(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[bytes], list[str]]:
    """docker/start.sh with a stand-in `portion` that records each call and its process id."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "portion").write_text('#!/bin/sh\necho "$$ $*" >> "$CALLS"\n')
    (bin_dir / "portion").chmod(0o755)
    calls = tmp_path / "calls"
    calls.touch()
    start = subprocess.Popen(
        ["sh", str(container_start_script())],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls), **env},
        stderr=subprocess.PIPE,
    )
    start.wait(timeout=60)
    return start, calls.read_text().splitlines()


def test_container_start_execs_the_server_without_demo_when_production(tmp_path: Path):
    start, calls = run_container_start(tmp_path, PORTION_ENV="production")

    assert start.returncode == 0
    # One process, which migrates and then serves: exec'd, it is the start's own process.
    assert [call.split(" ", 1)[1] for call in calls] == [
        "serve --migrate --host 0.0.0.0 --port 8000"
    ]
    assert calls[-1].split()[0] == str(start.pid)


def test_container_start_loads_the_demo_when_opted_in_for_development(tmp_path: Path):
    start, calls = run_container_start(tmp_path, PORTION_ENV="development", PORTION_DEMO="1")

    assert start.returncode == 0
    assert [call.split(" ", 1)[1] for call in calls] == [
        "migrate",
        "seed-demo --if-empty",
        "serve --migrate --host 0.0.0.0 --port 8000",
    ]
    assert calls[-1].split()[0] == str(start.pid)


def test_container_start_refuses_the_demo_in_one_line_when_production(tmp_path: Path):
    start, calls = run_container_start(tmp_path, PORTION_ENV="production", PORTION_DEMO="1")

    assert start.returncode == 2
    assert start.stderr is not None
    assert len(start.stderr.read().decode().strip().splitlines()) == 1
    assert calls == []


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
    assert "records_forgotten: 0" in jobs.output


def test_password_hashes_counts_the_accounts_still_on_other_parameters(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    engine = make_engine(cli_database)
    with Session(engine) as session:
        council = create_council(session)
        for n in range(3):
            create_user(session, email=f"early{n}@example.org", council=council)
        create_user(session, email="erased@example.org", password_hash=UNUSABLE_PASSWORD)
        session.commit()
    monkeypatch.setenv("PORTION_PASSWORD_TIME_COST", "4")  # the three hashes are now old ones
    get_settings.cache_clear()
    with Session(engine) as session:
        create_user(session, email="late@example.org")  # hashed with the new parameters
        session.commit()
    engine.dispose()

    result = runner.invoke(cli, ["password-hashes"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "m=65536,t=3,p=4: 3 account(s)",
        "m=65536,t=4,p=4: 1 account(s) (the settings')",
        "no usable password (erased): 1 account(s)",
        "3 account(s) to renew at their next sign-in.",
    ]


@pytest.fixture
def sqlite_cli_database(request: pytest.FixtureRequest) -> str:
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("portion backup and restore handle SQLite only")
    url: str = request.getfixturevalue("cli_database")
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    return url


def test_backup_is_readable_by_its_owner_only_when_written(
    sqlite_cli_database: str, tmp_path: Path
):
    backup = tmp_path / "backup-today.db"

    result = runner.invoke(cli, ["backup", str(backup)])

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


@pytest.mark.parametrize("junk", [b"", b"not a database at all\n" * 100], ids=["empty", "text"])
def test_restore_refuses_in_one_line_when_file_is_no_backup(
    sqlite_cli_database: str, tmp_path: Path, junk: bytes
):
    council = ["create-council", "--slug", "barnet", "--name", "Barnet", "--lad", "E09000003"]
    assert runner.invoke(cli, council).exit_code == 0
    file = tmp_path / "junk.db"
    file.write_bytes(junk)

    result = runner.invoke(cli, ["restore", "--yes", str(file)])

    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {file} is not a backup written by `portion backup`")
    engine = make_engine(sqlite_cli_database)
    with Session(engine) as session:
        assert session.exec(select(Council.slug)).all() == ["barnet"]  # nothing replaced
    engine.dispose()


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_backup_refusal_names_a_readme_heading_when_database_is_postgresql(command: str):
    [section] = re.findall(r'README\.md, "([^"]+)"', PG_HINTS[command])
    headings = re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(), flags=re.MULTILINE)
    assert section in headings


def test_restore_points_at_pg_restore_when_database_is_postgresql(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("PORTION_DATABASE_URL", "postgresql+psycopg://app@127.0.0.1:9/app")
    monkeypatch.setenv("PORTION_SECRET_KEY", TEST_SETTINGS.secret_key)
    get_settings.cache_clear()
    dump = tmp_path / "portion.dump"
    dump.write_bytes(b"PGDMP")
    try:
        result = runner.invoke(cli, ["restore", "--yes", str(dump)])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: portion restore handles SQLite only: restore PostgreSQL with")
    assert "pg_restore" in line and "pg_dump" not in line and 'without "+psycopg"' in line


def test_what_the_service_writes_is_for_its_own_account_only(tmp_path: Path):
    """The database, its folder and the development mailbox were readable by every account on
    the machine (mode 644 in a 755 folder: an outside check); the command makes them private."""
    data = tmp_path / "data"
    url = f"sqlite:///{data}/portion.db"
    assert run_portion(["migrate"], tmp_path, database_url=url).returncode == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for made in data.iterdir():
        assert stat.S_IMODE(made.stat().st_mode) & 0o077 == 0, made.name


@pytest.mark.parametrize("command", [["migrate"], ["run-jobs"]])
def test_a_database_that_cannot_be_reached_is_said_in_one_line_when_a_command_needs_it(
    tmp_path: Path, command: list[str]
):
    # Every command printed some 460 lines of traceback, the driver's words buried in them (an
    # operator's walk).
    password = "not-for-the-screen-7f2c"
    url = f"postgresql+psycopg://portion:{password}@127.0.0.1:{free_port()}/portion"
    done = run_portion(command, tmp_path, database_url=url, secret_key=TEST_SETTINGS.secret_key)

    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: the database (PORTION_DATABASE_URL) cannot be used: ")
    assert "Connection refused" in lines[0] and password not in done.stderr + done.stdout


def test_send_meal_plan_says_when_the_plan_was_queued_already_or_cannot_be_posted(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
):
    # It said "queued" for a plan already queued that day, and nothing of a letter that no
    # channel would post (an operator's walk).
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert runner.invoke(cli, ["seed-demo"]).exit_code == 0
    with Session(make_engine(cli_database)) as session:
        diner_id = session.exec(
            select(Meal.diner_id).where(
                Meal.status == "scheduled",
                col(Meal.date).between(date.today() + DAY, date.today() + 20 * DAY),
            )
        ).first()
    assert diner_id is not None
    monkeypatch.setenv("PORTION_NOTIFICATIONS_VIA", "smtp")  # no Notify: no letters
    get_settings.cache_clear()

    first = runner.invoke(cli, ["send-meal-plan", str(diner_id)])
    again = runner.invoke(cli, ["send-meal-plan", str(diner_id)])

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    number = re.fullmatch(r"Meal plan letter (\d+) queued for diner \d+\.", first.stdout.strip())
    assert number is not None, first.stdout
    assert again.stdout.startswith(f"Meal plan letter {number[1]} with this plan was already")
    for done in (first, again):
        assert done.stderr.strip() == (
            "Warning: no letter channel is configured (PORTION_NOTIFY_API_KEY and "
            "PORTION_NOTIFY_LETTER_TEMPLATE_ID): it will not be posted."
        )

    # Sent without a letter channel, it is marked failed (the worker's verdict, as
    # tests/test_json_logs.py sees it given); once the configuration is mended, asking again
    # queues it again (its key kept a second copy out the whole day: a review).
    with Session(make_engine(cli_database)) as session:
        letter = session.get(Notification, int(number[1]))
        assert letter is not None and letter.status == "pending"
        letter.status, letter.last_error = "failed", "no letter channel configured"
        session.add(letter)
        session.commit()
    monkeypatch.setenv("PORTION_NOTIFICATIONS_VIA", "mailbox")
    get_settings.cache_clear()
    mended = runner.invoke(cli, ["send-meal-plan", str(diner_id)])
    assert mended.stdout.startswith(
        f"Meal plan letter {number[1]} with this plan had failed (no letter channel configured): "
        "queued again"
    ), mended.output
    assert not mended.stderr.strip()
    with Session(make_engine(cli_database)) as session:
        letter = session.get(Notification, int(number[1]))
        assert letter is not None and (letter.status, letter.last_error) == ("pending", None)


def test_send_meal_plan_writes_nothing_when_the_configuration_would_lose_it(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
):
    # The letter was written, then the configuration refused (an outside check).
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert runner.invoke(cli, ["seed-demo"]).exit_code == 0
    engine = make_engine(cli_database)
    with Session(engine) as session:
        before = session.exec(select(func.count()).select_from(Notification)).one()
        diner_id = session.exec(select(Meal.diner_id).where(Meal.status == "scheduled")).first()
    monkeypatch.setenv("PORTION_NOTIFICATIONS_VIA", "notify")  # without a key: refused
    get_settings.cache_clear()

    refused = runner.invoke(cli, ["send-meal-plan", str(diner_id)])

    assert refused.exit_code != 0 and "PORTION_NOTIFY_API_KEY" in str(refused.exception)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Notification)).one() == before
