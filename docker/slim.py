"""The image build's last step on the virtual environment: compile what the service runs, drop
what it never loads.

Run in the build stage, from the project directory, with the image's venv:

    /opt/venv/bin/python docker/slim.py

1. Warm up: migrate a throwaway SQLite database, load the app and answer a few requests, load
   uvicorn's server modules; then seed the demo, sign in as a coordinator and ask for a diner's
   suggestions, a batch preview and a batch run, and run the periodic jobs once: what the
   matching engine imports on first use (numpy, scipy.spatial, scipy.sparse.csgraph, OR-Tools'
   min-cost flow) is loaded by the service's own code paths.
2. Prune: test suites, C headers, static libraries and type stubs of the installed packages;
   and the parts of dependencies the service never imports (each checked: the build fails if
   the warm-up loaded it): pandas, protobuf, absl and OR-Tools' other solvers' Python packages
   (OR-Tools requires them for its CP-SAT, routing and model-builder APIs; the service uses only
   its min-cost flow: the shared libraries in ortools/.libs, which the graph module links to,
   stay), the scipy subpackages the service never loads (it uses cKDTree and
   connected_components: scipy.spatial, scipy.sparse and what they import stay), numpy's
   distutils and SIMD test module, phonenumbers' geocoding and carrier data (the service parses
   and formats numbers) and SQLAlchemy's test harness. Never strips a shared library.
   Identical shared libraries bundled twice (numpy's and scipy's libgfortran and libquadmath)
   are kept once, the other a symbolic link to it.
3. Compile to bytecode every module the warm-up loaded, the whole app and its migrations, with
   unchecked hashes (the image never changes, so a .pyc needs no check against its source).
   Compiling the rest of the packages too would add about 70 MB for modules never loaded.
   A dependency's loaded module is kept as bytecode only (its .pyc in place of its .py, which
   Python imports as such): 23 MB less. The cost: a traceback through a dependency's frame
   shows its file and line number but not the line's text; the app and its migrations keep
   their sources.
"""

from __future__ import annotations

import compileall
import filecmp
import os
import py_compile
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT = Path.cwd()
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
SITE = SITE / "site-packages"
# scipy's subpackages the service never loads (app/matching: scipy.spatial's cKDTree and
# scipy.sparse.csgraph's connected_components, which load _lib, constants, linalg, sparse and
# special); a subpackage imported later would fail: the warm-up checks none of these is loaded.
SCIPY_UNUSED = [
    "cluster",
    "datasets",
    "differentiate",
    "fft",
    "fftpack",
    "integrate",
    "interpolate",
    "io",
    "misc",
    "ndimage",
    "odr",
    "optimize",
    "signal",
    "stats",
    "_lib.cobyqa",
]
# OR-Tools' Python packages beside graph (the min-cost flow): CP-SAT, routing, linear solver,
# MathOpt... Its shared libraries (ortools/.libs) stay: libortools links them all.
ORTOOLS_KEPT = {"graph", "__pycache__", ".libs"}


def _never_imported() -> dict[str, list[Path]]:
    """Module (or package) → the paths removed with it."""
    found: dict[str, list[Path]] = {
        "pandas": [SITE / "pandas", *SITE.glob("pandas-*.dist-info")],
        "google": [SITE / "google", *SITE.glob("protobuf-*.dist-info")],
        "absl": [SITE / "absl", *SITE.glob("absl_py-*.dist-info")],
        "pybind11_abseil": [SITE / "pybind11_abseil"],
        "immutabledict": [SITE / "immutabledict", *SITE.glob("immutabledict-*.dist-info")],
        "phonenumbers.geocoder": [SITE / "phonenumbers" / "geodata"],
        "phonenumbers.carrier": [SITE / "phonenumbers" / "carrierdata"],
        "sqlalchemy.testing": [SITE / "sqlalchemy" / "testing"],
        "numpy.distutils": [SITE / "numpy" / "distutils"],
        "numpy._core._simd": [*(SITE / "numpy" / "_core").glob("_simd.*")],
        "scipy.special.cython_special": [*(SITE / "scipy" / "special").glob("cython_special.*")],
        "scipy.linalg._decomp_interpolative": [
            *(SITE / "scipy" / "linalg").glob("_decomp_interpolative.*")
        ],
    }
    for name in SCIPY_UNUSED:
        found[f"scipy.{name}"] = [SITE / "scipy" / name.replace(".", "/")]
    for path in sorted((SITE / "ortools").iterdir()):
        if path.is_dir() and path.name not in ORTOOLS_KEPT:
            found[f"ortools.{path.name}"] = [path]
    return found


# numpy.libs and scipy.libs each bundle the same libgfortran and libquadmath builds.
SHARED_LIBS = (SITE / "numpy.libs", SITE / "scipy.libs")
JUNK_SUFFIXES = {".pyi", ".pxd", ".pyx", ".h", ".hpp", ".c", ".cpp", ".a"}
UNCHECKED = py_compile.PycInvalidationMode.UNCHECKED_HASH
# The venv's start-up hooks (imported by its .pth files) keep their source; so does anyio,
# whose lazily imported modules are found as sources beside a bytecode-only package.
KEEP_SOURCE = ("_virtualenv", "__editable__", "anyio")


