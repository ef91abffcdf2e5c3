"""Load benchmark through real uvicorn servers on 127.0.0.1, beside two baselines.

Run: ``.venv/bin/python bench/http_load.py [--quick] [--db sqlite|postgresql] [--workers N]
[--connections C] [--duration S] [--suggest-latency]``.

In one run, on a fresh database in a temporary folder (SQLite, or a throwaway PostgreSQL server
with ``--db postgresql``) migrated by ``portion migrate`` and filled by ``portion seed-demo``, it
starts three uvicorn servers on free ports of 127.0.0.1, each with ``--workers N``:

- ``bench/baseline_app.py:bare``: FastAPI ``GET /hello``, no database (the baseline of
  ``/healthz``);
- ``bench/baseline_app.py:plain``: a plain SQLModel app, a sync session per request reading
  20 cooks of the same database (the baseline of every other endpoint);
- ``app.main:app``: the service, signed in through ``POST /api/auth/token`` with the demo
  accounts of Barnet.

Then it drives each endpoint for a fixed time (and at most ``--max-requests``) with C
keep-alive connections (the plain baseline once more after the read endpoints, to show how far
the machine drifted meanwhile), and a mixed load of reads and writes (meal outcomes on due meals,
proposals then their withdrawal on proposable pairs, sign-ins) prepared so that the writes
succeed: the pairs are waiting diners with no open pairing and a suggested cook, each cook in
one pair only, reserved before the pairings that carry the due meals are made; Barnet's demo
has too few, so they come from each demo council in turn, proposed by its own staff (the run
stops when fewer than half the pairs it asked for can be proposed). A write drawn when none is
free is a read instead (counted), never another write. It prints one table: throughput, its
ratio to the baseline, p50 and p99 latency, errors by status, time-outs (no answer within
10 s), "database is locked" answers, and the CPU the load generator itself used. The generator
runs in this process on the same CPUs as the servers (and the database): its share is taken
from them.

The generator is a minimal HTTP/1.1 keep-alive client on asyncio streams: httpx's asyncio client
spent a whole CPU to drive about 100 requests/s on this machine, so it would have measured itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app.db import make_engine  # noqa: E402
from app.demo import (  # noqa: E402
    DEMO_COUNCILS,
    DEMO_PASSWORD,
    carer_email,
    cook_email,
    staff_email,
)
from app.models import OPEN_STATUSES, Cook, Meal, Pairing, User  # noqa: E402
from tests.support.postgres import find_pg_bin, throwaway_postgres  # noqa: E402

HOST = "127.0.0.1"
COUNCIL = "barnet"
CLIENT_TIMEOUT_S = 10.0
START_TIMEOUT_S = 90.0
LOCKED = b"database is locked"
LONDON = ZoneInfo("Europe/London")

# The mixed load: shares of the actions (a proposal is two requests: propose, then withdraw).
MEAL_OUTCOME_SHARE = 0.08
PROPOSAL_SHARE = 0.07
SIGN_IN_SHARE = 0.05
# The writes prepared for it, the same with --quick (so that a quick run shows whether the demo
# data still has them): pairings accepted for the due meals, and pairs to propose and withdraw.
MEAL_PAIRINGS = 10
PROPOSALS = 16


STARTED = time.perf_counter()


def log(message: str) -> None:
    """Progress goes to stderr, with the seconds since start; the report alone to stdout."""
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def relative(text: str, *folders: Path) -> str:
    """`text` with the project's path taken out and temporary folders shown as <tmp>."""
    text = text.replace(f"{ROOT}/", "").replace(str(ROOT), ".")
    for folder in folders:
        text = text.replace(str(folder), "<tmp>")
    return text


# --- the load generator's client -----------------------------------------------------------------


