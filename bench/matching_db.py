"""End-to-end matching benchmark through the database, the services and a real HTTP server.

Run: ``.venv/bin/python bench/matching_db.py [--quick] [--national | --national-only]
[--cooks N --diners M] [--postgresql [URL]] [--keep DIR --no-batch]`` (default: a SQLite file
in a temporary folder; ``--postgresql`` alone starts a throwaway server with
tests/support/postgres.py; ``--keep DIR`` builds each size's SQLite file in DIR once and reuses
it on later runs, for suggestions only: the batch would write pairings into it).

One council covers every GB local authority district (max walking radius 3,000 m) so a national
population fits. Cooks and diners come from bench/matching_engine.py's generator (postcode-sector
centroids with jitter, plausible needs and skills) and are bulk-inserted with SQLAlchemy Core.
Measured in one run: the insert; suggestions at one connection through a real uvicorn server on
127.0.0.1 (a subprocess serving app.main:app on the same database, a bearer token of a recorded
sign-in), beside ``/healthz`` on the same server and the service called in this process; a naive
baseline on a few diners (every cook of the council loaded from the database, the haversine
distance and engine.check_pair per cook) and whether its candidate sets equal the service's;
the batch (the service path of ``POST /api/staff/matching/run``: ``run_batch``, commit and the
response built) by phase, as ``run_batch`` reports them, its resident memory above the level
before it, and a plain Core insert of the same proposals for comparison.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import logging
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("PORTION_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
# No outbox sender thread: the bench measures matching, and that thread would poll ./var.
os.environ.setdefault("PORTION_NOTIFICATIONS_IN_PROCESS", "false")

import matching_engine as gen  # noqa: E402
from sqlalchemy import Engine, delete, insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.accounts.service import start_session  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.councils.rules import council_today  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.matching import engine, inputs, service  # noqa: E402
from app.matching.spatial import distance_m  # noqa: E402
from app.models import AuditEntry, Cook, Council, Diner, Pairing, User  # noqa: E402
from tests.conftest import migrate  # noqa: E402
from tests.support.postgres import find_pg_bin, throwaway_postgres  # noqa: E402

LAD_FILE = ROOT / "app/geo/data/lad_postcode_mean_centroids.csv"
HOST = "127.0.0.1"
MAX_WALK_M = 3_000
CHUNK = 5_000
N_SUGGEST = 300
N_WARM_UP = 5
N_NAIVE = 3
SIZES = {"quick": (2_000, 1_000), "city": (20_000, 10_000), "national": (200_000, 100_000)}
QUICK_SUGGEST = 50
START_TIMEOUT_S = 60.0


# --- helpers ------------------------------------------------------------------------------------


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@contextmanager
def rss_peak(result: dict[str, float]) -> Iterator[None]:
    """Samples this process's resident memory every 5 ms; result['peak'] is the highest seen."""
    result["peak"] = rss_mib()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            result["peak"] = max(result["peak"], rss_mib())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        result["peak"] = max(result["peak"], rss_mib())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1_000:,.0f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def relative(text: str, *folders: Path) -> str:
    """`text` with the project's path taken out and temporary folders shown as <tmp>."""
    text = text.replace(f"{ROOT}/", "").replace(str(ROOT), ".")
    for folder in folders:
        text = text.replace(str(folder), "<tmp>")
    return text


# --- the database -------------------------------------------------------------------------------


def lad_codes() -> list[str]:
    lines = LAD_FILE.read_text().splitlines()[1:]
    return [line.split(",", 1)[0] for line in lines if line]


def chunked_insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for first in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[first : first + CHUNK])


