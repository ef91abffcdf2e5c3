"""The image build's last step on the virtual environment: compile what the service runs, drop
what it never loads.

Run in the build stage, from the project directory, with the image's venv:

    /opt/venv/bin/python docker/slim.py

1. Warm up: migrate a throwaway SQLite database, load the app and answer a few requests, load
   uvicorn's server modules and the matching engine's numeric libraries (imported on first use).
2. Prune: test suites, C headers and type stubs of the installed packages; and two parts of
   dependencies the service never imports (checked: the build fails if the warm-up loaded them):
   pandas (required by OR-Tools for its CP-SAT and model-builder APIs; the service uses only its
   min-cost flow) and phonenumbers' geocoding data (the service parses and formats numbers).
3. Compile to bytecode every module the warm-up loaded, the whole app and its migrations, with
   unchecked hashes (the image never changes, so a .pyc needs no check against its source).
   Compiling the rest of the packages too would add about 70 MB for modules never loaded.
"""

from __future__ import annotations

import compileall
import os
import py_compile
import shutil
import sys
import tempfile
from pathlib import Path

PROJECT = Path.cwd()
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
SITE = SITE / "site-packages"
NEVER_IMPORTED = {
    "pandas": [SITE / "pandas", *SITE.glob("pandas-*.dist-info")],
    "phonenumbers.geocoder": [SITE / "phonenumbers" / "geodata"],
}
JUNK_SUFFIXES = {".pyi", ".pxd", ".pyx", ".h", ".hpp", ".c", ".cpp"}
UNCHECKED = py_compile.PycInvalidationMode.UNCHECKED_HASH


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
        import numpy  # noqa: F401
        import scipy.sparse.csgraph
        import scipy.spatial  # noqa: F401
        from ortools.graph.python import min_cost_flow  # noqa: F401
    finally:
        shutil.rmtree(scratch)


def prune() -> None:
    for module, paths in NEVER_IMPORTED.items():
        if module in sys.modules:
            raise SystemExit(f"slim: {module} is imported by the service: do not remove it")
        for path in paths:
            shutil.rmtree(path)
    for path in list(SITE.rglob("tests")):
        if path.is_dir() and (path.parent / "__init__.py").exists():
            shutil.rmtree(path)
    for path in list(SITE.rglob("*")):
        if path.suffix in JUNK_SUFFIXES and path.is_file():
            path.unlink()


def compile_loaded() -> int:
    roots = (str(SITE), str(PROJECT))
    files: set[str] = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.endswith(".py") and file.startswith(roots):
            files.add(file)
    count = 0
    for file in sorted(files):
        if os.path.exists(file):
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