def http_request(
    method: str,
    path: str,
    *,
    token: str | None = None,
    json_body: object | None = None,
    form: dict[str, str] | None = None,
) -> bytes:
    """The bytes of one HTTP/1.1 request, built once and sent many times."""
    body = b""
    headers = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Accept: application/json"]
    if token is not None:
        headers.append(f"Authorization: Bearer {token}")
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers.append("Content-Type: application/json")
    elif form is not None:
        body = urlencode(form).encode()
        headers.append("Content-Type: application/x-www-form-urlencoded")
    if body or method != "GET":
        headers.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive connection to a server on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.close()
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send one request; return the status and the body of its answer."""
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, keep_alive = 0, False, True
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                keep_alive = b"close" not in value.lower()
        body = await (self._chunks() if chunked else self.reader.readexactly(length))
        if not keep_alive:
            self.close()
        return status, body

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts = []
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()  # the blank line after the last chunk
        return b"".join(parts)


# --- results -------------------------------------------------------------------------------------


@dataclass
class Stats:
    """What one endpoint (or one kind of action in the mix) got during one run."""

    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    timeouts: int = 0
    broken: int = 0  # connection reset or closed without an answer
    locked: int = 0  # 5xx answers whose body says "database is locked"
    wall_s: float = 0.0
    generator_cpu_s: float = 0.0

    def add(self, status: int, body: bytes, elapsed_s: float) -> None:
        self.latencies_s.append(elapsed_s)
        self.statuses[status] += 1
        if status >= 500 and LOCKED in body:
            self.locked += 1

    def merge(self, other: Stats) -> None:
        self.latencies_s += other.latencies_s
        self.statuses.update(other.statuses)
        self.timeouts += other.timeouts
        self.broken += other.broken
        self.locked += other.locked

    @property
    def rate(self) -> float:
        return len(self.latencies_s) / self.wall_s if self.wall_s else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_s)
        if not ordered:
            return math.nan
        return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def errors(self) -> str:
        bad = {s: n for s, n in sorted(self.statuses.items()) if not 200 <= s < 300}
        count = sum(bad.values()) + self.broken
        if not count:
            return "0"
        parts = [f"{s}×{n}" for s, n in bad.items()]
        parts += [f"reset×{self.broken}"] if self.broken else []
        return f"{count} ({', '.join(parts)})"


class Run:
    """One timed, bounded run: its results by label, and the count it must not pass."""

    def __init__(self, max_requests: int) -> None:
        self.stats: dict[str, Stats] = {}
        self.sent = 0
        self.max_requests = max_requests

    async def call(self, conn: Connection, label: str, request: bytes) -> tuple[int, bytes] | None:
        """Send `request`, record its answer under `label`; None when there was none."""
        stats = self.stats.setdefault(label, Stats())
        self.sent += 1
        start = time.perf_counter()
        try:
            status, body = await asyncio.wait_for(conn.send(request), CLIENT_TIMEOUT_S)
        except TimeoutError:
            stats.timeouts += 1
            conn.close()  # the answer may still come: this connection is out of step
            return None
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            stats.broken += 1
            conn.close()
            await asyncio.sleep(0.05)
            return None
        stats.add(status, body, time.perf_counter() - start)
        return status, body


Step = Callable[[Run, Connection, random.Random], Awaitable[None]]


async def drive(
    port: int, step: Step, *, connections: int, duration_s: float, max_requests: int
) -> Run:
    """Run `step` on `connections` connections until `duration_s` or `max_requests` is reached."""
    run = Run(max_requests)
    conns = [Connection(port) for _ in range(connections)]
    await asyncio.gather(*(c.open() for c in conns))
    deadline = time.perf_counter() + duration_s

    async def worker(conn: Connection, seed: int) -> None:
        rng = random.Random(seed)
        while time.perf_counter() < deadline and run.sent < run.max_requests:
            await step(run, conn, rng)

    cpu, start = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(c, i) for i, c in enumerate(conns)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    for conn in conns:
        conn.close()
    for stats in run.stats.values():
        stats.wall_s, stats.generator_cpu_s = wall, cpu
    return run


def one_request(label: str, request: bytes) -> Step:
    async def step(run: Run, conn: Connection, _rng: random.Random) -> None:
        await run.call(conn, label, request)

    return step


# --- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    probe: str  # a path that answers 200 once the server is up
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@contextmanager
def serve(
    name: str, app_ref: str, probe: str, *, env: dict[str, str], workers: int, folder: Path
) -> Iterator[Server]:
    """Start `uvicorn app_ref` on a free port of 127.0.0.1 (wait_until_up waits for it)."""
    server = Server(name, free_port(), probe, folder / f"{name}.log")
    command = [sys.executable, "-m", "uvicorn", app_ref, "--host", HOST]
    command += ["--port", str(server.port), "--workers", str(workers)]
    command += ["--app-dir", str(ROOT / "bench")] if app_ref.startswith("baseline_app") else []
    with server.log.open("wb") as out:
        server.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield server
    finally:
        stop(server.process)


def wait_until_up(server: Server) -> None:
    assert server.process is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log.read_text(errors="replace")[-2000:]
            raise SystemExit(
                f"{server.name} exited at start-up:\n{relative(tail, server.log.parent)}"
            )
        try:
            if httpx.get(server.url + server.probe, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{server.name} did not answer {server.probe} within {START_TIMEOUT_S:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server (uvicorn stops its workers), SIGKILL to its group if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def locked_in_log(server: Server) -> int:
    """Requests the server logged as failing with "database is locked" (once per traceback:
    its last line, SQLAlchemy's exception; the app's 500 body does not say why)."""
    pattern = re.compile(r"^sqlalchemy\.exc\.\w+: .*database is locked")
    return sum(
        1 for line in server.log.read_text(errors="replace").splitlines() if pattern.match(line)
    )


def server_errors(server: Server) -> Counter[str]:
    """The exceptions the server logged, by their last line."""
    found: Counter[str] = Counter()
    pattern = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout)\b.*$")
    for line in server.log.read_text(errors="replace").splitlines():
        if pattern.match(line):
            found[relative(line.strip(), server.log.parent)[:160]] += 1
    return found


# --- the database and the data the load needs ---------------------------------------------------


def server_env(database_url: str, settings: Sequence[str] = ()) -> dict[str, str]:
    """This process's environment without PORTION_ settings, then the benchmark's own, then
    `settings` ("PORTION_NAME=VALUE", from --setting), which override them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTION_")}
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    env |= {
        "PORTION_ENV": "development",
        "PORTION_NOTIFICATIONS_IN_PROCESS": "false",
        "PORTION_SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(48)),
        "PORTION_DATABASE_URL": database_url,
        "PORTION_GEOCODER": "offline",
    }
    return env | dict(setting.split("=", 1) for setting in settings)