def populate(db: Engine, size: str, n_cooks: int, n_diners: int, seed: int) -> dict[str, Any]:
    """Council, staff user, N cooks and M diners (with carers); returns ids and timings."""
    _, lat, lon, weight = gen.load_sectors()
    rng = np.random.default_rng(seed)
    if size in ("city", "quick"):
        near = gen.haversine_km(lat, lon, *gen.CHARING_CROSS) <= gen.CITY_RADIUS_KM
        lat, lon, weight = lat[near], lon[near], weight[near]
    pop = gen.Population(rng, lat, lon, weight)
    t0 = time.perf_counter()
    cooks = pop.cooks(n_cooks, first_id=1)
    diners = pop.diners(n_diners, first_id=1)
    gen_s = time.perf_counter() - t0

    now = datetime.now(UTC)
    today = now.date()
    staff_id, cook_user0, carer_user0 = 1, 2, 2 + n_cooks
    users = [
        {
            "id": staff_id,
            "email": "staff@bench.example",
            "email_key": "staff@bench.example",
            "full_name": "Bench Staff",
            "password_hash": "!",
            "role": "staff",
            "council_id": 1,
            "is_active": True,
            "created_at": now,
        }
    ]
    for role, first, count in (("cook", cook_user0, n_cooks), ("carer", carer_user0, n_diners)):
        users += [
            {
                "id": first + i,
                "email": f"{role}{i}@bench.example",
                "email_key": f"{role}{i}@bench.example",
                "full_name": f"Bench {role.title()} {i}",
                "password_hash": "!",
                "role": role,
                "council_id": 1 if role == "carer" else None,
                "is_active": True,
                "created_at": now,
            }
            for i in range(count)
        ]
    cook_rows = [
        {
            "id": c.id,
            "user_id": cook_user0 + i,
            "council_id": 1,
            "display_name": f"Cook {c.id}",
            "phone": "+442079460018",
            "address_line": f"{c.id} Example Road",
            "postcode": "N3 1HT",
            "latitude": c.lat,
            "longitude": c.lon,
            "geo_precision": "sector",
            "walk_radius_m": c.radius_m,
            "max_diners": max(1, c.spare + c.load),
            "frequencies": sorted(c.frequencies),
            "diets": sorted(c.diets),
            "allergen_free": sorted(c.allergen_free),
            "textures": sorted(c.textures),
            "availability": [
                {"weekday": w.weekday, "start": hhmm(w.start), "end": hhmm(w.end)}
                for w in c.windows
            ],
            "status": "approved",
            # 10 % of cooks (the generator's "not matchable") have a DBS check out of date.
            "dbs_checked_on": today - timedelta(days=200 if c.matchable else 4 * 365),
            "dbs_level": "enhanced",
            "id_checked": True,
            "hygiene_ack": True,
            "approved_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for i, c in enumerate(cooks)
    ]
    diner_rows = [
        {
            "id": d.id,
            "council_id": 1,
            "carer_id": carer_user0 + i,
            "referred_by_id": None,
            "full_name": f"Diner {d.id}",
            "address_line": f"{d.id} Example Street",
            "postcode": "N3 1HT",
            "latitude": d.lat,
            "longitude": d.lon,
            "geo_precision": "sector",
            "diets": sorted(d.diets),
            "allergies": sorted(d.allergies),
            "texture": d.texture,
            "availability": [
                {"weekday": w.weekday, "start": hhmm(w.start), "end": hhmm(w.end)}
                for w in d.windows
            ],
            "frequency": d.frequency,
            "consent_at": now,
            "consent_by_id": carer_user0 + i,
            "status": "waiting",
            "created_at": now,
        }
        for i, d in enumerate(diners)
    ]
    del cooks, diners
    council = {
        "id": 1,
        "slug": "great-britain",
        "name": "Great Britain (bench)",
        "lad_codes": lad_codes(),
        "timezone": "Europe/London",
        "max_walk_radius_m": MAX_WALK_M,
        "min_dbs_level": "enhanced",
        "dbs_recheck_days": 3 * 365,
        "created_at": now,
    }
    t0 = time.perf_counter()
    with db.begin() as conn:
        conn.execute(insert(Council), [council])
        chunked_insert(conn, User, users)
        chunked_insert(conn, Cook, cook_rows)
        chunked_insert(conn, Diner, diner_rows)
        if db.dialect.name == "postgresql":
            for table in ("council", "user", "cook", "diner"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f'(SELECT max(id) FROM "{table}"))'
                    )
                )
    insert_s = time.perf_counter() - t0
    return {
        "staff_id": staff_id,
        "diner_ids": [d["id"] for d in diner_rows],
        "gen_s": gen_s,
        "insert_s": insert_s,
        "rows": len(users) + len(cook_rows) + len(diner_rows) + 1,
    }


