"""`make run`: what it hands the `portion` commands it runs (a stand-in records it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def make_run(tmp_path: Path, *args: str, **env: str) -> list[str]:
    """`make run ARGS` with a stand-in environment whose `portion` prints the public URL it got
    (its `.runtime` stamp is fresh, so nothing is installed)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / ".runtime").touch()
    portion = venv / "bin" / "portion"
    portion.write_text('#!/bin/sh\necho "$1 $PORTION_PUBLIC_URL"\n')
    portion.chmod(0o755)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTION_")}
    done = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "run", f"VENV={venv}", *args],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.splitlines()


def test_make_run_builds_links_on_its_port_when_another_is_given(tmp_path: Path):
    said = make_run(tmp_path, "PORT=8141")

    assert said == [
        f"{command} http://127.0.0.1:8141" for command in ("migrate", "seed-demo", "serve")
    ]


def test_make_run_keeps_the_public_url_when_the_environment_sets_one(tmp_path: Path):
    said = make_run(tmp_path, "PORT=8141", PORTION_PUBLIC_URL="https://portion.example.org")

    assert said[-1] == "serve https://portion.example.org"
