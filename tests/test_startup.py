"""Start-up: the app imports without the libraries only some requests need (they cost seconds)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.routing import DeferredRoute, include_deferred

# Imported where they are used: matching's arrays (numpy), the batch's solver (scipy.sparse,
# OR-Tools), the k-d tree (scipy.spatial), the calendar feed (icalendar), the online geocoders
# (httpx, geopy), the page templates (jinja2, with GOV.UK Frontend's macros), the GOV.UK Notify
# client and its HTTP stack (notifications_python_client, requests, urllib3), the phone number
# parser (phonenumbers: a few hundredths of a second, mostly its patterns). Each of the Jinja and
# Notify groups cost start-up a tenth of a second or more.
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
    "phonenumbers",
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
        ("from app.accounts.contact import e164_phone; e164_phone('07911 123456')", "phonenumbers"),
    ],
)
def test_lazy_library_is_imported_when_first_used(statement: str, library: str):
    assert library in modules_after(statement)


def python_prints(statement: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", statement], capture_output=True, text=True, check=True, timeout=120
    )
    return out.stdout.strip().splitlines()[-1]


def test_the_app_starts_with_its_routes_defined_but_not_analysed():
    """FastAPI analysed every route when it was defined (a third of the import), and once more in
    a copy the first time a request walked past its router's inclusion (app/routing.py)."""
    counts = (
        "import app.main; from app.routing import DeferredRoute; from fastapi import routing; "
        "rs = app.main.app.routes; print(sum(isinstance(r, DeferredRoute) for r in rs), "
        "sum(isinstance(r, DeferredRoute) and r.analysed for r in rs), "
        "sum(isinstance(r, routing.APIRoute) and not isinstance(r, DeferredRoute) for r in rs), "
        "sum(hasattr(r, 'original_router') for r in rs))"
    )
    deferred, analysed, analysed_at_start, included = map(int, python_prints(counts).split())
    assert deferred > 150  # every API and page route
    # Only /healthz is analysed at start. A router made without `route_class=DeferredRoute` is
    # included as FastAPI includes it (an inclusion here): its routes analysed twice again.
    assert (analysed, analysed_at_start, included) == (0, 1, 0)


def test_a_request_analyses_only_the_route_it_reaches(real_engine: Engine):
    # On a migrated database (real_engine): on one that is not, a request answers 503 "not
    # migrated" before it reaches its route's sign-in check.
    from app.main import create_app

    app = create_app()  # a fresh app: others in this process may have analysed the shared one
    deferred = [r for r in app.routes if isinstance(r, DeferredRoute)]
    assert deferred and not any(r.analysed for r in deferred)

    assert TestClient(app).get("/api/cooks/me").status_code == 401
    reached = [(r.path, r.methods) for r in deferred if r.analysed]
    assert reached == [("/api/cooks/me", {"GET"})]


def test_what_a_route_holds_before_its_analysis_is_what_the_analysis_sets():
    from app.main import create_app

    def matching(route: APIRoute) -> tuple[Any, ...]:
        convertors = {k: type(v) for k, v in route.param_convertors.items()}
        return (route.path, route.endpoint, route.name, route.path_regex.pattern,
                route.path_format, convertors, route.methods)  # fmt: skip

    routes = [r for r in create_app().routes if isinstance(r, DeferredRoute)]
    before = [matching(route) for route in routes]
    assert all(route.dependant is not None for route in routes)  # each analysed now
    assert all(route.analysed for route in routes)
    assert [matching(route) for route in routes] == before


def routers() -> list[APIRouter]:
    import app.main
    from app.pages.router import ROUTERS

    found = [v for v in vars(app.main).values() if isinstance(v, APIRouter)]
    assert len(found) > 10
    return [*found, *ROUTERS]


def described(app: FastAPI) -> list[str]:
    """Each route as FastAPI serves it: what it matches, its dependencies' tree, its fields."""

    def tree(d: Dependant) -> tuple[Any, ...]:
        fields = [[f.name for f in fs] for fs in (d.path_params, d.query_params, d.body_params)]
        return (d.call, d.name, d.use_cache, fields, [tree(s) for s in d.dependencies])

    out = []
    for r in routing.iter_route_contexts(app.routes):
        if not isinstance(r.original_route, APIRoute):
            continue  # the app's own /docs and /openapi.json
        route: APIRoute = r  # type: ignore[assignment]  # FastAPI's route-like view
        body, response = route.body_field, route.response_field
        out.append(repr((
            route.path, route.path_format, sorted(route.methods), route.name, route.tags,
            route.dependencies, route.include_in_schema, route.response_model, route.status_code,
            route.response_class, route.description, route.summary, route.unique_id,
            route.responses, route.deprecated, route.max_body_size, route.callbacks,
            tree(route.dependant), body and (body.name, body.field_info.annotation),
            response and response.field_info.annotation, route.stream_item_type,
            route.dependency_overrides_provider is app, route.response_description,
        )))  # fmt: skip
    return [re.sub(r" at 0x[0-9a-f]+", "", line) for line in out]


@pytest.mark.parametrize("router", routers(), ids=lambda r: r.routes[0].path)
def test_each_router_adds_the_routes_fastapi_would_include(router: APIRouter):
    included, deferred = FastAPI(), FastAPI()
    included.include_router(router)
    include_deferred(deferred.router, router)
    assert not any(hasattr(r, "original_router") for r in deferred.routes)
    assert described(deferred) == described(included)
    assert json.dumps(deferred.openapi()) == json.dumps(included.openapi())


def test_the_cycle_collector_is_back_on_after_start_up_with_start_up_objects_set_aside():
    # Paused while the app is built (app/main.py), then on again, with what start-up made frozen.
    after_start_up = "import gc, app.main; print(gc.isenabled(), gc.get_freeze_count() > 100_000)"
    assert python_prints(after_start_up) == "True True"
    # A process that turned the collector off itself keeps it off.
    turned_off = "import gc; gc.disable(); import app.main; print(gc.isenabled())"
    assert python_prints(turned_off) == "False"
