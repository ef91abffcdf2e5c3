"""End-to-end matching benchmark through the database, the services and the HTTP API.

Run: ``.venv/bin/python bench/matching_db.py [--cooks N --diners M] [--national]
[--postgresql [URL]]`` (default: a SQLite file in a temporary folder; ``--postgresql`` alone
starts a throwaway server with tests/support/postgres.py).

One council covers every GB local authority district (max walking radius 3,000 m) so a national
population fits. Cooks and diners come from bench/matching_engine.py's generator (postcode-sector
centroids with jitter, plausible needs and skills) and are bulk-inserted with SQLAlchemy Core.
Measured in one run: the insert; suggestions through the API (TestClient, bearer token) and the
service alone; a naive baseline on a few diners (every cook of the council loaded from the
database, geopy geodesic distance, engine.check_pair per cook); the batch, by phase, through the
real ``run_batch`` (timing wrappers around the steps it calls) and a bulk-insert write for
comparison; the process peak RSS (ru_maxrss) before and after the batch.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("PORTION_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
# No outbox sender thread: the bench measures matching, and that thread would poll ./var.
os.environ.setdefault("PORTION_NOTIFICATIONS_IN_PROCESS", "false")

import matching_engine as gen  # noqa: E402
from geopy.distance import geodesic  # noqa: E402
from sqlalchemy import Engine, delete, insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.accounts.tokens import issue_token  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import get_session, make_engine  # noqa: E402
from app.diners.service import council_today  # noqa: E402
from app.main import app  # noqa: E402
from app.matching import engine, inputs, service  # noqa: E402
from app.models import AuditEntry, Cook, Council, Diner, Pairing, User  # noqa: E402
from tests.conftest import migrate  # noqa: E402
from tests.support.postgres import find_pg_bin, throwaway_postgres  # noqa: E402

LAD_FILE = ROOT / "app/geo/data/lad_postcode_mean_centroids.csv"
MAX_WALK_M = 3_000
CHUNK = 5_000
N_SUGGEST = 300
N_NAIVE = 3
SIZES = {"city": (20_000, 10_000), "national": (200_000, 100_000)}


# --- helpers ------------------------------------------------------------------------------------


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1_000:,.0f} ms" if seconds < 1 else f"{seconds:,.2f} s"


class Timer:
    """Accumulates wall time per phase name."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.total[name] += time.perf_counter() - t0

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name):
                return fn(*args, **kwargs)

        return timed


@contextmanager
def patched(obj: object, name: str, value: object) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


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
    if size == "city":
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


# --- suggestions --------------------------------------------------------------------------------


def bench_suggestions(
    db: Engine, staff_id: int, sample: list[int], out: dict[str, str]
) -> tuple[float, list[float]]:
    from fastapi.testclient import TestClient

    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as session:
            yield session

    settings = get_settings()
    app.dependency_overrides[get_session] = session_override
    token, _ = issue_token(
        user_id=staff_id, kind="access", secret=settings.secret_key, lifetime=timedelta(hours=2)
    )
    headers = {"Authorization": f"Bearer {token}"}
    api_ms: list[float] = []
    found = 0
    with TestClient(app) as client:
        for diner_id in [sample[0], *sample]:  # the first is a warm-up
            t0 = time.perf_counter()
            r = client.get(f"/api/staff/diners/{diner_id}/suggestions", headers=headers)
            api_ms.append((time.perf_counter() - t0) * 1_000)
            if r.status_code != 200:
                raise SystemExit(f"suggestions: {r.status_code} {r.text[:300]}")
            found += bool(r.json()["items"])
    api_ms = api_ms[1:]
    app.dependency_overrides.pop(get_session, None)

    svc_ms: list[float] = []
    with Session(db, expire_on_commit=False) as session:
        staff = session.get(User, staff_id)
        assert staff is not None
        for diner_id in sample:
            t0 = time.perf_counter()
            service.suggest_cooks(session, staff=staff, diner_id=diner_id, limit=10)
            svc_ms.append((time.perf_counter() - t0) * 1_000)
            session.expunge_all()  # no identity-map reuse between "requests"
    n = len(sample)
    out[f"suggest via API median / p99 (n={n})"] = (
        f"{statistics.median(api_ms):.1f} / {pct(api_ms, 0.99):.1f} ms"
    )
    out["suggest service only median / p99"] = (
        f"{statistics.median(svc_ms):.1f} / {pct(svc_ms, 0.99):.1f} ms"
    )
    out["diners with a suggestion"] = f"{found / n:.0%}"
    return statistics.median(api_ms), svc_ms


