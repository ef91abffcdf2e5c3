import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.geo.location import Location
from app.geo.nominatim import NominatimGeocoder
from app.geo.postcodes import parse_postcode
from tests.geo.stubs import SECTOR_ANSWER, RecordingGeocoder

N3_1AA = parse_postcode("N3 1AA")

# One result of Nominatim's /search in its JSON format (what geopy asks for).
N3_1AA_PLACE: dict[str, Any] = {
    "place_id": 259_176_402,
    "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
    "osm_type": "node",
    "osm_id": 0,
    "lat": "51.6064893",
    "lon": "-0.1925611",
    "class": "place",
    "type": "postcode",
    "place_rank": 25,
    "importance": 0.00000999999999995449,
    "addresstype": "postcode",
    "name": "N3 1AA",
    "display_name": "N3 1AA, London Borough of Barnet, London, Greater London, England, "
    "United Kingdom",
    "boundingbox": ["51.5564893", "51.6564893", "-0.2425611", "-0.1425611"],
}


@dataclass
class StandIn:
    """What the local Nominatim stand-in answers, and what it was asked."""

    status: int = 200
    body: Any = field(default_factory=lambda: [N3_1AA_PLACE])
    delay: float = 0.0
    queries: list[dict[str, list[str]]] = field(default_factory=list)
    user_agents: list[str | None] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    block_on_close = False  # do not wait for a deliberately slow handler at shutdown
    stand_in: StandIn

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out leaves a broken pipe behind; that is the test's point


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        stand_in = self.server.stand_in
        url = urlsplit(self.path)
        stand_in.queries.append(parse_qs(url.query))
        stand_in.user_agents.append(self.headers.get("User-Agent"))
        time.sleep(stand_in.delay)
        if url.path != "/search":
            self.send_error(404)
            return
        payload = json.dumps(stand_in.body).encode()
        self.send_response(stand_in.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


@pytest.fixture
def nominatim() -> Iterator[tuple[StandIn, str]]:
    """A Nominatim stand-in on 127.0.0.1 and the domain to give geopy."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.stand_in = StandIn()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.stand_in, f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def make_geocoder(
    domain: str, fallback: RecordingGeocoder, timeout: float = 2.0
) -> NominatimGeocoder:
    return NominatimGeocoder(fallback=fallback, timeout=timeout, domain=domain, scheme="http")


def test_unit_location_with_fallback_lad_is_returned_when_nominatim_answers(
    nominatim: tuple[StandIn, str],
) -> None:
    stand_in, domain = nominatim
    fallback = RecordingGeocoder(SECTOR_ANSWER)
    found = make_geocoder(domain, fallback).locate(N3_1AA)
    assert found == Location(51.6064893, -0.1925611, "unit", "E09000003")
    [query] = stand_in.queries
    assert query["postalcode"] == ["N3 1AA"]
    assert query["countrycodes"] == ["gb"]
    assert stand_in.user_agents == ["extra-portion"]


def test_lad_is_none_when_fallback_does_not_know_the_postcode(
    nominatim: tuple[StandIn, str],
) -> None:
    _, domain = nominatim
    found = make_geocoder(domain, RecordingGeocoder(None)).locate(N3_1AA)
    assert found == Location(51.6064893, -0.1925611, "unit", None)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, []),  # nothing found
        (500, {"error": "Internal Server Error"}),
        (200, "not a list"),
        (200, [{**N3_1AA_PLACE, "lat": "north"}]),
        (200, [{**N3_1AA_PLACE, "lat": "48.85", "lon": "2.35"}]),  # not in the UK
    ],
)
def test_fallback_answers_when_nominatim_cannot(
    nominatim: tuple[StandIn, str], status: int, body: Any
) -> None:
    stand_in, domain = nominatim
    stand_in.status, stand_in.body = status, body
    fallback = RecordingGeocoder(SECTOR_ANSWER)
    assert make_geocoder(domain, fallback).locate(N3_1AA) == SECTOR_ANSWER
    assert fallback.asked == ["N3 1AA"]


def test_fallback_answers_when_nominatim_is_too_slow(
    nominatim: tuple[StandIn, str], caplog: pytest.LogCaptureFixture
) -> None:
    stand_in, domain = nominatim
    stand_in.delay = 1.0
    fallback = RecordingGeocoder(SECTOR_ANSWER)
    with caplog.at_level(logging.WARNING):
        assert make_geocoder(domain, fallback, timeout=0.2).locate(N3_1AA) == SECTOR_ANSWER
    assert "GeocoderTimedOut" in caplog.text
    assert "1AA" not in caplog.text


def test_fallback_answers_when_nominatim_is_down(caplog: pytest.LogCaptureFixture) -> None:
    # Take a free port, then close it: nothing listens there.
    server = _Server(("127.0.0.1", 0), _Handler)
    domain = f"127.0.0.1:{server.server_address[1]}"
    server.server_close()
    fallback = RecordingGeocoder(SECTOR_ANSWER)
    with caplog.at_level(logging.WARNING):
        assert make_geocoder(domain, fallback).locate(N3_1AA) == SECTOR_ANSWER
    assert fallback.asked == ["N3 1AA"]
    assert "district N3" in caplog.text
    assert "1AA" not in caplog.text


def test_no_log_line_holds_the_full_postcode_when_debug_logging_is_on(
    nominatim: tuple[StandIn, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, domain = nominatim
    with caplog.at_level(logging.DEBUG):
        make_geocoder(domain, RecordingGeocoder(SECTOR_ANSWER)).locate(N3_1AA)
    assert "postalcode=N3 ***" in caplog.text  # geopy's own debug line, redacted
    assert "1AA" not in caplog.text