def warm_up() -> None:
    """Load what a start, a first request and a first matching batch load."""
    scratch = tempfile.mkdtemp()
    os.environ.update(
        PORTION_ENV="production",
        PORTION_SECRET_KEY="warm-up-only-" + "x" * 40,
        PORTION_DATABASE_URL=f"sqlite:///{scratch}/warm-up.db",
    )
    try:
        from typer.testing import CliRunner

        from app.cli import cli

        result = CliRunner().invoke(cli, ["migrate"])
        if result.exit_code != 0:
            raise SystemExit(f"warm-up: portion migrate failed: {result.output}")

        import uvicorn
        from fastapi.testclient import TestClient

        uvicorn.Config("app.main:app", lifespan="on").load()
        from app.main import app

        with TestClient(app) as client:
            for path in ("/healthz", "/", "/openapi.json"):
                client.get(path)
        _exercise_matching()
        result = CliRunner().invoke(cli, ["run-jobs"])
        if result.exit_code != 0:
            raise SystemExit(f"warm-up: portion run-jobs failed: {result.output}")
        import psycopg  # noqa: F401  (production's database driver: compiled too)
    finally:
        shutil.rmtree(scratch)


def _exercise_matching() -> None:
    """The demo seeded, a coordinator's suggestions for a diner, a batch preview and a run,
    through the HTTP API: everything the matching engine loads on first use gets loaded."""
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from app.db import get_engine
    from app.demo import DEMO_COUNCILS, DEMO_PASSWORD, seed_demo, staff_email
    from app.main import app

    with Session(get_engine()) as session:
        seed_demo(session)
        session.commit()
    with TestClient(app) as client:
        form = {"username": staff_email(DEMO_COUNCILS[0].slug), "password": DEMO_PASSWORD}
        token = client.post("/api/auth/token", data=form)
        _expect(token, "sign-in")
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        waiting = client.get("/api/staff/diners?status=waiting", headers=auth)
        _expect(waiting, "waiting diners")
        suggested = 0
        for diner in waiting.json()["items"]:
            answer = client.get(f"/api/staff/diners/{diner['id']}/suggestions", headers=auth)
            _expect(answer, "suggestions")
            suggested += len(answer.json()["items"])
            if suggested:
                break
        if not suggested:
            raise SystemExit("warm-up: no waiting demo diner has a suggested cook")
        _expect(client.post("/api/staff/matching/preview", headers=auth), "batch preview")
        batch = client.post("/api/staff/matching/run", headers=auth)
        _expect(batch, "batch")
        if not batch.json()["proposed"]:
            raise SystemExit("warm-up: the demo batch proposed no pairing")


def _expect(response: Any, what: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"warm-up: {what} answered {response.status_code}: {response.text}")


def _loaded(module: str) -> bool:
    return module in sys.modules or any(name.startswith(module + ".") for name in sys.modules)


def prune() -> None:
    for module, paths in _never_imported().items():
        if _loaded(module):
            raise SystemExit(f"slim: {module} is imported by the service: do not remove it")
        for path in paths:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    for path in list(SITE.rglob("tests")):
        if path.is_dir() and (path.parent / "__init__.py").exists():
            shutil.rmtree(path)
    for path in list(SITE.rglob("*")):
        if path.suffix in JUNK_SUFFIXES and path.is_file():
            path.unlink()
    kept, other = SHARED_LIBS
    for lib in sorted(other.iterdir()):
        twin = kept / lib.name
        if twin.is_file() and not lib.is_symlink() and filecmp.cmp(lib, twin, shallow=False):
            lib.unlink()
            lib.symlink_to(os.path.relpath(twin, other))


def compile_loaded() -> int:
    roots = (str(SITE), str(PROJECT))
    files: set[str] = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.endswith(".py") and file.startswith(roots):
            files.add(file)
    count = 0
    for file in sorted(files):
        if not os.path.exists(file):
            continue
        relative = Path(file).relative_to(SITE).parts if file.startswith(str(SITE)) else ()
        if relative and not relative[0].startswith(KEEP_SOURCE):
            # A dependency's module: its bytecode in the source's place, the source removed.
            py_compile.compile(file, cfile=file + "c", doraise=True, invalidation_mode=UNCHECKED)
            os.unlink(file)
        else:
            py_compile.compile(file, doraise=True, invalidation_mode=UNCHECKED)
        count += 1
    for folder in ("app", "migrations"):
        ok = compileall.compile_dir(PROJECT / folder, quiet=1, invalidation_mode=UNCHECKED)
        if not ok:
            raise SystemExit(f"slim: {folder} does not compile")
    return count


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    warm_up()
    prune()
    print(f"slim: compiled {compile_loaded()} loaded modules, the app and its migrations")
