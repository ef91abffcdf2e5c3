"""Start-up benchmark: issue 11's start-up targets, each beside a baseline from the same run.

Run: ``.venv/bin/python bench/startup.py [--runs N] [--fresh-clone] [--quick]``.

In a temporary folder, on this machine, one thing at a time:

- ``import app.main`` in a new interpreter, CPU and wall time (median of N), beside
  ``import fastapi, sqlmodel`` (the libraries the app is built on, nothing of ours);
- ``portion migrate`` of an empty SQLite file, then ``portion seed-demo`` on it (the demo
  councils with their year of history; target: under 10 s);
- ``portion serve`` (uvicorn, one worker) on that file: from the command's start to the first
  ``200`` of ``GET /healthz``, wall time and the server's CPU by then (target: under 2 s), beside
  uvicorn serving ``bench/baseline_app.py:bare`` to its first ``200`` of ``GET /hello``;
  median of N, alternately;
- with ``--fresh-clone``: ``git clone`` of this repository's ``HEAD`` (its committed state, not
  the work tree), then ``make run`` there with an empty uv cache, from the command's start to
  the first ``200`` of ``/healthz`` (installing, migrating, seeding and serving; target: under
  60 s). It downloads every package from the registry the lock file names, so it is off by
  default; the figure counts the network as it is that day.

Each server gets a free port of 127.0.0.1 and is stopped (SIGTERM, then its group killed)
before the next step. Progress goes to stderr, the report alone to stdout; paths are printed
relative to the project.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 90.0  # one server's start
CLONE_TIMEOUT_S = 600.0  # a fresh clone's `make run`: installs every package first
PROBE_EVERY_S = 0.005
TICKS = os.sysconf("SC_CLK_TCK")

# The same progress log, relative paths and free ports as the load benchmark's.
from http_load import HOST, free_port, log, relative  # noqa: E402


def child_env(database_url: str | None = None) -> dict[str, str]:
    """This environment without PORTION_ settings (the app's defaults), with bytecode written as
    `make run` lets it be, and the benchmark's database when one is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTION_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env |= {"PORTION_ENV": "development", "PORTION_NOTIFICATIONS_IN_PROCESS": "false"}
    if database_url is not None:
        env |= {"PORTION_DATABASE_URL": database_url, "PORTION_GEOCODER": "offline"}
    return env


def tree_cpu_s(pid: int) -> float:
    """User and system CPU of a process and of its children it has waited for (/proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # Fields 14-17 of proc(5): utime, stime, cutime, cstime (here 0-based after the name).
    return sum(int(f) for f in fields[11:15]) / TICKS


UVICORN = [sys.executable, "-m", "uvicorn"]


def at(port: int) -> list[str]:
    """A server's options: on 127.0.0.1, at `port`."""
    return ["--host", HOST, "--port", str(port)]


def answers_200(port: int, path: str) -> bool:
    """One HTTP/1.0 GET on a new connection: whether it answers 200 (False if refused)."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as s:
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: {HOST}\r\n\r\n".encode())
            return s.recv(64).startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))
    except OSError:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's group (make, uv and uvicorn alike), SIGKILL if it hangs."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class FirstAnswer:
    wall_s: float  # from the command's start to the first 200
    cpu_s: float  # the command's process (and waited-for children) by then


def time_to_first_200(
    command_on: Callable[[int], list[str]],
    *,
    path: str,
    cwd: Path,
    env: dict[str, str],
    log_to: Path,
    timeout: float = START_TIMEOUT_S,
) -> FirstAnswer:
    """Start `command_on(port)` for a free port, poll `path` there until it answers 200, then
    stop the command."""
    port = free_port()
    command = command_on(port)
    with log_to.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        while not answers_200(port, path):
            if process.poll() is not None:
                tail = log_to.read_text(errors="replace")[-2000:]
                raise SystemExit(f"{command[0]} exited before serving:\n{relative(tail, cwd)}")
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"{' '.join(command)} did not answer {path} in {timeout:.0f} s")
            time.sleep(PROBE_EVERY_S)
        return FirstAnswer(time.perf_counter() - started, tree_cpu_s(process.pid))
    finally:
        stop(process)


def import_times(statement: str, runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """CPU and wall seconds of `statement` in new interpreters, measured inside each."""
    probe = (
        "import time; c=time.process_time(); w=time.perf_counter()\n"
        f"{statement}\n"
        "print(time.process_time()-c, time.perf_counter()-w)"
    )
    cpu, wall = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if out.returncode != 0:
            raise SystemExit(f"{statement!r} failed:\n{relative(out.stderr[-2000:])}")
        c, w = map(float, out.stdout.split()[-2:])
        cpu.append(c)
        wall.append(w)
    return cpu, wall


def timed(command: Sequence[str], *, env: dict[str, str], cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    out = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{relative(out.stderr[-2000:])}")
    return time.perf_counter() - started


def portion() -> list[str]:
    found = Path(sys.executable).with_name("portion")
    return (
        [str(found)]
        if found.exists()
        else [sys.executable, "-c", "from app.cli import main; main()"]
    )


def seconds(values: Sequence[float]) -> str:
    """One figure, or the median of several with their range."""
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    return f"{statistics.median(values):.2f} s ({min(values):.2f} to {max(values):.2f})"


@dataclass
class Row:
    label: str
    figure: str
    baseline: str = ""
    target: str = ""


def measure(args: argparse.Namespace, folder: Path) -> list[Row]:
    rows: list[Row] = []
    env = child_env()

    log(f"import app.main and the libraries alone, {args.runs} runs each ...")
    app_cpu, app_wall = import_times("import app.main", args.runs, env)
    lib_cpu, lib_wall = import_times("import fastapi, sqlmodel", args.runs, env)
    rows.append(Row("import app.main: CPU", seconds(app_cpu), seconds(lib_cpu)))
    rows.append(Row("import app.main: wall", seconds(app_wall), seconds(lib_wall)))

    url = f"sqlite:///{folder / 'startup.db'}"
    db_env = child_env(url)
    log("portion migrate, then portion seed-demo, on an empty SQLite file ...")
    rows.append(
        Row("portion migrate (empty file)", seconds([timed([*portion(), "migrate"], env=db_env)]))
    )
    seed = timed([*portion(), "seed-demo"], env=db_env)
    rows.append(Row("portion seed-demo (with its year of history)", seconds([seed]), "", "< 10 s"))

    log(f"portion serve and the bare app to their first 200, {args.runs} runs each ...")
    ours: list[FirstAnswer] = []
    bare: list[FirstAnswer] = []
    app_dir = str(ROOT / "bench")
    servers = (  # each run starts ours, then the bare app: alternately
        (ours, "serve", "/healthz", lambda port: [*portion(), "serve", *at(port)]),
        (
            bare,
            "bare",
            "/hello",
            lambda port: [*UVICORN, "baseline_app:bare", *at(port), "--app-dir", app_dir],
        ),
    )
    for n in range(args.runs):
        for answers, name, path, command_on in servers:
            log_to = folder / f"{name}{n}.log"
            answers.append(
                time_to_first_200(command_on, path=path, cwd=ROOT, env=db_env, log_to=log_to)
            )
    rows.append(
        Row(
            "portion serve, first 200 of /healthz: wall",
            seconds([a.wall_s for a in ours]),
            seconds([a.wall_s for a in bare]),
            "< 2 s",
        )
    )
    rows.append(
        Row(
            "portion serve, server CPU by then",
            seconds([a.cpu_s for a in ours]),
            seconds([a.cpu_s for a in bare]),
        )
    )

    if args.fresh_clone:
        rows.append(fresh_clone_run(folder))
    return rows


def fresh_clone_run(folder: Path) -> Row:
    """`make run` in a new clone of HEAD with an empty uv cache, to its first 200."""
    clone, cache = folder / "clone", folder / "uv-cache"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    log(f"git clone of {commit}, then make run with an empty uv cache (downloads) ...")
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    cache.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTION_", "VIRTUAL_ENV"))}
    env |= {"UV_CACHE_DIR": str(cache)}
    answer = time_to_first_200(
        lambda port: ["make", "run", f"PORT={port}"],
        path="/healthz",
        cwd=clone,
        env=env,
        log_to=folder / "make-run.log",
        timeout=CLONE_TIMEOUT_S,
    )
    return Row(
        f"make run, fresh clone of {commit}, empty uv cache", seconds([answer.wall_s]), "", "< 60 s"
    )


def table(rows: list[Row]) -> str:
    header = Row("step", "this app", "baseline", "target")
    every = [header, *rows]
    wide = [max(len(getattr(r, f)) for r in every) for f in ("label", "figure", "baseline")]
    lines = [
        f"{r.label:<{wide[0]}}  {r.figure:>{wide[1]}}  {r.baseline:>{wide[2]}}  {r.target}"
        for r in every
    ]
    lines = [line.rstrip() for line in lines]
    lines.insert(1, "-" * max(map(len, lines)))
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="imports and starts, each (default 5)")
    parser.add_argument("--quick", action="store_true", help="one run of each (a smoke test)")
    parser.add_argument(
        "--fresh-clone",
        action="store_true",
        help="also `make run` in a new clone with an empty uv cache (downloads every package)",
    )
    args = parser.parse_args(argv)
    args.runs = 1 if args.quick else max(1, args.runs)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="portion-startup-"))
    try:
        load_before = os.getloadavg()[0]
        rows = measure(args, folder)
        load_after = os.getloadavg()[0]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    command = " ".join(["bench/startup.py", *(argv if argv is not None else sys.argv[1:])])
    print(f"Start-up ({command.strip()})")
    print(
        f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; "
        f"{time.strftime('%Y-%m-%d %H:%M', time.localtime())}; "
        f"load average {load_before:.1f} at start, {load_after:.1f} at end"
    )
    print()
    print(table(rows))
    print()
    print(
        "Baselines, in the same run: `import fastapi, sqlmodel` for the import (the libraries\n"
        "alone); uvicorn serving bench/baseline_app.py:bare (FastAPI, one route, no database)\n"
        "for the server. Several runs: the median, then the range. Server CPU is the command's\n"
        "process by its first 200 (portion serve runs uvicorn in its own process)."
    )


if __name__ == "__main__":
    main()
