"""The sign-in page follows `next` only to a path of this site, and not to another role's pages
(frontend/js/next-path.js), checked by running the page's own functions in Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from app.pages.forms import safe_next
from app.pages.templating import HOME_OF_ROLE, landing

MODULE = Path(__file__).resolve().parents[2] / "frontend" / "js" / "next-path.js"
ORIGIN = "https://extra-portion.example"
FALLBACK = "/cook.html"


def in_node(tmp_path: Path, call: str, values: list[str | None]) -> list[object]:
    """What the JavaScript `call` answers for each value `v`, with the module's exports as `m`
    (each `v` as URLSearchParams.get would give it)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    module = tmp_path / "next-path.mjs"
    module.write_text(MODULE.read_text(encoding="utf-8"), encoding="utf-8")
    script = tmp_path / "run.mjs"
    script.write_text(
        "import * as m from './next-path.mjs';\n"
        f"const ORIGIN = {json.dumps(ORIGIN)};\n"
        "const values = JSON.parse(process.argv[2]);\n"
        f"const out = values.map((v) => {call});\n"
        "process.stdout.write(JSON.stringify(out));\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [node, str(script), json.dumps(values)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def safe_next_path(tmp_path: Path, values: list[str | None]) -> list[object]:
    return in_node(tmp_path, f"m.safeNextPath(v, ORIGIN, {json.dumps(FALLBACK)})", values)


def landing_path(tmp_path: Path, role: str, values: list[str | None]) -> list[object]:
    return in_node(tmp_path, f"m.landingPath({json.dumps(role)}, v, ORIGIN)", values)


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


def test_sign_in_goes_home_when_next_is_another_roles_page(tmp_path: Path):
    """A carer sent on from a staff page met "You cannot do this" (a newcomer's walk)."""
    others = ["/staff/cooks.html?id=3", "/staff/", "/staff", "/admin/", "/cook/meals#next"]
    assert landing_path(tmp_path, "carer", others) == ["/carer/"] * len(others)


def test_sign_in_goes_on_to_next_when_it_is_the_roles_own_page_or_anyones(tmp_path: Path):
    paths = ["/carer/diners/3?tab=meals#next", "/carer", "/account/password", "/cookies", "/"]
    assert landing_path(tmp_path, "carer", paths) == paths


def test_sign_in_goes_home_when_next_leaves_the_site_or_is_missing(tmp_path: Path):
    assert (
        landing_path(tmp_path, "staff", ["//evil.example", "/.//evil.example", None])
        == ["/staff/"] * 3
    )


@pytest.mark.parametrize("role", [*HOME_OF_ROLE, "someone"])
def test_sign_in_page_lands_where_the_servers_sign_in_page_does(tmp_path: Path, role: str):
    """The static page's table and rule are the server's (app/pages/templating.py)."""
    paths = [
        *(home for home in HOME_OF_ROLE.values()),
        *(home.rstrip("/") for home in HOME_OF_ROLE.values()),
        *(home.rstrip("/") + "?from=email" for home in HOME_OF_ROLE.values()),
        *(home + "page?x=1" for home in HOME_OF_ROLE.values()),
        "/account/password",
        "/",
        None,
    ]
    expected = [landing(role, safe_next(path)) for path in paths]
    assert landing_path(tmp_path, role, paths) == expected
    assert in_node(tmp_path, "m.HOME", [None]) == [HOME_OF_ROLE]


def test_sign_in_page_lands_with_the_checked_next_when_redirecting():
    page = (MODULE.parent / "pages" / "sign-in.js").read_text(encoding="utf-8")
    assert "landingPath(session.user.role, params.get('next'), location.origin)" in page
