"""The sign-in page follows `next` only to a path of this site (frontend/js/next-path.js),
checked by running the page's own function in Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

MODULE = Path(__file__).resolve().parents[2] / "frontend" / "js" / "next-path.js"
ORIGIN = "https://extra-portion.example"
FALLBACK = "/cook.html"


def safe_next_path(tmp_path: Path, values: list[str | None]) -> list[str]:
    """What safeNextPath answers for each `next` (as URLSearchParams.get would give it)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    module = tmp_path / "next-path.mjs"
    module.write_text(MODULE.read_text(encoding="utf-8"), encoding="utf-8")
    script = tmp_path / "run.mjs"
    script.write_text(
        "import { safeNextPath } from './next-path.mjs';\n"
        "const values = JSON.parse(process.argv[2]);\n"
        f"const out = values.map((v) => safeNextPath(v, {json.dumps(ORIGIN)}, "
        f"{json.dumps(FALLBACK)}));\n"
        "process.stdout.write(JSON.stringify(out));\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [node, str(script), json.dumps(values)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def query_value(raw: str) -> str:
    """`next` as the page reads it: URLSearchParams decodes percent-escapes."""
    return unquote(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "/%5Cevil.example/x",
        "/%09/evil.example/x",
        "/%0A/evil.example/x",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "https://evil.example/x",
        "evil.example",
        "",
        # dot segments a browser resolves to the path "//evil.example" (an outside check)
        "/.//evil.example",
        "/%2e%2e//evil.example",
        "/a/../..//evil.example",
    ],
)
def test_sign_in_falls_back_to_home_when_next_leaves_the_site(tmp_path: Path, raw: str):
    assert safe_next_path(tmp_path, [query_value(raw)]) == [FALLBACK]


def test_sign_in_falls_back_to_home_when_next_is_missing(tmp_path: Path):
    assert safe_next_path(tmp_path, [None]) == [FALLBACK]


def test_sign_in_goes_on_to_next_when_it_is_a_path_of_this_site(tmp_path: Path):
    paths = ["/staff-diner.html?id=12", "/carer.html#relatives", "/"]
    assert safe_next_path(tmp_path, paths) == paths


def test_sign_in_page_uses_the_checked_next_when_redirecting():
    page = (MODULE.parent / "pages" / "sign-in.js").read_text(encoding="utf-8")
    assert "safeNextPath(params.get('next'), location.origin" in page
