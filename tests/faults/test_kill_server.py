"""kill -9 of the app process in the middle of writes: every acknowledged write survives, no
write is half there, and the database passes its integrity check."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from app.models import AuditEntry, Meal, Notification, Pairing
from tests.faults.support import AppServer, app_env, bearer, populate

KILL_AFTER_OUTCOMES = 25
KILL_AFTER_PROPOSALS = 4
WAIT_S = 60.0  # only so that a stuck loop fails instead of hanging


@dataclass
class Ledger:
    """What the clients asked for and what the server acknowledged with a 2xx."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes_sent: dict[int, str] = field(default_factory=dict)  # meal id -> outcome
    outcomes_acked: dict[int, str] = field(default_factory=dict)
    proposals_sent: int = 0
    proposals_acked: set[int] = field(default_factory=set)  # pairing ids
    withdrawals_acked: set[int] = field(default_factory=set)
    other_answers: list[str] = field(default_factory=list)  # anything but 2xx or a dead server


def record_outcomes(url: str, meals: list[tuple[int, str]], ledger: Ledger) -> None:
    with httpx.Client(base_url=url, timeout=30) as api:
        for n, (meal_id, token) in enumerate(meals):
            outcome = "missed" if n % 3 == 0 else "delivered"
            with ledger.lock:
                ledger.outcomes_sent[meal_id] = outcome
            try:
                answer = api.post(f"/api/meals/{meal_id}/{outcome}", headers=bearer(token))
            except httpx.TransportError:
                return  # the server died with this request in flight
            with ledger.lock:
                if answer.is_success:
                    ledger.outcomes_acked[meal_id] = outcome
                else:
                    ledger.other_answers.append(f"{answer.status_code} {answer.text[:200]}")


def propose_and_withdraw(
    url: str, staff: str, bodies: list[dict[str, object]], ledger: Ledger, stop: threading.Event
) -> None:
    with httpx.Client(base_url=url, timeout=30, headers=bearer(staff)) as api:
        while not stop.is_set():
            for body in bodies:
                with ledger.lock:
                    ledger.proposals_sent += 1
                try:
                    made = api.post("/api/staff/pairings", json=body)
                    if not made.is_success:
                        ledger.other_answers.append(f"{made.status_code} {made.text[:200]}")
                        return
                    pairing_id = made.json()["id"]
                    with ledger.lock:
                        ledger.proposals_acked.add(pairing_id)
                    gone = api.post(f"/api/staff/pairings/{pairing_id}/withdraw")
                    if not gone.is_success:
                        ledger.other_answers.append(f"{gone.status_code} {gone.text[:200]}")
                        return
                    with ledger.lock:
                        ledger.withdrawals_acked.add(pairing_id)
                except httpx.TransportError:
                    return


def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def integrity_problems(engine: Engine) -> list[str]:
    """SQLite's own integrity and foreign-key checks; on PostgreSQL, amcheck over every table
    and B-tree index of the schema."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
            problems = [] if found == ["ok"] else found
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            return problems + [f"foreign key: {tuple(r)}" for r in fk]
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
        problems = []
        tables = conn.exec_driver_sql(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
        ).scalars()
        for table in list(tables):
            for row in conn.execute(text("SELECT * FROM verify_heapam(:t)"), {"t": table}):
                problems.append(f"{table}: {tuple(row)}")
        indexes = conn.exec_driver_sql(
            "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND a.amname = 'btree'"
        ).scalars()
        for index in list(indexes):
            conn.execute(text("SELECT bt_index_parent_check(:i, true)"), {"i": index})
        conn.commit()
        return problems


def test_acknowledged_writes_survive_and_none_is_half_written_when_server_is_killed(
    fresh_engine: Engine, tmp_path: Path
):
    env = app_env(fresh_engine.url.render_as_string(hide_password=False))
    server = AppServer(env, tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as api:
            people = populate(fresh_engine, api, env, cooks=3, meals_per_pairing=60)
        with Session(fresh_engine) as s:
            pairings_before = s.exec(select(func.count()).select_from(Pairing)).one()
        meals = [(meal_id, people.cooks[cook_id]) for meal_id, cook_id in people.due_meals]
        ledger, stop = Ledger(), threading.Event()
        writers = [
            threading.Thread(target=record_outcomes, args=(server.url, meals, ledger)),
            threading.Thread(
                target=propose_and_withdraw,
                args=(server.url, people.staff, people.proposable, ledger, stop),
            ),
        ]
        for writer in writers:
            writer.start()
        wait_for(
            lambda: (
                len(ledger.outcomes_acked) >= KILL_AFTER_OUTCOMES
                and len(ledger.withdrawals_acked) >= KILL_AFTER_PROPOSALS
            ),
            "the writes to start",
        )
        server.kill()
        stop.set()
        for writer in writers:
            writer.join(WAIT_S)
        assert len(ledger.outcomes_sent) < len(meals), "the loop ended before the kill"

        server.start()  # the same database, after the crash
        with httpx.Client(base_url=server.url, timeout=30) as api:
            meal_id, cook_id = next(
                (m, c) for m, c in people.due_meals if m not in ledger.outcomes_sent
            )
            after = api.post(
                f"/api/meals/{meal_id}/delivered", headers=bearer(people.cooks[cook_id])
            )
            assert after.status_code == 200, after.text
    finally:
        server.stop()

    assert ledger.other_answers == []
    with Session(fresh_engine) as s:
        recorded = {
            m.id: m.status
            for m in s.exec(select(Meal).where(col(Meal.status).in_(["delivered", "missed"])))
        }
        recorded.pop(meal_id)
        # Every acknowledged outcome is there; anything else recorded was at least asked for
        # (the requests in flight at the kill may or may not have committed).
        assert {m: recorded.get(m) for m in ledger.outcomes_acked} == ledger.outcomes_acked
        assert set(recorded.items()) <= set(ledger.outcomes_sent.items())
        assert len(recorded) - len(ledger.outcomes_acked) <= 1
        # A missed meal and its messages (to the carer and the coordinator) are one write.
        counts = {}
        for missed in (m for m, status in recorded.items() if status == "missed"):
            counts[missed] = s.exec(
                select(func.count())
                .select_from(Notification)
                .where(col(Notification.dedupe_key).startswith(f"meal:{missed}:missed:"))
            ).one()
        assert counts and len(set(counts.values())) == 1 and 0 not in counts.values(), counts

        pairings = {p.id: p for p in s.exec(select(Pairing))}
        assert ledger.proposals_acked <= pairings.keys()
        assert all(pairings[p].status == "withdrawn" for p in ledger.withdrawals_acked)
        assert len(pairings) - pairings_before <= ledger.proposals_sent
        assert len(pairings) - pairings_before - len(ledger.proposals_acked) <= 1
        # A proposal, its audit entry and the cook's invitation are one write; so are a
        # withdrawal and its audit entry.
        for pairing in pairings.values():
            actions = set(
                s.exec(
                    select(AuditEntry.action).where(
                        AuditEntry.subject_type == "pairing", AuditEntry.subject_id == pairing.id
                    )
                )
            )
            assert "pairing.proposed" in actions, pairing
            assert ("pairing.withdrawn" in actions) == (pairing.status == "withdrawn"), pairing
            invitations = s.exec(
                select(func.count())
                .select_from(Notification)
                .where(col(Notification.dedupe_key).startswith(f"pairing:{pairing.id}:proposed"))
            ).one()
            assert invitations == 1, pairing
    assert integrity_problems(fresh_engine) == []
