"""What the fault tests share: a real `portion serve` process, a PostgreSQL server the test may
stop and start, and a small committed population with due meals and proposable pairs."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from app.accounts.service import start_session
from app.config import Settings
from app.models import Cook, Meal, User
from tests.factories import (
    approve_payload,
    cook_payload,
    create_council,
    create_user,
    diner_payload,
)
from tests.notifications.conftest import free_port
from tests.support.postgres import _as_postgres

ROOT = Path(__file__).resolve().parent.parent.parent
START_TIMEOUT_S = 60.0  # only so that a broken start fails instead of hanging


def portion_command() -> list[str]:
    """The installed `portion` command of this interpreter's environment."""
    portion = Path(sys.executable).with_name("portion")
    return [str(portion)] if portion.exists() else [sys.executable, "-m", "app.cli"]


def app_env(database_url: str, **settings: str) -> dict[str, str]:
    """This process's environment without PORTION_ settings, then the app's for the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTION_")}
    env |= {
        "PORTION_ENV": "development",
        "PORTION_SECRET_KEY": secrets.token_urlsafe(48),
        "PORTION_DATABASE_URL": database_url,
        "PORTION_GEOCODER": "offline",
        "PORTION_NOTIFICATIONS_IN_PROCESS": "false",
        "PYTHONUNBUFFERED": "1",
    }
    return env | {f"PORTION_{k.upper()}": v for k, v in settings.items()}


@dataclass
class AppServer:
    """`portion serve` on a free port of 127.0.0.1, its output kept in files of `folder`."""

    env: dict[str, str]
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stderr_path(self) -> Path:
        return self.folder / f"server-{self.starts}.err"

    def start(self) -> AppServer:
        self.starts += 1
        command = [*portion_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with (
            (self.folder / f"server-{self.starts}.out").open("wb") as out,
            self.stderr_path.open("wb") as err,
        ):
            self.process = subprocess.Popen(
                command, cwd=self.folder, env=self.env, stdout=out, stderr=err
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited at start:\n{self.stderr()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not answer /healthz:\n{self.stderr()[-3000:]}")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no rollback by the process itself."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def app_server(env: dict[str, str], folder: Path) -> Iterator[AppServer]:
    server = AppServer(env, folder).start()
    try:
        yield server
    finally:
        server.stop()


def _parent_of(stat: Path) -> int | None:
    try:  # the command may hold spaces and brackets: the fields after its closing ")"
        return int(stat.read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None  # a process gone meanwhile


class StoppablePostgres:
    """A throwaway PostgreSQL server the test may stop (-m fast) and start again on the same
    port and data folder (tests/support/postgres.py's server lives for the whole run)."""

    def __init__(self, pg_bin: Path) -> None:
        self.pg_bin = pg_bin
        self.tmp = Path(tempfile.mkdtemp(prefix="portion-pg-fault-"))
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres", "postgres")
        self.data, self.port = self.tmp / "data", free_port()
        self._run("initdb", "-D", str(self.data), "-U", "app", "-A", "trust", "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "app", "app")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://app@127.0.0.1:{self.port}/app"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(self.pg_bin / tool), *args]),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def _ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", *args)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.tmp / "log"), "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def _processes(self) -> list[int]:
        """The postmaster and its children (the backends, the checkpointer...)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = [
            int(stat.parent.name)
            for stat in Path("/proc").glob("[0-9]*/stat")
            if _parent_of(stat) == postmaster
        ]
        return [postmaster, *children]

    def freeze(self) -> None:
        """Stop every process of the server (SIGSTOP): its host still accepts connections
        and acknowledges what is sent, and nothing answers (a stalled disk, a hung host)."""
        for pid in self._processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._processes():
            os.kill(pid, signal.SIGCONT)

    def remove(self) -> None:
        subprocess.run(
            _as_postgres(
                [str(self.pg_bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- a small population --------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tokens_for(engine: Engine, env: dict[str, str], users: list[User]) -> list[str]:
    """Bearer tokens the server at `env` accepts, recorded as sign-ins (no password hashing:
    the fault tests run on a busy machine and sign-in is not what they test)."""
    settings = Settings(secret_key=env["PORTION_SECRET_KEY"])
    with Session(engine) as s:
        tokens = [
            start_session(s, user=user, kind="access", settings=settings)[0] for user in users
        ]
        s.commit()
    return tokens


@dataclass
class Population:
    staff: str  # tokens
    cooks: dict[int, str]  # cook id -> its token
    due_meals: list[tuple[int, int]]  # (meal id, cook id), scheduled on past dates
    proposable: list[dict[str, object]]  # POST /api/staff/pairings bodies that can be made


def populate(
    engine: Engine, api: httpx.Client, env: dict[str, str], *, cooks: int, meals_per_pairing: int
) -> Population:
    """A council with a staff member and `cooks` approved cooks (two places each); each cook
    has one active pairing with `meals_per_pairing` due meals, and one more diner waits per cook
    who can be proposed to that cook."""
    with Session(engine, expire_on_commit=False) as s:
        council = create_council(s, slug="barnet", lad_codes=["E09000003"])
        staff = create_user(s, role="staff", council=council)
        cook_users = [create_user(s, role="cook") for _ in range(cooks)]
        carers = [create_user(s, role="carer") for _ in range(2 * cooks)]
        s.commit()
    staff_token, *cook_tokens = tokens_for(engine, env, [staff, *cook_users])
    carer_tokens = tokens_for(engine, env, carers)
    tokens: dict[int, str] = {}
    # Free on Tuesdays (the active pairing) and Thursdays (the waiting diner): a cook is never
    # proposed at two homes at once.
    days = [{"weekday": d, "start": "17:00", "end": "19:00"} for d in (1, 3)]
    thursday = [{"weekday": 3, "start": "17:30", "end": "19:00"}]
    for token in cook_tokens:
        made = api.put("/api/cooks/me", json=cook_payload(availability=days), headers=bearer(token))
        assert made.status_code == 200, made.text
        cook_id = made.json()["id"]
        path = f"/api/staff/cooks/{cook_id}/approve"
        approved = api.post(path, json=approve_payload(), headers=bearer(staff_token))
        assert approved.status_code == 200, approved.text
        tokens[cook_id] = token
    diners = []
    for n, carer_token in enumerate(carer_tokens):
        body = diner_payload() if n < cooks else diner_payload(availability=thursday)
        made = api.post("/api/diners", json=body, headers=bearer(carer_token))
        assert made.status_code == 201, made.text
        diners.append(made.json()["id"])
    pairings, proposable = [], []
    for cook_id, active_diner, waiting_diner in zip(
        tokens, diners[:cooks], diners[cooks:], strict=True
    ):
        body = {"diner_id": active_diner, "cook_id": cook_id, "weekday": 1, "start": "17:30"}
        body["frequency"] = "weekly"
        made = api.post("/api/staff/pairings", json=body, headers=bearer(staff_token))
        assert made.status_code == 201, made.text
        pairing_id = made.json()["id"]
        accepted = api.post(f"/api/pairings/{pairing_id}/accept", headers=bearer(tokens[cook_id]))
        assert accepted.status_code == 200, accepted.text
        pairings.append((pairing_id, cook_id, active_diner))
        proposable.append(body | {"diner_id": waiting_diner, "weekday": 3})
    return Population(
        staff=staff_token,
        cooks=tokens,
        due_meals=_due_meals(engine, pairings, meals_per_pairing),
        proposable=proposable,
    )


def _due_meals(
    engine: Engine, pairings: list[tuple[int, int, int]], per_pairing: int
) -> list[tuple[int, int]]:
    """Scheduled meals on Tuesdays of past weeks (the API schedules only ahead)."""
    today = datetime.now(UTC).date()
    last_tuesday = today - timedelta(days=(today.weekday() - 1) % 7 or 7)
    with Session(engine) as s:
        council_id = s.exec(select(Cook.council_id)).first()
        rows = [
            {
                "pairing_id": pairing_id,
                "council_id": council_id,
                "diner_id": diner_id,
                "cook_id": cook_id,
                "date": day,
                "start": "17:30",
                "at": datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=17),
                "status": "scheduled",
                "is_cover": False,
                "created_at": datetime.now(UTC),
            }
            for pairing_id, cook_id, diner_id in pairings
            for day in (last_tuesday - timedelta(weeks=w) for w in range(per_pairing))
        ]
        s.execute(insert(Meal), rows)
        s.commit()
        found = s.exec(
            select(Meal.id, Meal.cook_id).where(col(Meal.date) < today, Meal.status == "scheduled")
        ).all()
    return [(meal_id, cook_id) for meal_id, cook_id in found if meal_id and cook_id]