def naive_suggest(session: Session, council: Council, diner: Diner) -> list[int]:
    """Every cook of the council from the database, geodesic distance, check_pair each."""
    today = council_today(council)
    cooks = session.scalars(select(Cook).where(Cook.council_id == council.id)).all()
    target = inputs.diner_input(diner, excluded=set(), met=set())
    ok = []
    for cook in cooks:
        if cook.status != "approved":
            continue
        cand = inputs.cook_input(cook, council=council, today=today, load=0)
        reach = min(cand.radius_m, council.max_walk_radius_m)
        if geodesic((cook.latitude, cook.longitude), (diner.latitude, diner.longitude)).m > reach:
            continue
        if not engine.check_pair(cand, target, max_radius_m=council.max_walk_radius_m):
            ok.append(cand.id)
    return ok


def bench_naive(
    db: Engine, staff_id: int, sample: list[int], api_median_ms: float, out: dict[str, str]
) -> None:
    times, agree = [], 0
    with Session(db, expire_on_commit=False) as session:
        staff = session.get(User, staff_id)
        council = session.get(Council, 1)
        assert staff is not None and council is not None
        for diner_id in sample:
            diner = session.get(Diner, diner_id)
            assert diner is not None
            t0 = time.perf_counter()
            ids = naive_suggest(session, council, diner)
            times.append(time.perf_counter() - t0)
            session.expunge_all()
            council = session.get(Council, 1)
            staff = session.get(User, staff_id)
            assert council is not None and staff is not None
            res = service.suggest_cooks(session, staff=staff, diner_id=diner_id, limit=500)
            agree += {s.cook_id for s in res.items} == set(ids)
    naive_ms = statistics.mean(times) * 1_000
    out[f"naive per diner (n={len(sample)}, all cooks + geodesic)"] = f"{naive_ms:,.0f} ms"
    out["speed-up of API median over naive"] = f"{naive_ms / api_median_ms:,.0f}x"
    out["naive and service agree on candidates"] = f"{agree} of {len(sample)}"


# --- the batch ----------------------------------------------------------------------------------


def bench_batch(db: Engine, staff_id: int, out: dict[str, str]) -> None:
    gc.collect()
    rss_before = maxrss_mib()
    timer = Timer()
    # Wrap the steps run_batch calls, in this process only, to time the real service by phase.
    with (
        patched(
            service, "cook_inputs", timer.wrap("load cooks (cook_inputs)", service.cook_inputs)
        ),
        patched(service, "history", timer.wrap("load history", service.history)),
        patched(engine, "CookIndex", timer.wrap("engine: index build", engine.CookIndex)),
        patched(
            engine,
            "batch_candidates",
            timer.wrap("engine: candidates", engine.batch_candidates),
        ),
        patched(
            engine, "solve_batch", timer.wrap("engine: solve (min-cost flow)", engine.solve_batch)
        ),
        patched(
            service,
            "_create_proposals",
            timer.wrap("write proposals (Core, three INSERTs)", service._create_proposals),
        ),
        Session(db, expire_on_commit=False) as session,
    ):
        staff = session.get(User, staff_id)
        assert staff is not None
        t0 = time.perf_counter()
        proposed, unmatched = service.run_batch(session, staff=staff)
        run_s = time.perf_counter() - t0
        with timer.phase("commit"):
            session.commit()
        total_s = time.perf_counter() - t0
        assignments = [
            (p.cook_id, p.diner_id, p.weekday, p.start, p.frequency, p.distance_m) for p in proposed
        ]
    rss_after = maxrss_mib()
    t = timer.total
    engine_s = (
        t["engine: index build"] + t["engine: candidates"] + t["engine: solve (min-cost flow)"]
    )
    named = sum(t.values()) - t["commit"]
    out["batch run_batch + commit (end to end)"] = fmt_s(total_s)
    out["  load cooks (cook_inputs)"] = fmt_s(t["load cooks (cook_inputs)"])
    out["  lock + load diners + history"] = fmt_s(run_s - named + t["load history"])
    out["  engine: index build"] = fmt_s(t["engine: index build"])
    out["  engine: candidates"] = fmt_s(t["engine: candidates"])
    out["  engine: solve (min-cost flow)"] = fmt_s(t["engine: solve (min-cost flow)"])
    write = "write proposals (Core, three INSERTs)"
    out[f"  {write}"] = fmt_s(t[write])
    out["  commit"] = fmt_s(t["commit"])
    out["engine share of the batch"] = f"{engine_s / total_s:.0%}"
    reasons = Counter(r for _, r in unmatched)
    out["proposed / unmatched"] = f"{len(proposed):,} / {len(unmatched):,}"
    out["unmatched: top reason"] = (
        f"{reasons.most_common(1)[0][0]} ({reasons.most_common(1)[0][1]:,})" if reasons else "-"
    )
    out["process peak RSS before / after batch"] = f"{rss_before:,.0f} / {rss_after:,.0f} MiB"

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
    out["  (same proposals + audit, Core bulk insert + commit)"] = fmt_s(time.perf_counter() - t0)