# --- the HTTP server ----------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (from /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def uvicorn_server(database_url: str, folder: Path) -> Iterator[tuple[int, int]]:
    """`uvicorn app.main:app` (one worker, no access log, as `portion serve`) on 127.0.0.1."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTION_")}
    env |= {
        "PORTION_ENV": "development",
        "PORTION_DATABASE_URL": database_url,
        "PORTION_SECRET_KEY": get_settings().secret_key,
        "PORTION_NOTIFICATIONS_IN_PROCESS": "false",
        "PORTION_GEOCODER": "offline",
        "PORTION_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", HOST]
    command += ["--port", str(port), "--workers", "1", "--no-access-log"]
    log_path = folder / "uvicorn.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                tail = relative(log_path.read_text(errors="replace")[-2000:], folder)
                raise SystemExit(f"uvicorn exited at start-up:\n{tail}")
            try:
                status, _ = get(http.client.HTTPConnection(HOST, port, timeout=2), "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"uvicorn did not answer /healthz in {START_TIMEOUT_S:.0f} s")
            time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get(
    conn: http.client.HTTPConnection, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def sequential(
    port: int, paths: list[str], headers: dict[str, str]
) -> tuple[list[float], list[bytes]]:
    """Each path once, one after another on one keep-alive connection; times in ms."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    times, bodies = [], []
    for path in paths:
        t0 = time.perf_counter()
        status, body = get(conn, path, headers)
        times.append((time.perf_counter() - t0) * 1_000)
        if status != 200:
            raise SystemExit(f"GET {path}: {status} {body[:300]!r}")
        bodies.append(body)
    conn.close()
    return times, bodies


# --- suggestions --------------------------------------------------------------------------------


def staff_token(db: Engine, staff_id: int) -> str:
    """A bearer token of a recorded sign-in (an AuthSession row), as POST /api/auth/token gives."""
    with Session(db) as session:
        staff = session.get(User, staff_id)
        assert staff is not None
        token, _ = start_session(session, user=staff, kind="access", settings=get_settings())
        session.commit()
    return token


def machine_floor(db: Engine, out: dict[str, str], n: int = 2_000) -> None:
    """What this machine charges now, in CPU, for two things every request does: handing work
    to a worker thread (anyio, as FastAPI does) and one `SELECT 1` through the database driver
    (no SQLAlchemy). A figure below is read against them: on this 2-core virtual machine the
    same code measured twice as slow on one day as on another."""

    async def hops() -> None:
        for _ in range(n + 1):  # the first starts the thread
            await anyio.to_thread.run_sync(int)

    c0 = time.process_time()
    anyio.run(hops)
    hop_us = (time.process_time() - c0) / n * 1e6
    with db.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        cursor.execute("SELECT 1")
        c0 = time.process_time()
        for _ in range(n):
            cursor.execute("SELECT 1")
            cursor.fetchall()
        trip_us = (time.process_time() - c0) / n * 1e6
        cursor.close()
    out["this machine, CPU: a worker-thread hop / a SELECT 1 through the driver"] = (
        f"{hop_us:,.0f} / {trip_us:,.0f} us"
    )


