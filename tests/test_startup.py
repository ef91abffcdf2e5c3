"""Start-up: the app imports without the libraries only some requests need (they cost seconds)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Imported where they are used: matching's arrays (numpy), the batch's solver (scipy.sparse,
# OR-Tools), the k-d tree (scipy.spatial), the calendar feed (icalendar), the online geocoders
# (httpx, geopy), the page templates (jinja2, with GOV.UK Frontend's macros), the GOV.UK Notify
# client and its HTTP stack (notifications_python_client, requests, urllib3). Each of the last
# two cost start-up a tenth of a second or more.
LAZY = (
    "numpy",
    "scipy",
    "ortools",
    "icalendar",
    "geopy",
    "httpx",
    "jinja2",
    "govuk_frontend_jinja",
    "notifications_python_client",
    "requests",
    "urllib3",
)


def modules_after(statement: str) -> set[str]:
    script = f"import sys\n{statement}\nprint(__import__('json').dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return {name.split(".")[0] for name in json.loads(out.stdout.splitlines()[-1])}


def test_heavy_libraries_are_not_imported_when_the_app_starts():
    assert modules_after("import app.main").isdisjoint(LAZY)


@pytest.mark.parametrize(
    ("statement", "library"),
    [
        ("from app.geo.geocoding import NominatimGeocoder", "geopy"),
        ("from app.geo.geocoding import PostcodesIoGeocoder", "httpx"),
        (
            "from app.calendar_feed import cook_calendar; import datetime as dt; "
            "cook_calendar([], cook_display_name='A', tz='Europe/London', "
            "stamp=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))",
            "icalendar",
        ),
        ("from app.matching.spatial import PointIndex; PointIndex([51.5], [-0.1])", "scipy"),
        ("from app.matching.spatial import haversine_m; haversine_m(51.5, 0, 51.6, 0)", "numpy"),
        ("from app.pages.templating import templates; templates()", "jinja2"),
        (
            "from app.pages.templating import templates; "
            "templates().env.get_template('govuk_frontend_jinja/template.html')",
            "govuk_frontend_jinja",
        ),
        ("from app.notifications.notify import NotifyChannel", "requests"),
    ],
)
def test_lazy_library_is_imported_when_first_used(statement: str, library: str):
    assert library in modules_after(statement)


def python_prints(statement: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", statement], capture_output=True, text=True, check=True, timeout=120
    )
    return out.stdout.strip().splitlines()[-1]


def test_the_app_includes_each_router_itself_when_it_is_built():
    """FastAPI analyses a route again for each inclusion it sits under: a router of routers
    (the pages' did) made it analyse every page route once more while the app was built."""
    from app.main import app

    included = [route.original_router for route in app.routes if hasattr(route, "original_router")]
    assert len(included) > 20  # the API's routers and each page router
    for router in included:
        assert not any(hasattr(route, "original_router") for route in router.routes)


def test_the_cycle_collector_is_back_on_after_start_up_with_start_up_objects_set_aside():
    # Paused while the app is built (app/main.py), then on again, with what start-up made frozen.
    after_start_up = "import gc, app.main; print(gc.isenabled(), gc.get_freeze_count() > 100_000)"
    assert python_prints(after_start_up) == "True True"
    # A process that turned the collector off itself keeps it off.
    turned_off = "import gc; gc.disable(); import app.main; print(gc.isenabled())"
    assert python_prints(turned_off) == "False"