def prepare_database(env: dict[str, str]) -> float:
    """`portion migrate` then `portion seed-demo`; return the seconds the seed took."""
    portion = Path(sys.executable).with_name("portion")
    command = (
        [str(portion)]
        if portion.exists()
        else [sys.executable, "-c", "from app.cli import main; main()"]
    )
    subprocess.run([*command, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([*command, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


@dataclass
class Proposal:
    council: str
    staff: str = field(repr=False)  # the token of that council's staff, who may propose it
    diner_id: int
    cook_id: int
    weekday: int
    start: str
    frequency: str

    def body(self) -> dict[str, object]:
        return {
            "diner_id": self.diner_id,
            "cook_id": self.cook_id,
            "weekday": self.weekday,
            "start": self.start,
            "frequency": self.frequency,
        }


@dataclass
class Fixture:
    """Who signs in, which ids the endpoints read, and the writes prepared for the mix."""

    staff: str
    cook: str
    cook_account: str
    carer: str
    suggest_diner_id: int
    carer_diner_id: int
    due_meals: list[tuple[int, str]]  # (meal id, token of its cook)
    proposals: list[Proposal]
    notes: list[str]


def sign_in(api: httpx.Client, email: str) -> str:
    answer = api.post("/api/auth/token", data={"username": email, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def prepare_fixture(
    api: httpx.Client, database_url: str, *, meal_pairings: int, meals: int, proposals: int
) -> Fixture:
    """Sign in; pick the diners to read; reserve the proposable pairs, then make pairings with
    due meals from the other candidates."""
    staff = sign_in(api, staff_email(COUNCIL))
    carer = sign_in(api, carer_email(COUNCIL, 1))
    notes: list[str] = []
    engine = make_engine(database_url)
    suggest_diner_id, candidates = pick_candidates(
        api, staff, proposals + meal_pairings, busy_diners(engine), notes
    )
    # The proposals first: the mix's writes are the point; the meals need only a few pairings.
    proposable = check_proposable(api, candidates[:proposals], notes)
    if len(proposable) < max(1, proposals // 2):
        for note in notes:
            log(f"note: {note}")
        raise SystemExit(
            f"only {len(proposable)} of {proposals} proposable pairs: the mix would test few "
            "proposals (see the notes above)"
        )
    pairings, cook_tokens = make_pairings(api, engine, candidates[proposals:], notes)
    per_pairing = math.ceil(meals / max(1, len(pairings)))
    due_meals = [
        (meal_id, cook_tokens[cook_id])
        for meal_id, cook_id in insert_due_meals(engine, pairings, per_pairing=per_pairing)
    ]
    engine.dispose()
    # The cook rows read as a cook with an active pairing and meals, when there is one.
    cook_id = next(iter(cook_tokens), None)
    carer_diners = api.get("/api/diners", headers=bearer(carer)).json()["items"]
    return Fixture(
        staff=staff,
        cook=sign_in(api, cook_email(COUNCIL, 1)) if cook_id is None else cook_tokens[cook_id],
        cook_account=cook_email(COUNCIL, 1) if cook_id is None else "a cook with a pairing",
        carer=carer,
        suggest_diner_id=suggest_diner_id,
        carer_diner_id=carer_diners[0]["id"],
        due_meals=due_meals,
        proposals=proposable,
        notes=notes,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def busy_diners(engine: Engine) -> set[int]:
    """Diners with a proposed or active pairing: still `waiting` until a cook accepts, and
    still given suggestions, but a proposal for them answers 409."""
    with Session(engine) as session:
        return {
            diner_id
            for diner_id in session.exec(
                select(Pairing.diner_id).where(col(Pairing.status).in_(OPEN_STATUSES))
            )
            if diner_id is not None
        }


def pick_candidates(
    api: httpx.Client, staff: str, count: int, busy: set[int], notes: list[str]
) -> tuple[int, list[Proposal]]:
    """The waiting diner of Barnet whose suggestions are read (kept waiting, so they stay the
    same), and up to `count` other waiting diners, none of them `busy`, with a suggested cook
    each, never the same cook twice (so the pairs never compete for a cook's places), from
    each demo council in turn: Barnet's demo has about ten waiting diners with a suggestion,
    fewer than the pairings and proposals the mix needs. Each council's pairs are proposed by
    its own staff."""
    suggest_diner_id: int | None = None
    candidates: list[Proposal] = []
    used_cooks: set[int] = set()
    for slug in [COUNCIL, *(c.slug for c in DEMO_COUNCILS if c.slug != COUNCIL)]:
        if len(candidates) >= count:
            break
        token = staff if slug == COUNCIL else sign_in(api, staff_email(slug))
        waiting = api.get(
            "/api/staff/diners", params={"status": "waiting", "limit": 500}, headers=bearer(token)
        ).json()["items"]
        for diner in waiting:
            if len(candidates) >= count:
                break
            if diner["id"] in busy and suggest_diner_id is not None:
                continue
            path = f"/api/staff/diners/{diner['id']}/suggestions"
            items = api.get(path, headers=bearer(token)).json()["items"]
            if items and suggest_diner_id is None and slug == COUNCIL:
                suggest_diner_id = diner["id"]  # read only: a busy diner's suggestions will do
                continue
            if diner["id"] in busy:
                continue
            item = next((i for i in items if i["cook_id"] not in used_cooks and i["slots"]), None)
            if item is not None:
                used_cooks.add(item["cook_id"])
                slot = item["slots"][0]
                candidates.append(
                    Proposal(
                        slug,
                        token,
                        diner["id"],
                        item["cook_id"],
                        slot["weekday"],
                        slot["start"],
                        diner["frequency"],
                    )
                )
    if suggest_diner_id is None:
        raise SystemExit(f"no waiting diner of {COUNCIL} has a suggestion")
    if len(candidates) < count:
        notes.append(
            f"only {len(candidates)} waiting diners with a free suggested cook in the demo "
            f"councils, {count} wanted"
        )
    return suggest_diner_id, candidates


def make_pairings(
    api: httpx.Client, engine: Engine, pairs: list[Proposal], notes: list[str]
) -> tuple[list[tuple[int, Proposal]], dict[int, str]]:
    """Propose each pair and have its cook accept; return the active pairings (id, pair) and
    each cook's token."""
    pairings: list[tuple[int, Proposal]] = []
    cook_tokens: dict[int, str] = {}
    for pair in pairs:
        made = api.post("/api/staff/pairings", json=pair.body(), headers=bearer(pair.staff))
        if made.status_code != 201:
            notes.append(f"a pairing was refused: {made.status_code} {made.text[:120]}")
            continue
        with Session(engine) as session:
            email = session.exec(
                select(User.email)
                .join(Cook, col(Cook.user_id) == col(User.id))
                .where(Cook.id == pair.cook_id)
            ).one()
        cook_tokens[pair.cook_id] = sign_in(api, email)
        pairing_id = made.json()["id"]
        accepted = api.post(
            f"/api/pairings/{pairing_id}/accept", headers=bearer(cook_tokens[pair.cook_id])
        )
        if accepted.status_code == 200:
            pairings.append((pairing_id, pair))
        else:
            notes.append(f"a pairing was not accepted: {accepted.status_code}")
    return pairings, cook_tokens


def check_proposable(api: httpx.Client, pairs: list[Proposal], notes: list[str]) -> list[Proposal]:
    """The pairs that can be proposed and withdrawn: each is tried once now."""
    proposable = []
    for pair in pairs:
        made = api.post("/api/staff/pairings", json=pair.body(), headers=bearer(pair.staff))
        if made.status_code == 201:
            path = f"/api/staff/pairings/{made.json()['id']}/withdraw"
            if api.post(path, headers=bearer(pair.staff)).status_code == 200:
                proposable.append(pair)
                continue
        notes.append(f"a pair was not proposable: {made.status_code} {made.text[:120]}")
    return proposable


def insert_due_meals(
    engine: Engine, pairings: list[tuple[int, Proposal]], *, per_pairing: int
) -> list[tuple[int, int]]:
    """Scheduled meals on the pairings' weekday in past weeks (the API only schedules ahead);
    return (meal id, cook id) pairs."""
    today = datetime.now(LONDON).date()
    rows = []
    for pairing_id, pair in pairings:
        last = today - timedelta(days=(today.weekday() - pair.weekday) % 7 or 7)
        for week in range(per_pairing):
            day = last - timedelta(weeks=week)
            rows.append(meal_row(pairing_id, pair, day))
    if not rows:
        return []
    with Session(engine) as session:
        for row in rows:
            cook = session.get(Cook, row["cook_id"])
            assert cook is not None
            row["council_id"] = cook.council_id
        session.execute(insert(Meal), rows)
        found = session.exec(
            select(Meal.id, Meal.cook_id).where(
                col(Meal.pairing_id).in_([pairing_id for pairing_id, _ in pairings]),
                Meal.date < today,
            )
        ).all()
        session.commit()
    return [(meal_id, cook_id) for meal_id, cook_id in found if meal_id and cook_id]


def meal_row(pairing_id: int, pair: Proposal, day: date) -> dict[str, object]:
    hour, minute = map(int, pair.start.split(":"))
    at = datetime.combine(day, clock_time(hour, minute), LONDON).astimezone(UTC)
    return {
        "pairing_id": pairing_id,
        "diner_id": pair.diner_id,
        "cook_id": pair.cook_id,
        "date": day,
        "start": pair.start,
        "at": at,
        "status": "scheduled",
        "is_cover": False,
        "created_at": datetime.now(UTC),
    }


# --- what is measured ----------------------------------------------------------------------------


def read_endpoints(f: Fixture) -> list[tuple[str, bytes]]:
    """(label, request) of every read endpoint the load visits, by role. The first, who is
    asking (``/api/me``: the sign-in check and one small read), is the floor of the others: what
    any signed-in request costs before its route's own work."""
    staff = [
        "/api/me",
        "/api/staff/diners?status=waiting",
        "/api/staff/cooks?status=pending",
        f"/api/staff/diners/{f.suggest_diner_id}/suggestions",
        "/api/staff/reports/summary",
    ]
    cook = ["/api/cooks/me", "/api/cooks/me/pairings", "/api/cooks/me/meals"]
    carer = ["/api/diners", f"/api/diners/{f.carer_diner_id}"]
    return [
        *((f"staff {p}", http_request("GET", p, token=f.staff)) for p in staff),
        *((f"cook {p}", http_request("GET", p, token=f.cook)) for p in cook),
        *((f"carer {p}", http_request("GET", p, token=f.carer)) for p in carer),
    ]


class Mix:
    """Mostly reads, plus meal outcomes, proposals (then withdrawn) and sign-ins.

    Each step draws its kind by the shares. A meal outcome or a proposal drawn when none is
    free (every due meal used, or every pair in flight on other connections) is a read instead,
    and counted: it never becomes another kind of write, so the shares of the writes hold.
    """

    def __init__(self, f: Fixture) -> None:
        self.reads = read_endpoints(f)
        self.meals = deque(f.due_meals)
        self.proposals = deque(f.proposals)  # each is taken by one connection at a time
        self.sign_in = http_request(
            "POST",
            "/api/auth/token",
            form={"username": carer_email(COUNCIL, 1), "password": DEMO_PASSWORD},
        )
        self.skipped: Counter[str] = Counter()  # writes drawn with none free: reads instead

    async def step(self, run: Run, conn: Connection, rng: random.Random) -> None:
        roll = rng.random()
        if roll < MEAL_OUTCOME_SHARE:
            if self.meals:
                meal_id, token = self.meals.popleft()
                path = f"/api/meals/{meal_id}/delivered"
                await run.call(conn, "mix: meal outcome", http_request("POST", path, token=token))
                return
            self.skipped["meal outcome"] += 1
        elif roll < MEAL_OUTCOME_SHARE + PROPOSAL_SHARE:
            if self.proposals:
                pair = self.proposals.popleft()
                try:
                    await self.propose_and_withdraw(run, conn, pair)
                finally:
                    self.proposals.append(pair)
                return
            self.skipped["proposal"] += 1
        elif roll < MEAL_OUTCOME_SHARE + PROPOSAL_SHARE + SIGN_IN_SHARE:
            await run.call(conn, "mix: sign-in", self.sign_in)
            return
        _label, request = rng.choice(self.reads)
        await run.call(conn, "mix: reads", request)

    async def propose_and_withdraw(self, run: Run, conn: Connection, pair: Proposal) -> None:
        propose = http_request(
            "POST", "/api/staff/pairings", token=pair.staff, json_body=pair.body()
        )
        answer = await run.call(conn, "mix: proposal", propose)
        if answer is not None and answer[0] == 201:
            path = f"/api/staff/pairings/{json.loads(answer[1])['id']}/withdraw"
            await run.call(conn, "mix: withdrawal", http_request("POST", path, token=pair.staff))


async def sequential(port: int, request: bytes, count: int) -> Stats:
    """`count` requests one after another on one connection."""
    conn, stats = Connection(port), Stats()
    start = time.perf_counter()
    for _ in range(count):
        began = time.perf_counter()
        status, body = await conn.send(request)
        stats.add(status, body, time.perf_counter() - began)
    stats.wall_s = time.perf_counter() - start
    conn.close()
    return stats


# --- the report ----------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    value = seconds * 1000
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


@dataclass
class Row:
    label: str
    stats: Stats
    baseline: tuple[str, Stats] | None = None
    is_baseline: bool = False


def table(rows: list[Row]) -> str:
    header = (
        "endpoint",
        "req/s",
        "vs baseline",
        "p50",
        "p99",
        "p99/p50",
        "errors",
        "time-outs",
        "locked",
        "gen CPU",
    )
    lines = [header]
    for row in rows:
        s = row.stats
        p50, p99 = s.percentile(50), s.percentile(99)
        ratio = "baseline" if row.is_baseline else "-"
        if row.baseline is not None:
            name, base = row.baseline
            ratio = f"{s.rate / base.rate:.2f}× {name}" if base.rate else "-"
        lines.append(
            (
                row.label,
                f"{s.rate:,.0f}",
                ratio,
                ms(p50),
                ms(p99),
                f"{p99 / p50:.1f}" if p50 and not math.isnan(p50) else "-",
                s.errors,
                str(s.timeouts),
                str(s.locked),
                f"{s.generator_cpu_s / s.wall_s:.0%}" if s.wall_s else "-",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)
        ]
        out.append("  ".join(cells))
        if n == 0:
            out.append("-" * len(out[0]))
    return "\n".join(out)


# --- the run -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 s per endpoint, 4 connections")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
    parser.add_argument("--connections", type=int, help="concurrent connections (default 32)")
    parser.add_argument("--duration", type=float, help="seconds per endpoint (default 10)")
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help="at most this many per endpoint"
    )
    parser.add_argument(
        "--suggest-latency",
        action="store_true",
        help="also: suggestions at one connection, sequential requests (200; --quick 30)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="measure only the rows whose label contains TEXT (repeatable; 'mix' for the mix); "
        "the two baselines always run",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="PORTION_NAME=VALUE",
        help="a setting for the servers (repeatable), to compare configurations in one "
        "machine's conditions; for example PORTION_DATABASE_WRITE_SLOTS=8",
    )
    args = parser.parse_args(argv)
    for setting in args.setting:
        name, equals, _value = setting.partition("=")
        if not name.startswith("PORTION_") or not equals:
            parser.error(f"--setting {setting!r}: give PORTION_NAME=VALUE")
    args.connections = args.connections or (4 if args.quick else 32)
    args.duration = args.duration or (1.0 if args.quick else 10.0)
    return args


@contextmanager
def database(kind: str) -> Iterator[tuple[str, str, Path]]:
    """(SQLAlchemy URL, description, temporary folder) of a fresh, empty database."""
    folder = Path(tempfile.mkdtemp(prefix="portion-http-load-"))
    try:
        if kind == "sqlite":
            yield f"sqlite:///{folder / 'portion.db'}", "SQLite (a fresh file, WAL)", folder
            return
        pg_bin = find_pg_bin()
        if pg_bin is None:
            raise SystemExit("--db postgresql needs the PostgreSQL server binaries installed")
        with throwaway_postgres(pg_bin) as url:
            yield url, f"PostgreSQL {pg_bin.parent.name} (a throwaway server, fsync off)", folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Report:
    """Everything the run prints."""

    command: str
    args: argparse.Namespace
    database: str
    seed_s: float
    load_start: float
    load_end: float = 0.0
    fixture: Fixture | None = None
    rows: list[Row] = field(default_factory=list)
    one_connection: list[tuple[str, Stats]] = field(default_factory=list)
    mix_skipped: Counter[str] = field(default_factory=Counter)
    locked_logged: int = 0
    server_errors: dict[str, Counter[str]] = field(default_factory=dict)


def measure_rows(
    args: argparse.Namespace, bare: Server, plain: Server, ours: Server, fixture: Fixture
) -> tuple[list[Row], Counter[str]]:
    """The baselines, /healthz, every read endpoint, then the mix (by kind and in total); and
    the mix's writes that found none free (done as reads)."""

    def measure(label: str, port: int, step: Step) -> Run:
        log(f"{label}: {args.duration:g} s at {args.connections} connections")
        return asyncio.run(
            drive(
                port,
                step,
                connections=args.connections,
                duration_s=args.duration,
                max_requests=args.max_requests,
            )
        )

    def single(label: str, server: Server, request: bytes) -> Stats:
        return measure(label, server.port, one_request(label, request)).stats[label]

    def wanted(label: str) -> bool:
        return not args.only or any(text in label for text in args.only)

    base_bare = single("bare GET /hello", bare, http_request("GET", "/hello"))
    base_plain = single("plain SQLModel, 20 rows", plain, http_request("GET", "/cooks"))
    rows = [
        Row("bare GET /hello", base_bare, is_baseline=True),
        Row("plain SQLModel, 20 rows", base_plain, is_baseline=True),
    ]
    if wanted("/healthz"):
        health = single("/healthz", ours, http_request("GET", "/healthz"))
        rows.append(Row("/healthz", health, ("bare", base_bare)))
    read_rows = len(rows)
    for label, request in read_endpoints(fixture):
        if wanted(label):
            rows.append(Row(label, single(label, ours, request), ("plain", base_plain)))
    if len(rows) > read_rows:
        # The baseline once more, after the reads: its ratio to the first is how far the
        # machine drifted while they ran (every read is compared with the first).
        again = "plain SQLModel, again after the reads"
        rows.append(
            Row(again, single(again, plain, http_request("GET", "/cooks")), ("plain", base_plain))
        )
    mix = Mix(fixture)
    if not wanted("mix"):
        return rows, mix.skipped
    mixed = measure("mixed load", ours.port, mix.step)
    total = Stats()
    for label, stats in sorted(mixed.stats.items()):
        total.merge(stats)
        total.wall_s, total.generator_cpu_s = stats.wall_s, stats.generator_cpu_s
        rows.append(Row(label, stats, ("plain", base_plain) if label == "mix: reads" else None))
    rows.append(Row("mix: all requests", total, ("plain", base_plain)))
    return rows, mix.skipped


def measure_one_connection(
    bare: Server, ours: Server, fixture: Fixture, count: int
) -> list[tuple[str, Stats]]:
    """/hello and suggestions, `count` sequential requests each on one connection."""
    log(f"one connection: {count} sequential requests each ...")
    path = f"/api/staff/diners/{fixture.suggest_diner_id}/suggestions"
    hello = http_request("GET", "/hello")
    suggestions = http_request("GET", path, token=fixture.staff)
    return [
        ("bare GET /hello", asyncio.run(sequential(bare.port, hello, count))),
        (f"staff {path}", asyncio.run(sequential(ours.port, suggestions, count))),
    ]


def print_report(r: Report) -> None:
    assert r.fixture is not None
    print(f"HTTP load benchmark ({relative(r.command)})")
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average {r.load_start:.1f} at start, {r.load_end:.1f} at end"
    )
    print(f"database: {r.database}, demo data seeded in {r.seed_s:.1f} s")
    print(
        f"servers: uvicorn --workers {r.args.workers} on {HOST} each (bench/baseline_app.py:bare, "
        f"bench/baseline_app.py:plain, app.main:app)"
    )
    print(
        f"load: {r.args.connections} connections, {r.args.duration:g} s per row (at most "
        f"{r.args.max_requests:,} requests), client time-out {CLIENT_TIMEOUT_S:g} s; "
        "the generator runs in this process on the same CPUs (its share: 'gen CPU')"
    )
    by_council = Counter(pair.council for pair in r.fixture.proposals)
    print(
        f"accounts: {staff_email(COUNCIL)}, {r.fixture.cook_account}, "
        f"{carer_email(COUNCIL, 1)}; mix: {len(r.fixture.due_meals)} due meals, "
        f"{len(r.fixture.proposals)} proposable pairs "
        f"({', '.join(f'{slug} {n}' for slug, n in by_council.items())}; each proposed by its "
        f"council's staff), shares {MEAL_OUTCOME_SHARE:.0%} meal outcomes, {PROPOSAL_SHARE:.0%} "
        f"proposals (then withdrawn), {SIGN_IN_SHARE:.0%} sign-ins, the rest reads"
    )
    print()
    print(table(r.rows))
    print()
    print(f"'database is locked' in the app's log: {r.locked_logged}")
    if r.mix_skipped:
        skipped = ", ".join(f"{n} {kind}s" for kind, n in sorted(r.mix_skipped.items()))
        print(f"mix: drawn with none free, so done as reads: {skipped}")
    if r.one_connection:
        print()
        print(f"one connection, {len(r.one_connection[0][1].latencies_s)} sequential requests")
        for label, stats in r.one_connection:
            print(f"  {label}: p50 {ms(stats.percentile(50))}, p99 {ms(stats.percentile(99))}")
    for note in r.fixture.notes:
        print(f"note: {note}")
    for name, found in r.server_errors.items():
        for line, count in found.most_common(5):
            print(f"{name} server logged {count}× {line}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    command = " ".join(["bench/http_load.py", *(sys.argv[1:] if argv is None else argv)])
    load_start = os.getloadavg()[0]
    with ExitStack() as stack:
        url, description, folder = stack.enter_context(database(args.db))
        env = server_env(url, args.setting)
        log("migrating and seeding the demo data ...")
        report = Report(command, args, description, prepare_database(env), load_start)

        log("starting the three servers ...")
        bare, plain, ours = (
            stack.enter_context(
                serve(name, app_ref, probe, env=env, workers=args.workers, folder=folder)
            )
            for name, app_ref, probe in (
                ("bare", "baseline_app:bare", "/hello"),
                ("plain", "baseline_app:plain", "/cooks"),
                ("app", "app.main:app", "/healthz"),
            )
        )
        for server in (bare, plain, ours):
            wait_until_up(server)

        log("signing in and preparing meals and pairs ...")
        with httpx.Client(base_url=ours.url, timeout=30) as api:
            fixture = prepare_fixture(
                api,
                url,
                meal_pairings=MEAL_PAIRINGS,
                meals=40 if args.quick else 600,
                proposals=PROPOSALS,
            )
        report.fixture = fixture
        report.rows, report.mix_skipped = measure_rows(args, bare, plain, ours, fixture)
        if args.suggest_latency:
            count = 30 if args.quick else 200
            report.one_connection = measure_one_connection(bare, ours, fixture, count)
        report.locked_logged = locked_in_log(ours)
        report.server_errors = {s.name: server_errors(s) for s in (bare, plain, ours)}
        report.load_end = os.getloadavg()[0]
    print_report(report)


if __name__ == "__main__":
    main()