def bench_suggestions(
    db: Engine, url: str, staff_id: int, sample: list[int], out: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {staff_token(db, staff_id)}"}
    paths = [f"/api/staff/diners/{d}/suggestions" for d in sample]
    with (
        tempfile.TemporaryDirectory(prefix="portion-bench-uvicorn-") as folder,
        uvicorn_server(url, Path(folder)) as (port, pid),
    ):
        # Warm-up: the first request builds the council's cook index in the server.
        t0 = time.perf_counter()
        sequential(port, paths[:1], headers)
        first_ms = (time.perf_counter() - t0) * 1_000
        sequential(port, paths[1 : 1 + N_WARM_UP], headers)
        cpu0 = cpu_s(pid)
        health_ms, _ = sequential(port, ["/healthz"] * len(sample), {})
        cpu1 = cpu_s(pid)
        api_ms, bodies = sequential(port, paths, headers)
        cpu2 = cpu_s(pid)
    some = [bool(json.loads(body)["items"]) for body in bodies]
    found = sum(some)
    n = len(sample)
    out["first suggestion (builds the cook index)"] = f"{first_ms:,.0f} ms"
    out[f"HTTP /healthz p50 / p99 (n={n}, 1 connection)"] = (
        f"{statistics.median(health_ms):.1f} / {pct(health_ms, 0.99):.1f} ms"
    )
    out[f"HTTP suggestions p50 / p99 (n={n}, 1 connection)"] = (
        f"{statistics.median(api_ms):.1f} / {pct(api_ms, 0.99):.1f} ms"
    )
    # Apart: a diner with no suggestion is told why, by a path of its own (service._why_none).
    with_some = [ms for ms, has in zip(api_ms, some, strict=True) if has]
    with_none = [ms for ms, has in zip(api_ms, some, strict=True) if not has]
    out["  of them, p50: diners with a suggestion / with none"] = (
        " / ".join(
            f"{statistics.median(part):.1f}" if part else "-" for part in (with_some, with_none)
        )
        + " ms"
    )
    out["server CPU per request: /healthz / suggestions"] = (
        f"{(cpu1 - cpu0) / n * 1_000:.1f} / {(cpu2 - cpu1) / n * 1_000:.1f} ms"
    )

    svc_ms: list[float] = []
    svc_cpu: list[float] = []
    with Session(db, expire_on_commit=False) as session:
        staff = session.get(User, staff_id)
        assert staff is not None
        service.suggest_cooks(session, staff=staff, diner_id=sample[0], limit=10)  # warm-up
        session.rollback()
        for diner_id in sample:
            t0, c0 = time.perf_counter(), time.process_time()
            service.suggest_cooks(session, staff=staff, diner_id=diner_id, limit=10)
            svc_ms.append((time.perf_counter() - t0) * 1_000)
            svc_cpu.append((time.process_time() - c0) * 1_000)
            session.rollback()  # one transaction per "request", as the server has
            session.expunge_all()  # no identity-map reuse between "requests"
            staff = session.get(User, staff_id)
            assert staff is not None
    out["service alone (this process) p50 / p99"] = (
        f"{statistics.median(svc_ms):.1f} / {pct(svc_ms, 0.99):.1f} ms"
    )
    out["service alone, CPU time p50"] = f"{statistics.median(svc_cpu):.1f} ms"
    out["diners with a suggestion"] = f"{found / n:.0%}"


def naive_suggest(session: Session, council: Council, diner: Diner) -> list[int]:
    """Every cook of the council from the database, check_pair on each (haversine distance).

    The matching rules are defined on the haversine distance (app/matching/spatial.py), so the
    baseline measures with the same function: a geodesic pre-filter would drop the cooks whose
    geodesic distance passes the radius while their haversine distance does not, or the reverse.
    """
    today = council_today(council)
    cooks = session.scalars(select(Cook).where(Cook.council_id == council.id)).all()
    target = inputs.diner_input(diner, excluded=set(), met=set())
    ok = []
    for cook in cooks:
        if cook.status != "approved" or cook.location_review:
            continue
        if distance_m(cook.latitude, cook.longitude, diner.latitude, diner.longitude) > min(
            cook.walk_radius_m, council.max_walk_radius_m
        ):
            continue
        cand = inputs.cook_input(cook, council=council, today=today, load=0)
        if not engine.check_pair(cand, target, max_radius_m=council.max_walk_radius_m):
            ok.append(cook.id)
    return ok


def bench_naive(db: Engine, staff_id: int, sample: list[int], out: dict[str, str]) -> None:
    times, agree, sizes = [], 0, []
    with Session(db, expire_on_commit=False) as session:
        for diner_id in sample:
            council = session.get(Council, 1)
            diner = session.get(Diner, diner_id)
            assert council is not None and diner is not None
            t0 = time.perf_counter()
            ids = naive_suggest(session, council, diner)
            times.append(time.perf_counter() - t0)
            session.expunge_all()
            staff = session.get(User, staff_id)
            assert staff is not None
            res = service.suggest_cooks(
                session, staff=staff, diner_id=diner_id, limit=service.MAX_CANDIDATES
            )
            session.rollback()
            agree += {s.cook_id for s in res.items} == set(ids)
            sizes.append(len(ids))
    naive_ms = statistics.mean(times) * 1_000
    out[f"naive per diner (n={len(sample)}, all cooks, haversine)"] = f"{naive_ms:,.0f} ms"
    out["naive and service: same candidate sets"] = (
        f"{agree} of {len(sample)} ({', '.join(map(str, sizes))} cooks)"
    )


# --- the batch ----------------------------------------------------------------------------------


def bench_batch(db: Engine, staff_id: int, out: dict[str, str]) -> None:
    gc.collect()
    memory: dict[str, float] = {}
    phases: dict[str, float] = {}
    with Session(db, expire_on_commit=False) as session:
        staff = session.get(User, staff_id)
        assert staff is not None
        before = rss_mib()
        with rss_peak(memory):
            t0, c0 = time.perf_counter(), time.process_time()
            # The answer as app/matching/router.py sends it (JSON, made in "write proposals").
            answer = service.run_matching(session, staff=staff, phases=phases)
            committing = time.perf_counter()
            session.commit()  # as the request's unit of work does when run_matching returns
            phases["commit"] = time.perf_counter() - committing
            total_s, total_cpu = time.perf_counter() - t0, time.process_time() - c0
        json_mib = len(answer) / 2**20
        peak_mib = maxrss_mib()  # before reading the answer back, which the route never does
        body = json.loads(answer)
        del answer
        assignments = [
            (p["cook_id"], p["diner_id"], p["weekday"], p["start"], p["frequency"],
             p["diner"]["distance_m"])
            for p in body["proposed"]
        ]  # fmt: skip
        unmatched = [u["reason"] for u in body["unmatched"]]
        del body
    engine_s = sum(v for k, v in phases.items() if k.startswith("engine"))
    out["batch end to end (run_matching: run_batch, commit, response)"] = fmt_s(total_s)
    out["  CPU time of this process"] = fmt_s(total_cpu)
    # A phase "of it" is part of "write proposals" (the batch's answer, made while its
    # invitations are written): shown under it, and counted there.
    parts = {k: v for k, v in phases.items() if k == service.ANSWER_PHASE}
    for name, seconds in phases.items():
        if name not in parts:
            out[f"  {name}"] = fmt_s(seconds)
        if name == "write proposals":
            out |= {f"    {k}": fmt_s(v) for k, v in parts.items()}
    in_phases = sum(v for k, v in phases.items() if k not in parts)
    out["  (not in a phase)"] = fmt_s(total_s - in_phases)
    out["answer as JSON, as the route sends it"] = f"{json_mib:,.1f} MiB"
    out["engine share of the batch"] = f"{engine_s / total_s:.0%}"
    reasons = Counter(unmatched)
    out["proposed / unmatched"] = f"{len(assignments):,} / {len(unmatched):,}"
    out["unmatched: top reason"] = (
        f"{reasons.most_common(1)[0][0]} ({reasons.most_common(1)[0][1]:,})" if reasons else "-"
    )
    out["batch RSS: before / peak / growth (sampled 5 ms)"] = (
        f"{before:,.0f} / {memory['peak']:,.0f} / {memory['peak'] - before:,.0f} MiB"
    )
    out["process peak RSS (ru_maxrss) after the batch"] = f"{peak_mib:,.0f} MiB"

    # The same proposals written with one Core executemany: what the write phase could cost.
    with db.begin() as conn:
        conn.execute(delete(Pairing))  # the audit log is append-only: its rows stay
    now = datetime.now(UTC)
    rows = [
        {
            "council_id": 1,
            "cook_id": c,
            "diner_id": d,
            "status": "proposed",
            "weekday": w,
            "start": s,
            "frequency": f,
            "distance_m": dist,
            "proposed_by_id": staff_id,
            "proposed_at": now,
        }
        for c, d, w, s, f, dist in assignments
    ]
    audits = [
        {
            "at": now,
            "actor_id": staff_id,
            "council_id": 1,
            "action": "pairing.proposed",
            "subject_type": "pairing",
            "subject_id": None,
            "data": {"cook_id": r["cook_id"], "diner_id": r["diner_id"]},
        }
        for r in rows
    ]
    t0 = time.perf_counter()
    with db.begin() as conn:
        chunked_insert(conn, Pairing, rows)
        chunked_insert(conn, AuditEntry, audits)
    out["  (same proposals + audit, plain Core insert + commit)"] = fmt_s(time.perf_counter() - t0)


# --- the run ------------------------------------------------------------------------------------


@contextmanager
def database(pg: str | None, keep: Path | None = None) -> Iterator[str]:
    if keep is not None:
        keep.parent.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{keep}"
    elif pg is None:
        with tempfile.TemporaryDirectory(prefix="portion-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
    elif pg == "throwaway":
        pg_bin = find_pg_bin()
        if pg_bin is None:
            raise SystemExit("no PostgreSQL binaries found (initdb)")
        with throwaway_postgres(pg_bin) as url:
            yield url
    else:
        with nullcontext():
            yield pg


def show(size: str, out: dict[str, str], shown: set[str]) -> None:
    """Print the figures measured since the last call (a cut-short run still reports)."""
    for key, value in out.items():
        if key not in shown:
            print(f"[{size}]   {key.strip()}: {value}", file=sys.stderr, flush=True)
            shown.add(key)


def kept_data(db: Engine) -> dict[str, Any] | None:
    """The ids of a database an earlier ``--keep`` run built (None: not built yet)."""
    with db.connect() as conn:
        if not db.dialect.has_table(conn, "diner"):
            return None
        ids = list(conn.execute(select(Diner.id).order_by(Diner.id)).scalars())
        if conn.execute(select(Pairing.id).limit(1)).first() is not None:
            raise SystemExit("the kept database has pairings (a batch ran on it): delete it")
    return {"staff_id": 1, "diner_ids": ids} if ids else None


def run(
    size: str,
    n_cooks: int,
    n_diners: int,
    pg: str | None,
    seed: int,
    n_suggest: int,
    keep: Path | None = None,
    batch: bool = True,
    naive: bool = True,
) -> dict[str, str]:
    out: dict[str, str] = {}
    shown: set[str] = set()
    with database(pg, keep) as url:
        db = make_engine(url)
        out["database"] = db.dialect.name
        out["cooks / diners"] = f"{n_cooks:,} / {n_diners:,}"
        out["load average at start"] = load()
        made = kept_data(db) if keep is not None else None
        if made is not None:
            print(f"[{size}] reusing {keep}", file=sys.stderr, flush=True)
        else:
            t0 = time.perf_counter()
            migrate(db)
            out["migrate"] = fmt_s(time.perf_counter() - t0)
            print(
                f"[{size}] generating and inserting {n_cooks:,} cooks, {n_diners:,} diners",
                file=sys.stderr,
                flush=True,
            )
            made = populate(db, size, n_cooks, n_diners, seed)
            out["(data generation, not timed below)"] = fmt_s(made["gen_s"])
            out["bulk insert (users, cooks, diners)"] = (
                f"{fmt_s(made['insert_s'])} ({made['rows'] / made['insert_s']:,.0f} rows/s)"
            )
            show(size, out, shown)
        pick = random.Random(seed)
        sample = pick.sample(made["diner_ids"], min(n_suggest, len(made["diner_ids"])))
        machine_floor(db, out)
        print(f"[{size}] suggestions ({len(sample)} diners, HTTP then service)", file=sys.stderr)
        bench_suggestions(db, url, made["staff_id"], sample, out)
        show(size, out, shown)
        if naive:
            print(f"[{size}] naive baseline ({N_NAIVE} diners)", file=sys.stderr, flush=True)
            bench_naive(db, made["staff_id"], sample[:N_NAIVE], out)
            show(size, out, shown)
        if batch:
            print(f"[{size}] batch", file=sys.stderr, flush=True)
            bench_batch(db, made["staff_id"], out)
        out["load average at end"] = load()
        show(size, out, shown)
        db.dispose()
    return out


def print_table(columns: dict[str, dict[str, str]], command: str) -> None:
    keys: list[str] = []
    for col in columns.values():
        keys += [k for k in col if k not in keys]
    width = max(len(k) for k in keys) + 2
    colw = max(26, *(len(v) + 2 for c in columns.values() for v in c.values()))
    print(f"Matching through the database ({relative(command)})")
    print(
        f"one council, max walk {MAX_WALK_M} m; {os.cpu_count()} CPUs; "
        f"Python {sys.version.split()[0]}; {date.today()}"
    )
    print()
    print("metric".ljust(width) + "".join(name.rjust(colw) for name in columns))
    print("-" * (width + colw * len(columns)))
    for key in keys:
        print(key.ljust(width) + "".join(c.get(key, "").rjust(colw) for c in columns.values()))
    print(
        "\nTimes are wall clock unless named CPU. HTTP rows: uvicorn app.main:app (1 worker, no"
        "\naccess log) on 127.0.0.1 in a subprocess, one keep-alive connection, requests one after"
        "\nanother after a warm-up; 'server CPU' is the server process's CPU time over those"
        "\nrequests, per request (a figure a busy machine inflates less than wall time). The batch"
        "\nphases are those run_batch reports; 'batch RSS' is this process's resident memory"
        "\nsampled every 5 ms during the batch, above its level just before it."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 x 1,000, London")
    parser.add_argument("--cooks", type=int, help="number of cooks (default: per size)")
    parser.add_argument("--diners", type=int, help="number of diners (default: per size)")
    parser.add_argument(
        "--national", action="store_true", help="200,000 x 100,000 across GB (after city)"
    )
    parser.add_argument(
        "--national-only", action="store_true", help="only the national size, not the city"
    )
    parser.add_argument(
        "--postgresql",
        nargs="?",
        const="throwaway",
        default=None,
        metavar="URL",
        help="a PostgreSQL URL; alone, start a throwaway server (tests/support/postgres.py)",
    )
    parser.add_argument("--suggest", type=int, help="diners to time (default 300; quick 50)")
    parser.add_argument("--seed", type=int, default=20_241_126)
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="SQLite files kept in DIR (<size>.db): built on the first run, reused after",
    )
    parser.add_argument(
        "--no-batch", action="store_true", help="suggestions and the naive baseline only"
    )
    parser.add_argument("--no-naive", action="store_true", help="without the naive baseline")
    args = parser.parse_args()
    if args.keep is not None and args.postgresql is not None:
        parser.error("--keep is for SQLite files")
    if args.keep is not None and not args.no_batch:
        parser.error("--keep needs --no-batch (the batch writes pairings into the database)")
    command = " ".join(["bench/matching_db.py", *sys.argv[1:]])
    logging.disable(logging.INFO)  # request and migration logs would drown the table
    if args.quick:
        sizes = ["quick"]
    else:
        sizes = [] if args.national_only else ["city"]
        if args.national or args.national_only:
            sizes.append("national")
    n_suggest = args.suggest or (QUICK_SUGGEST if args.quick else N_SUGGEST)
    columns: dict[str, dict[str, str]] = {}
    for size in sizes:
        n_cooks = args.cooks or SIZES[size][0]
        n_diners = args.diners or SIZES[size][1]
        keep = args.keep / f"{size}-{n_cooks}x{n_diners}-{args.seed}.db" if args.keep else None
        columns[size] = run(
            size,
            n_cooks,
            n_diners,
            args.postgresql,
            args.seed,
            n_suggest,
            keep,
            not args.no_batch,
            not args.no_naive,
        )
        gc.collect()
    print_table(columns, command)


if __name__ == "__main__":
    main()
