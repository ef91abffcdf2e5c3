"""`make docker-check`: build the image with podman, run it and check what a deployment relies on.

    python3 docker/check.py

Builds the Dockerfile on a local Debian stand-in for the official base (docker/base.sh), with
the machine's CA as a build secret, then checks: the CA is in no layer; the production refusal
without a real secret (one line, non-zero exit); /healthz, and the first 200 within 5 s of the
server's CPU time (the wall time is printed: it depends on what else the machine runs); the
server is PID 1 and not root; the volume and its database are private (700, 600); the app loads
from compiled bytecode; no demo accounts; an account registered before a restart signs in after
it (data on the volume); SIGTERM (what `podman stop` sends first) ends the server within 2 s,
exit 0, not a kill; the worker's and the jobs' commands run; compose.yaml is accepted by
podman-compose. Prints the build time, the time to the first 200, the stop time and the image's
layers. Exits non-zero on any failure.

Needs root, podman, buildah, debootstrap (`.ci/run` installs them). Without podman it skips,
saying so, except in CI (CI=true), where that is a failure. Standard library only.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IMAGE = os.environ.get("PORTION_CHECK_IMAGE", "localhost/extra-portion:check")
CONTEXT = Path(os.environ.get("PORTION_CHECK_CONTEXT", ROOT))
CA_FILE = Path(os.environ.get("PORTION_CHECK_CA", "/etc/ssl/certs/ca-certificates.crt"))
FIRST_200_LIMIT_S = float(os.environ.get("PORTION_CHECK_FIRST_200_S", "5"))
STOP_LIMIT_S = float(os.environ.get("PORTION_CHECK_STOP_S", "2"))
# The README's demo account: it must not exist unless a demo was asked for.
DEMO_ACCOUNT = ("staff.barnet@example.org", "portion-demo-2026")
# runc: crun fails on rlimits with hybrid cgroups on some hosts.
RUN_OPTS = ["--runtime", "runc", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
# The refusals' output must be the container's alone (podman warns here that without systemd it
# cannot time a HEALTHCHECK).
ONCE_OPTS = ["--rm", "--no-healthcheck", *RUN_OPTS]

# Prints the modules `import app.main` loads from source (their .pyc missing).
FROM_SOURCE = (
    "import os, sys, app.main; print(*sorted(n for n, m in list(sys.modules.items())"
    " if getattr(m, '__cached__', None) and not os.path.exists(m.__cached__)))"
)

# issue 15: under 450 MB on the Debian stand-in base (docker/base.sh, about 200 MB).
MAX_IMAGE_BYTES = 450_000_000

failures: list[str] = []
figures: dict[str, str] = {}
cleanups: list[Callable[[], object]] = []


def main() -> int:
    if shutil.which("podman") is None:
        if os.environ.get("CI") == "true":
            print("docker-check: FAIL podman is not installed (.ci/run installs it)")
            return 1
        print(
            "docker-check: skipped, podman is not installed (apt-get install podman buildah "
            "debootstrap runc uidmap fuse-overlayfs slirp4netns passt podman-compose)"
        )
        return 0
    try:
        base = build_base()
        build(base)
        check_no_ca_in_layers(base)
        check_production_refusals()
        check_running_container()
        check_compose()
    finally:
        for cleanup in reversed(cleanups):
            cleanup()
    report()
    return 1 if failures else 0


def build_base() -> str:
    started = time.monotonic()
    name = run([str(ROOT / "docker" / "base.sh")], capture=True).stdout.strip().splitlines()[-1]
    figures["base image (docker/base.sh)"] = f"{time.monotonic() - started:.1f} s ({name})"
    return name


def build(base: str) -> None:
    started = time.monotonic()
    run(
        [
            "podman", "build", "--isolation=chroot", "--format=docker", "--pull=never",
            "--build-arg", f"BASE={base}",
            "--secret", f"id=ca,src={CA_FILE}",
            "--label", "org.extra-portion.check=1",
            "-t", IMAGE, "-f", str(CONTEXT / "Dockerfile"), str(CONTEXT),
        ]
    )  # fmt: skip
    figures["build"] = f"{time.monotonic() - started:.1f} s"


def check_no_ca_in_layers(base: str) -> None:
    """No layer of the image holds the build secret (a layer may differ from the final view)."""
    ca_digest = hashlib.sha256(CA_FILE.read_bytes()).hexdigest()
    base_layers = set(inspect(base, "{{json .RootFS.Layers}}"))
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        archive = Path(tmp) / "image.tar"
        run(["podman", "save", "--format=docker-archive", "-o", str(archive), IMAGE])
        found = []
        with tarfile.open(archive) as outer:
            manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
            for layer in manifest[0]["Layers"]:
                data = outer.extractfile(layer)
                assert data is not None
                raw = data.read()
                if "sha256:" + hashlib.sha256(raw).hexdigest() in base_layers:
                    continue  # the base's own CA store, not our build's
                with tarfile.open(fileobj=io.BytesIO(raw)) as inner:
                    for member in inner:
                        if "run/secrets" in member.name:
                            found.append(member.name)
                        elif member.isfile() and member.size == CA_FILE.stat().st_size:
                            blob = inner.extractfile(member)
                            if blob and hashlib.sha256(blob.read()).hexdigest() == ca_digest:
                                found.append(member.name)
    expect(not found, "the build's CA is in no layer", f"found in a layer: {found}")


def check_production_refusals() -> None:
    refused = run(["podman", "run", *ONCE_OPTS, IMAGE], capture=True, check=False)
    lines = (refused.stdout + refused.stderr).strip().splitlines()
    expect(
        refused.returncode != 0 and len(lines) == 1 and "PORTION_SECRET_KEY" in lines[0],
        "production without a real secret refuses to start in one line",
        f"exit {refused.returncode}, output {lines}",
    )
    demo = run(
        ["podman", "run", *ONCE_OPTS, "-e", "PORTION_DEMO=1", "-e",
         f"PORTION_SECRET_KEY={secrets.token_urlsafe(48)}", IMAGE],
        capture=True, check=False,
    )  # fmt: skip
    lines = (demo.stdout + demo.stderr).strip().splitlines()
    expect(
        demo.returncode != 0 and len(lines) == 1 and "PORTION_DEMO" in lines[0],
        "PORTION_DEMO=1 in production refuses in one line",
        f"exit {demo.returncode}, output {lines}",
    )


def check_running_container() -> None:
    volume = f"portion-check-{secrets.token_hex(4)}"
    run(["podman", "volume", "create", volume], capture=True)
    cleanups.append(
        lambda: run(["podman", "volume", "rm", "-f", volume], check=False, capture=True)
    )
    port = free_port()
    env = ["-e", f"PORTION_SECRET_KEY={secrets.token_urlsafe(48)}"]
    started = time.monotonic()
    container = run(
        ["podman", "run", "-d", *RUN_OPTS, "-p", f"127.0.0.1:{port}:8000",
         "-v", f"{volume}:/var/lib/portion", *env, IMAGE],
        capture=True,
    ).stdout.strip()  # fmt: skip
    cleanups.append(lambda: run(["podman", "rm", "-f", container], check=False, capture=True))
    base = f"http://127.0.0.1:{port}"

    first = wait_for_200(f"{base}/healthz", started, container)
    if first is None:
        return
    # The wall time depends on what else the machine runs; the server's own CPU time to its
    # first answer does not, so that is what the limit holds (on a quiet machine they are close).
    cpu = server_cpu_s(container)
    figures["first 200 after `podman run`"] = f"{first:.2f} s wall, server CPU {cpu:.2f} s"
    expect(
        cpu <= FIRST_200_LIMIT_S,
        f"first 200 within {FIRST_200_LIMIT_S:g} s of the server's CPU time",
        f"{cpu:.2f} s",
    )
    status, body = http("GET", f"{base}/healthz")
    expect(
        status == 200 and json.loads(body) == {"status": "ok"}, "/healthz 200", f"{status} {body!r}"
    )

    pid1 = run(["podman", "exec", container, "cat", "/proc/1/cmdline"], capture=True).stdout
    argv = pid1.split("\0")
    expect("serve" in argv, "the server is PID 1 (exec'd)", f"PID 1 is {argv}")
    uid = run(["podman", "exec", container, "sh", "-c", "awk '/^Uid:/ {print $2}' /proc/1/status"],
              capture=True).stdout.strip()  # fmt: skip
    expect(uid not in ("", "0"), "the server runs as a non-root user", f"uid {uid}")
    # People's addresses and needs: the volume and the database in it for the server's account
    # only (an outside check found both readable by every account).
    modes = run(
        ["podman", "exec", container, "sh", "-c",
         "stat -c '%a %n' /var/lib/portion /var/lib/portion/portion.db"],
        capture=True,
    ).stdout.split("\n")  # fmt: skip
    modes = [line for line in modes if line.strip()]
    expect(
        [m.split()[0] for m in modes] == ["700", "600"],
        "the volume and the database are private (700, 600)",
        f"modes {modes}",
    )

    # Bytecode compiled at build: a module without its .pyc would be compiled at every start.
    uncompiled = run(
        ["podman", "exec", container, "python", "-c", FROM_SOURCE], capture=True
    ).stdout.split()
    expect(not uncompiled, "the app loads from compiled bytecode", f"from source: {uncompiled}")

    status, _ = http(
        "POST",
        f"{base}/api/auth/token",
        form={"username": DEMO_ACCOUNT[0], "password": DEMO_ACCOUNT[1]},
    )
    expect(status == 401, "no demo account in production", f"demo sign-in answered {status}")

    email = f"check-{secrets.token_hex(4)}@example.org"
    password = secrets.token_urlsafe(18)
    account = {"email": email, "password": password, "full_name": "Check Cook", "role": "cook"}
    status, body = http("POST", f"{base}/api/auth/register", data=account)
    expect(status == 201, "an account can be registered", f"{status} {body[:200]!r}")

    # What `podman stop` does, in two steps to time the server apart from podman's own
    # clean-up: SIGTERM, then the wait (`podman stop` sends SIGKILL after its timeout).
    sent = time.time()
    run(["podman", "kill", "--signal", "TERM", container], capture=True)
    delivered = time.time()  # podman kill returns once the signal is sent
    done = run(["podman", "wait", container], capture=True)
    waited = time.time() - sent
    exited = max(0.0, server_finished_at(container) - delivered)
    figures["SIGTERM to the server's exit"] = (
        f"{exited:.2f} s after `podman kill` returned ({delivered - sent:.2f} s);"
        f" `podman kill` + `podman wait`: {waited:.2f} s"
    )
    code = done.stdout.strip()
    expect(code == "0", "SIGTERM ends the server (exit 0, not killed)", f"exit code {code}")
    expect(
        exited <= STOP_LIMIT_S,
        f"the server exits within {STOP_LIMIT_S:g} s of SIGTERM",
        f"{exited:.2f} s",
    )

    started = time.monotonic()
    run(["podman", "start", container], capture=True)
    again = wait_for_200(f"{base}/healthz", started, container)
    if again is None:
        return
    figures["first 200 after a restart"] = f"{again:.2f} s"
    status, _ = http(
        "POST", f"{base}/api/auth/token", form={"username": email, "password": password}
    )
    expect(status == 200, "data on the volume survives a restart", f"sign-in answered {status}")

    for command in (["portion", "send-notifications"], ["portion", "run-jobs"]):
        done = run(["podman", "exec", container, *command], capture=True, check=False)
        expect(done.returncode == 0, f"`{' '.join(command)}` runs in the image",
               f"exit {done.returncode}: {done.stderr.strip()[-300:]}")  # fmt: skip


def check_compose() -> None:
    if shutil.which("podman-compose") is None:
        expect(False, "podman-compose accepts compose.yaml", "podman-compose is not installed")
        return
    version = run(["podman-compose", "version"], capture=True, check=False).stdout
    if "config" not in run(["podman-compose", "--help"], capture=True, check=False).stdout:
        expect(False, "podman-compose accepts compose.yaml",
               f"this podman-compose has no `config` command ({version.strip().splitlines()[-1:]}):"
               " install docker/check-tools.lock, as .ci/run does")  # fmt: skip
        return
    # As the README says to run it: beside a .env holding the key and the database's password.
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(ROOT / "compose.yaml", folder)
        dotenv = f"PORTION_SECRET_KEY={secrets.token_urlsafe(48)}\nPOSTGRES_PASSWORD=check\n"
        (Path(folder) / ".env").write_text(dotenv)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTION_", "POSTGRES_"))}
        done = subprocess.run(
            ["podman-compose", "-f", "compose.yaml", "config"],
            capture_output=True, text=True, env=env, cwd=folder,
        )  # fmt: skip
    services = [s for s in ("web", "worker", "jobs", "db") if f"  {s}:" in done.stdout]
    expect(
        done.returncode == 0 and len(services) == 4,
        "podman-compose accepts compose.yaml (web, worker, jobs, db)",
        f"exit {done.returncode}, services {services}: {done.stderr.strip()[-300:]}",
    )


def report() -> None:
    print("\nImage layers (podman history):")
    print(run(["podman", "history", "--format", "{{.Size}}\t{{.CreatedBy}}", IMAGE],
              capture=True).stdout.rstrip())  # fmt: skip
    size = int(inspect(IMAGE, "{{.Size}}"))
    figures["image size"] = f"{size / 1e6:.0f} MB"
    expect(size < MAX_IMAGE_BYTES, "the image is under 450 MB", f"{size / 1e6:.0f} MB")
    print("\nFigures:")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    print(f"\ndocker-check: {'FAIL' if failures else 'OK'}" +
          (f" ({len(failures)} failure(s))" if failures else ""))  # fmt: skip


# ---- helpers


def expect(ok: bool, what: str, otherwise: str) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}" + ("" if ok else f": {otherwise}"), flush=True)
    if not ok:
        failures.append(what)


def run(
    argv: list[str], *, capture: bool = False, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=capture, text=True)
    if check and done.returncode != 0:
        detail = (done.stderr or "").strip()[-2000:] if capture else ""
        raise SystemExit(f"docker-check: FAIL `{' '.join(argv[:3])} ...` exited {done.returncode}"
                         f"\n{detail}")  # fmt: skip
    return done


def inspect(name: str, template: str) -> Any:
    out = run(["podman", "inspect", "--format", template, name], capture=True).stdout.strip()
    return json.loads(out) if out[:1] in "[{" or out.isdigit() else out


def server_finished_at(container: str) -> float:
    """When the server logged its last line, uvicorn's "Finished server process" (the log's
    timestamps are taken as the lines arrive; podman's FinishedAt comes after its clean-up)."""
    done = run(["podman", "logs", "-t", container], capture=True)
    logs = done.stdout + done.stderr
    stamps = [line.split()[0] for line in logs.splitlines() if "Finished server process" in line]
    if not stamps:
        return float(inspect(container, "{{.State.FinishedAt.UnixMilli}}")) / 1000
    whole, _, fraction = stamps[-1].rstrip("Z").partition(".")
    at = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return at.timestamp() + float(f"0.{fraction or 0}")


def server_cpu_s(container: str) -> float:
    """PID 1's user and system CPU time so far (it is the whole server: one process)."""
    stat = run(["podman", "exec", container, "cat", "/proc/1/stat"], capture=True).stdout
    fields = stat.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_200(url: str, started: float, container: str, timeout_s: float = 60) -> float | None:
    while time.monotonic() - started < timeout_s:
        status, _ = http("GET", url, timeout=1)
        if status == 200:
            return time.monotonic() - started
        time.sleep(0.05)
    logs = run(["podman", "logs", container], capture=True, check=False)
    expect(False, f"{url} answers 200", f"none in {timeout_s:g} s; logs: {logs.stderr[-1000:]}")
    return None


def http(
    method: str,
    url: str,
    *,
    data: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, str]:
    body, headers = None, {}
    if data is not None:
        body, headers = json.dumps(data).encode(), {"Content-Type": "application/json"}
    elif form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (OSError, urllib.error.URLError):
        return 0, ""


if __name__ == "__main__":
    sys.exit(main())
