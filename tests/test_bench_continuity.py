"""bench/continuity_sim.py keeps working: a --quick run prints its whole table, the services
raise nothing, and the 'covers not met' variant really replaced history()."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["app (services)", "app, covers not met", "greedy, fixed order", "greedy, random order"]


def test_continuity_sim_prints_every_column_without_service_errors_when_run_quick():
    run = subprocess.run(
        [sys.executable, "bench/continuity_sim.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert str(ROOT) not in out and "/tmp" not in out, "a path of this machine is printed"
    assert "running: app (services)" in out and "running: app, covers not met" in out

    title, header, rule, *lines = out.split("\n\n", 1)[1].strip().splitlines()
    assert title.startswith("Continuity over 10 weeks: 40 diners, 55 cooks, Barnet postcodes")
    assert re.split(r"\s{2,}", header.strip()) == ["metric", *COLUMNS], header
    assert set(rule) == {"-"}
    rows = {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line.strip()) for line in lines)}

    delivered = [int(v.replace(",", "")) for v in rows["meals delivered"]]
    assert len(delivered) == 4 and all(n > 0 for n in delivered), rows["meals delivered"]
    assert rows["service errors"] == ["0", "0"], out
    for label in ("regular-cook share", "familiar-face share", "diner-based: most frequent cook"):
        assert all(re.fullmatch(r"\d+\.\d%|-", v) for v in rows[label]), (label, rows[label])
    covers, none_possible = rows["covers taken / none possible"][0].split(" / ")
    assert int(covers) > 0 and int(none_possible) >= 0
    assert len(rows["wall time (CPU time)"]) == 4