# --- the run ------------------------------------------------------------------------------------


@contextmanager
def database(pg: str | None) -> Iterator[str]:
    if pg is None:
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
            print(f"[{size}]   {key.strip()}: {value}", flush=True)
            shown.add(key)


def run(
    size: str, n_cooks: int, n_diners: int, pg: str | None, seed: int, n_suggest: int
) -> dict[str, str]:
    out: dict[str, str] = {}
    shown: set[str] = set()
    with database(pg) as url:
        db = make_engine(url)
        out["database"] = db.dialect.name
        out["cooks / diners"] = f"{n_cooks:,} / {n_diners:,}"
        t0 = time.perf_counter()
        migrate(db)
        out["migrate"] = fmt_s(time.perf_counter() - t0)
        print(
            f"[{size}] generating and inserting {n_cooks:,} cooks, {n_diners:,} diners", flush=True
        )
        made = populate(db, size, n_cooks, n_diners, seed)
        out["(data generation, not timed below)"] = fmt_s(made["gen_s"])
        out["bulk insert (users, cooks, diners)"] = (
            f"{fmt_s(made['insert_s'])} ({made['rows'] / made['insert_s']:,.0f} rows/s)"
        )
        show(size, out, shown)
        pick = random.Random(seed)
        sample = pick.sample(made["diner_ids"], min(n_suggest, len(made["diner_ids"])))
        print(f"[{size}] suggestions ({len(sample)} diners, API then service)", flush=True)
        api_median, _ = bench_suggestions(db, made["staff_id"], sample, out)
        show(size, out, shown)
        print(f"[{size}] naive baseline ({N_NAIVE} diners)", flush=True)
        bench_naive(db, made["staff_id"], sample[:N_NAIVE], api_median, out)
        show(size, out, shown)
        print(f"[{size}] batch", flush=True)
        bench_batch(db, made["staff_id"], out)
        show(size, out, shown)
        db.dispose()
    return out


def print_table(columns: dict[str, dict[str, str]]) -> None:
    keys: list[str] = []
    for col in columns.values():
        keys += [k for k in col if k not in keys]
    width = max(len(k) for k in keys) + 2
    colw = max(26, *(len(v) + 2 for c in columns.values() for v in c.values()))
    print()
    print(
        f"Matching through the database; one council, max walk {MAX_WALK_M} m; "
        f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; {date.today()}"
    )
    print("metric".ljust(width) + "".join(name.rjust(colw) for name in columns))
    print("-" * (width + colw * len(columns)))
    for key in keys:
        print(key.ljust(width) + "".join(c.get(key, "").rjust(colw) for c in columns.values()))
    print(
        "\nTimes are wall clock. 'process peak RSS' is ru_maxrss of the whole process (a high-water"
        "\nmark: it includes the data generation and earlier phases, so 'after' bounds the batch)."
        "\nThe batch phases wrap the functions run_batch calls; 'lock + load diners + history' is"
        "\nthe rest of run_batch (the FOR UPDATE query, the diner query, history, diner_input)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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
    parser.add_argument("--suggest", type=int, default=N_SUGGEST, help="diners to time")
    parser.add_argument("--seed", type=int, default=20_241_126)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # request and migration logs would drown the table
    sizes = [] if args.national_only else ["city"]
    if args.national or args.national_only:
        sizes.append("national")
    columns: dict[str, dict[str, str]] = {}
    for size in sizes:
        n_cooks = args.cooks or SIZES[size][0]
        n_diners = args.diners or SIZES[size][1]
        columns[size] = run(size, n_cooks, n_diners, args.postgresql, args.seed, args.suggest)
        gc.collect()
    print_table(columns)


if __name__ == "__main__":
    main()
