"""The matching benchmarks keep working: their --quick runs print their whole table."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_quick(script: str, *options: str) -> str:
    run = subprocess.run(
        [sys.executable, script, "--quick", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert str(ROOT) not in run.stdout, "an absolute path of this machine is printed"
    return run.stdout


def rows(table: str) -> dict[str, list[str]]:
    """A printed table's rows by their first column (columns are 2+ spaces apart)."""
    lines = table.strip().splitlines()
    assert lines[0].startswith("metric") and set(lines[1]) == {"-"}, table
    return {
        cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line.strip()) for line in lines[2:])
    }


def test_matching_db_prints_its_table_when_run_quick():
    out = run_quick("bench/matching_db.py")
    assert out.startswith("Matching through the database (bench/matching_db.py --quick)")
    table = rows(out.split("\n\n")[1])
    for label in (
        "HTTP suggestions p50 / p99 (n=50, 1 connection)",
        "of them, p50: diners with a suggestion / with none",
        "service alone (this process) p50 / p99",
        "batch end to end (run_matching: run_batch, commit, response)",
        "write proposals",
        "batch RSS: before / peak / growth (sampled 5 ms)",
        "this machine, CPU: a worker-thread hop / a SELECT 1 through the driver",
    ):
        assert label in table, f"{label} missing from:\n{out}"
        assert re.search(r"\d", table[label][0]), f"{label}: no figure"
    assert table["naive and service: same candidate sets"][0].startswith("3 of 3")
    proposed, unmatched = table["proposed / unmatched"][0].split(" / ")
    assert int(proposed.replace(",", "")) + int(unmatched.replace(",", "")) == 1_000


def test_matching_db_keeps_its_database_for_the_next_run(tmp_path: Path):
    """--keep builds the SQLite file once; the next run reuses it (no insert) for the same
    answers (the naive baseline agrees), and a database a batch wrote into is refused."""
    options = ("--keep", str(tmp_path), "--no-batch", "--suggest", "5")
    first = rows(run_quick("bench/matching_db.py", *options).split("\n\n")[1])
    [kept] = tmp_path.glob("quick-*.db")
    second = rows(run_quick("bench/matching_db.py", *options).split("\n\n")[1])
    assert "bulk insert (users, cooks, diners)" in first
    assert "bulk insert (users, cooks, diners)" not in second
    assert "batch end to end (run_matching: run_batch, commit, response)" not in second
    for table in (first, second):
        assert table["naive and service: same candidate sets"][0].startswith("3 of 3")
    assert second["diners with a suggestion"] == first["diners with a suggestion"]
    with sqlite3.connect(kept) as conn:
        conn.execute(
            "INSERT INTO pairing (council_id, cook_id, diner_id, status, weekday, start,"
            " frequency, distance_m, proposed_at)"
            " VALUES (1, 1, 1, 'proposed', 0, '12:00', 'weekly', 1.0, '2026-12-01 00:00:00')"
        )
    refused = subprocess.run(
        [sys.executable, "bench/matching_db.py", "--quick", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode != 0
    assert "the kept database has pairings" in refused.stderr


def test_matching_engine_prints_its_table_when_run_quick():
    out = run_quick("bench/matching_engine.py")
    header, table = out.split("\n\n")[1:3]
    assert "sectors from app/geo/data/" in header
    found = rows(table)
    for label in ("index build", "suggest median (n=200)", "batch: total", "matched"):
        assert label in found, f"{label} missing from:\n{out}"
    assert "same candidate sets (engine limit 500)" in out
