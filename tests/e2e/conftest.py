"""Browser tests: the real app served by uvicorn, driven by Debian's Chromium through Playwright.

They run in their own pytest process: `.venv/bin/pytest -q -m e2e tests/e2e`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PORTION_E2E_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
STAFF_EMAIL = "staff@example.org"
STAFF_PASSWORD = "kettle-orchard-violet-42"
SERVE = (
    "import socket, sys, uvicorn\n"
    "sock = socket.socket(fileno=int(sys.argv[1]))\n"
    "config = uvicorn.Config('app.main:app', log_level='warning', access_log=False)\n"
    "uvicorn.Server(config).run(sockets=[sock])\n"
)


@dataclass
class Server:
    base_url: str
    staff_email: str = STAFF_EMAIL
    staff_password: str = STAFF_PASSWORD


def _portion(env: dict[str, str], *args: str) -> None:
    exe = ROOT / ".venv" / "bin" / "portion"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]
    subprocess.run([*command, *args], env=env, cwd=ROOT, check=True, capture_output=True)


def _environment(tmp: str) -> dict[str, str]:
    return {
        **os.environ,
        "PORTION_DATABASE_URL": f"sqlite:///{tmp}/e2e.db",
        "PORTION_ENV": "development",
        "PORTION_SECRET_KEY": "e2e-secret-key-that-is-long-enough-0123456789",
        # Every browser test registers its own people from 127.0.0.1 on one server: the
        # per-client limit (20 an hour, tested in tests/accounts) would refuse the later files.
        "PORTION_REGISTRATIONS_PER_CLIENT_HOUR": "1000",
    }


@contextmanager
def _serving(env: dict[str, str], tmp: str) -> Iterator[str]:
    """The app on a socket already bound to 127.0.0.1:0, over env's database: its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    log = Path(tmp) / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(sock.fileno())],
            env=env,
            cwd=ROOT,
            pass_fds=(sock.fileno(),),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    sock.close()
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The app on a socket already bound to 127.0.0.1:0, over a fresh migrated SQLite database."""
    with tempfile.TemporaryDirectory(prefix="portion-e2e-") as tmp:
        env = _environment(tmp)
        _portion(env, "migrate")
        _portion(env, "create-council", "--slug", "barnet", "--name", "Barnet",
                 "--lad", "E09000003")  # fmt: skip
        _portion(env, "create-staff", "--council", "barnet", "--email", STAFF_EMAIL,
                 "--password", STAFF_PASSWORD, "--full-name", "Pat Coordinator")  # fmt: skip
        with _serving(env, tmp) as base_url:
            yield Server(base_url=base_url)


@pytest.fixture(scope="session")
def demo_server() -> Iterator[Server]:
    """A second app whose database has `portion seed-demo` run (three councils with a year of
    history); its staff are the demo's Barnet coordinator."""
    from app.demo import DEMO_PASSWORD, staff_email

    with tempfile.TemporaryDirectory(prefix="portion-e2e-demo-") as tmp:
        env = _environment(tmp)
        _portion(env, "migrate")
        _portion(env, "seed-demo")
        with _serving(env, tmp) as base_url:
            yield Server(
                base_url=base_url, staff_email=staff_email("barnet"), staff_password=DEMO_PASSWORD
            )


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Chromium is missing at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
