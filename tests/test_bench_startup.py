"""bench/startup.py keeps working: a --quick run prints every row with a figure."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_startup_bench_prints_each_step_beside_its_baseline_when_run_quick():
    run = subprocess.run(
        [sys.executable, "bench/startup.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert str(ROOT) not in run.stdout, "an absolute path of this machine is printed"
    assert run.stdout.startswith("Start-up (bench/startup.py --quick)")
    lines = run.stdout.split("\n\n")[1].splitlines()
    assert lines[0].split()[:2] == ["step", "this"] and set(lines[1]) == {"-"}
    rows = {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line) for line in lines[2:])}
    with_baseline = (
        "import app.main: CPU",
        "portion serve, first 200 of /healthz: wall",
        "portion serve, server CPU by then",
    )
    for label in (
        *with_baseline,
        "portion migrate (empty file)",
        "portion seed-demo (with its year of history)",
    ):
        assert label in rows, f"{label} missing from:\n{run.stdout}"
        assert float(rows[label][0].removesuffix(" s")) > 0, rows[label]
    for label in with_baseline:
        assert float(rows[label][1].removesuffix(" s")) > 0, f"{label}: no baseline"
    assert rows["portion serve, first 200 of /healthz: wall"][2] == "< 2 s"
