"""PORTION_LOG_FORMAT=json: a real server's stderr is one JSON object per line, its request lines
carry the request id, route template, method, status and duration, and nothing a person sent."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine
from app.notifications.outbox import enqueue
from app.observability.logs import QUIET_LOGGERS, JsonFormatter, configure_logging
from tests.faults.support import app_env, portion_command
from tests.notifications.conftest import NOTIFY_API_KEY, free_port
from tests.test_metrics import wait_for_health

CLIENT_IP = "203.0.113.9"  # documentation range: appears only if a client address is logged
EMAIL = "edna.private@example.org"
PASSWORD = "hunter2-not-for-logs"
QUERY_SECRET = "query-secret-4d1f"
REQUEST_TIMEOUT_S = 120  # only so that a stuck server fails (Argon2 is slow on a busy machine)


def test_request_lines_are_json_without_what_people_sent_when_log_format_is_json(
    tmp_path: Path, empty_database: str
):
    env = app_env(empty_database, log_format="json", log_level="INFO")
    subprocess.run([*portion_command(), "migrate"], env=env, cwd=tmp_path, check=True, timeout=300)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.err"
    with log.open("wb") as err, (tmp_path / "server.out").open("wb") as out:
        # Two workers: the parent process (which never imports the app) writes JSON too.
        server = subprocess.Popen(
            [*portion_command(), "serve", "--port", str(port), "--workers", "2"],
            cwd=tmp_path,
            env=env,
            stdout=out,  # what `portion serve` tells a person at the terminal
            stderr=err,  # the logs
        )
    try:
        wait_for_health(server, url, log)
        forwarded = {"X-Forwarded-For": CLIENT_IP}  # uvicorn trusts it from 127.0.0.1
        looked_up = httpx.get(
            f"{url}/api/staff/diners/241",
            params={"email": EMAIL, "token": QUERY_SECRET},
            headers=forwarded,
            timeout=REQUEST_TIMEOUT_S,
        )
        signed_in = httpx.post(
            f"{url}/api/auth/token",
            data={"username": EMAIL, "password": PASSWORD},
            headers=forwarded,
            timeout=REQUEST_TIMEOUT_S,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    assert looked_up.status_code == 401 and signed_in.status_code == 401

    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(isinstance(line, dict) for line in lines)
    requests = {line["request_id"]: line for line in lines if "request_id" in line}
    lookup = requests[looked_up.headers["x-request-id"]]
    assert {k: lookup[k] for k in ("route", "method", "status")} == {
        "route": "/api/staff/diners/{diner_id}",
        "method": "GET",
        "status": 401,
    }
    assert isinstance(lookup["duration_ms"], float) and {"time", "level"} <= lookup.keys()
    sign_in = requests[signed_in.headers["x-request-id"]]
    assert (sign_in["route"], sign_in["method"], sign_in["status"]) == (
        "/api/auth/token",
        "POST",
        401,
    )
    messages = {line["message"] for line in lines}
    assert any(m.startswith("Started parent process") for m in messages), messages
    assert "Application startup complete." in messages
    for private in (CLIENT_IP, EMAIL, "edna.private", PASSWORD, QUERY_SECRET, "?email", "/241"):
        assert private not in text, private
    assert env["PORTION_SECRET_KEY"] not in text


def test_traceback_stays_on_one_json_line_when_an_error_is_logged():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord(
            "portion.test", logging.ERROR, __file__, 1, "failed %s", ("once",), sys.exc_info()
        )

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "ERROR",
        "portion.test",
        "failed once",
    )
    assert "RuntimeError: boom" in entry["exception"]


class _Postcodes(BaseHTTPRequestHandler):
    """A local stand-in for an online geocoder: any GET answers 200 with an empty object."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def quiet_loggers() -> Iterator[None]:
    """configure_logging sets these loggers' levels for the process: put back after the test,
    so that no other test depends on the order they run in."""
    levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_outgoing_request_urls_stay_out_of_the_logs_when_logging_is_configured(
    caplog: pytest.LogCaptureFixture, quiet_loggers: None
):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Postcodes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    configure_logging(Settings(log_format="json"))
    try:
        with caplog.at_level(logging.DEBUG), httpx.Client() as client:
            response = client.get(f"http://127.0.0.1:{server.server_port}/postcodes/N31AB")
    finally:
        server.shutdown()
        server.server_close()

    assert response.status_code == 200
    assert "N31AB" not in caplog.text


def test_a_database_errors_text_never_carries_the_statements_values(tmp_path: Path):
    """A failed statement's exception is logged with its traceback when it is a bug (500): its
    text names the statement but not the values, which can be a person's email or address."""
    engine = make_engine(f"sqlite:///{tmp_path}/db.sqlite")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE person (email TEXT UNIQUE)")
            conn.execute(text("INSERT INTO person VALUES (:email)"), {"email": EMAIL})
        with pytest.raises(IntegrityError) as refused, engine.begin() as conn:
            conn.execute(text("INSERT INTO person VALUES (:email)"), {"email": EMAIL})
    finally:
        engine.dispose()
    assert "INSERT INTO person" in str(refused.value)
    assert EMAIL not in str(refused.value)


class _RefusingNotify(BaseHTTPRequestHandler):
    """Notify refusing a request in words that quote the address, as a stand-in did."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        error = {"error": "BadRequestError", "message": f"email_address {EMAIL} Not valid"}
        body = json.dumps({"errors": [error], "status_code": 400}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_notifys_words_for_a_refused_message_stay_out_of_the_logs_when_logging_is_configured(
    caplog: pytest.LogCaptureFixture, quiet_loggers: None
):
    # Its client logs each refusal with Notify's own words at WARNING: an operator's walk saw
    # a recipient's address in the worker's output.
    from notifications_python_client.errors import HTTPError
    from notifications_python_client.notifications import NotificationsAPIClient

    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingNotify)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    configure_logging(Settings(log_format="json"))
    client = NotificationsAPIClient(
        NOTIFY_API_KEY, base_url=f"http://127.0.0.1:{server.server_port}"
    )
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(HTTPError):
            client.send_email_notification(email_address=EMAIL, template_id=str(uuid.uuid4()))
    finally:
        server.shutdown()
        server.server_close()

    assert EMAIL not in caplog.text


def test_the_worker_logs_as_configured_and_warns_of_a_message_no_channel_takes(
    tmp_path: Path, empty_database: str
):
    # send-notifications never set up logging: nothing in JSON, and a letter dropped for want
    # of a letter channel was logged at INFO, unseen (an operator's walk).
    env = app_env(empty_database, log_format="json", log_level="INFO")
    subprocess.run([*portion_command(), "migrate"], env=env, cwd=tmp_path, check=True, timeout=300)
    engine = make_engine(empty_database)
    with Session(engine) as session:
        enqueue(
            session,
            event="meal_plan_letter",
            channel="letter",
            recipient="Edna Smith\n3 Quiet Close\nFinchley\nN3 1QX",
            subject="Your meals",
            body="Tuesday",
            dedupe_key="diner:1:meal_plan",
        )
        session.commit()
    engine.dispose()

    sent = subprocess.run(
        [*portion_command(), "send-notifications"],
        env=env | {"PORTION_NOTIFICATIONS_VIA": "smtp"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert sent.returncode == 0, sent.stderr
    lines = [json.loads(line) for line in sent.stderr.splitlines() if line.startswith("{")]
    assert [(line["level"], line["message"]) for line in lines] == [
        ("WARNING", "notification 1 not sent: no letter channel configured")
    ]
    assert "Quiet Close" not in sent.stderr
