"""GET /metrics (Prometheus): requests by route template, the outbox, meals needing cover, the
batch's duration, the token in production, and counts that add up across real workers."""

from __future__ import annotations

import secrets
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, col, select

from app.config import ConfigurationError, Settings, get_settings
from app.db import utcnow
from app.main import app
from app.models import Meal
from app.notifications.outbox import enqueue
from tests.factories import active_pairing, auth_headers, create_council, create_user
from tests.faults.support import app_env, portion_command
from tests.notifications.conftest import free_port
from tests.test_startup import modules_after

TOKEN = "metrics-token-" + "x" * 40
DINER = "/api/staff/diners/{diner_id}"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a scrape (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def labels_of(text: str, name: str) -> list[dict[str, str]]:
    return [
        s.labels
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


def scrape(client: TestClient, **headers: str) -> str:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_requests_are_counted_by_route_template_when_the_path_holds_an_id(client: TestClient):
    before = scrape(client)
    for diner_id in (241, 242, 243):
        assert client.get(f"/api/staff/diners/{diner_id}?q=x").status_code == 401
    after = scrape(client)

    labels = {"method": "GET", "route": DINER, "status": "4xx"}
    count = "portion_http_requests_total"
    assert sample(after, count, **labels) - sample(before, count, **labels) == 3
    latency = "portion_http_request_duration_seconds_count"
    assert sample(after, latency, **labels) - sample(before, latency, **labels) == 3
    routes = {found["route"] for found in labels_of(after, count)}
    assert not any("241" in route or "?" in route for route in routes), routes


def test_scrapes_are_not_counted_when_prometheus_reads_metrics(client: TestClient):
    scrape(client)
    text = scrape(client)

    assert "/metrics" not in {
        found["route"] for found in labels_of(text, "portion_http_requests_total")
    }


def test_unknown_method_is_counted_as_other_when_a_client_invents_one(client: TestClient):
    before = scrape(client)
    client.request("BREW", "/healthz")
    after = scrape(client)

    methods = {found["method"] for found in labels_of(after, "portion_http_requests_total")}
    assert "BREW" not in methods
    name, labels = "portion_http_requests_total", {"method": "other", "route": "/healthz"}
    assert sample(after, name, **labels) - sample(before, name, **labels) == 1


def test_request_refused_before_routing_is_counted_as_refused_when_its_body_is_over_1_mib(
    client: TestClient,
):
    before = scrape(client)
    response = client.post(
        "/api/auth/register",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    after = scrape(client)

    name = "portion_http_requests_total"
    for route, counted in (("refused", 1), ("static", 0), ("/api/auth/register", 0)):
        labels = {"method": "POST", "route": route, "status": "4xx"}
        assert sample(after, name, **labels) - sample(before, name, **labels) == counted, route


def test_outbox_counts_are_read_when_scraped(client: TestClient, session: Session):
    user = create_user(session, role="carer")
    for i, status in enumerate(["pending", "pending", "sent", "failed"]):
        message = enqueue(
            session, event="test", to=user, subject="s", body="b", dedupe_key=f"metrics:{i}"
        )
        assert message is not None
        message.status = status
    session.flush()

    text = scrape(client)

    statuses = ("queued", "sent", "failed")
    found = {status: sample(text, "portion_outbox_messages", status=status) for status in statuses}
    assert found == {"queued": 2, "sent": 1, "failed": 1}


def test_meals_needing_cover_count_only_the_next_seven_days_when_scraped(
    client: TestClient, session: Session, settings: Settings
):
    staff = create_user(session, role="staff", council=create_council(session, slug="metricton"))
    pairing = active_pairing(client, session, settings, staff, coordinator=staff)
    meals = session.exec(
        select(Meal).where(Meal.pairing_id == pairing.pairing_id).order_by(col(Meal.date))
    ).all()
    assert len(meals) >= 5
    today = utcnow().date()
    # (days from today, status): only the first two are cover needed in the next 7 days.
    for meal, (days, status) in zip(
        meals,
        [
            (0, "needs_cover"),
            (6, "needs_cover"),
            (7, "needs_cover"),
            (-1, "needs_cover"),
            (3, "scheduled"),
        ],
        strict=False,
    ):
        meal.date, meal.status = today + timedelta(days=days), status
    for meal in meals[5:]:
        session.delete(meal)
    session.flush()

    text = scrape(client)

    assert sample(text, "portion_meals_needing_cover", council="metricton") == 2


def test_batch_duration_is_observed_when_staff_run_matching(
    client: TestClient, session: Session, settings: Settings
):
    staff = create_user(session, role="staff", council=create_council(session))
    before = scrape(client)

    response = client.post("/api/staff/matching/run", headers=auth_headers(staff, settings))

    assert response.status_code == 200, response.text
    after = scrape(client)
    name = "portion_matching_batch_duration_seconds_count"
    assert sample(after, name) - sample(before, name) == 1
    assert sample(after, "portion_matching_batch_duration_seconds_sum") > sample(
        before, "portion_matching_batch_duration_seconds_sum"
    )


def production(**fields: object) -> Settings:
    return Settings(env="production", secret_key=secrets.token_urlsafe(48), **fields)


def test_metrics_are_not_found_when_production_has_no_token(client: TestClient):
    app.dependency_overrides[get_settings] = lambda: production()

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", TOKEN, f"Basic {TOKEN}"])
def test_metrics_refuse_401_when_the_bearer_token_is_missing_or_wrong(
    client: TestClient, authorization: str | None
):
    app.dependency_overrides[get_settings] = lambda: production(metrics_token=TOKEN)
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "portion_" not in response.text


def test_metrics_answer_when_production_scraper_sends_the_token(client: TestClient):
    app.dependency_overrides[get_settings] = lambda: production(metrics_token=TOKEN)

    text = scrape(client, Authorization=f"Bearer {TOKEN}")

    assert "portion_outbox_messages" in text


def test_settings_refuse_a_short_metrics_token_when_one_is_set():
    with pytest.raises(ConfigurationError, match="PORTION_METRICS_TOKEN"):
        production(metrics_token="short")


def test_prometheus_client_is_not_imported_when_the_app_starts():
    assert "prometheus_client" not in modules_after("import app.main")


# --- several real workers -------------------------------------------------------------------

WORKERS = 2
START_TIMEOUT_S = 180.0  # two workers importing the app on a busy machine; only a guard
MAX_REQUESTS = 400  # until both workers have answered some; only a guard
REQUEST_TIMEOUT_S = 120  # only so that a stuck server fails


def test_counts_add_up_across_workers_when_served_by_two(tmp_path: Path, empty_database: str):
    """`portion serve --workers 2`: whichever worker answers a scrape, it counts every worker's
    requests; the shared folder is a temporary one, removed when the server stops."""
    env = app_env(empty_database) | {"TMPDIR": str(tmp_path)}
    subprocess.run([*portion_command(), "migrate"], env=env, cwd=tmp_path, check=True, timeout=300)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "server.err").open("wb") as err:
        server = subprocess.Popen(
            [*portion_command(), "serve", "--port", str(port), "--workers", str(WORKERS)],
            cwd=tmp_path,
            env=env,
            stdout=err,
            stderr=err,
        )
    try:
        wait_for_health(server, url, tmp_path / "server.err")
        folders = list(tmp_path.glob("portion-metrics-*"))
        assert len(folders) == 1, folders
        sent = 0
        # A new connection each time: the workers take turns accepting them.
        while len(counter_files(folders[0])) < WORKERS:
            assert sent < MAX_REQUESTS, "one worker answered every request"
            response = httpx.get(f"{url}/api/staff/diners/{sent + 1}", timeout=REQUEST_TIMEOUT_S)
            assert response.status_code == 401
            sent += 1
        for _ in range(2 * WORKERS):
            text = httpx.get(f"{url}/metrics", timeout=REQUEST_TIMEOUT_S).text
            labels = {"method": "GET", "route": DINER, "status": "4xx"}
            assert sample(text, "portion_http_requests_total", **labels) == sent
            assert sample(text, "portion_http_request_duration_seconds_count", **labels) == sent
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    assert not folders[0].exists()


def counter_files(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("counter_*.db")}


def wait_for_health(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{url}/healthz", timeout=REQUEST_TIMEOUT_S).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server never answered /healthz:\n{log.read_text(errors='replace')[-3000:]}")


def test_an_error_on_metrics_is_json_when_prometheus_asks_for_its_text_formats(
    client: TestClient,
):
    """Prometheus asks for its text formats, not JSON: an error on /metrics (a wrong token
    here, the database down in the outside check that found it) answered the HTML error page.
    A scraper gets the API's JSON error, as /healthz's checkers do."""
    app.dependency_overrides[get_settings] = lambda: production(metrics_token=TOKEN)
    prometheus = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"

    headers = {"Authorization": "Bearer wrong", "Accept": prometheus}
    refused = client.get("/metrics", headers=headers)

    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/json"
    assert set(refused.json()) == {"detail"}
