import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.geo.location import Location
from app.geo.postcodes import parse_postcode
from app.geo.postcodes_io import PostcodesIoGeocoder
from tests.geo.stubs import SECTOR_ANSWER, RecordingGeocoder

BASE_URL = "http://postcodes.test"
N3_1AA = parse_postcode("N3 1AA")


def postcodes_io_result(postcode: str = "N3 1AA", **changes: Any) -> dict[str, Any]:
    """A 200 body in postcodes.io's format (field set of GET /postcodes/:postcode)."""
    result: dict[str, Any] = {
        "postcode": postcode,
        "quality": 1,
        "eastings": 525262,
        "northings": 191285,
        "country": "England",
        "nhs_ha": "London",
        "longitude": -0.192566,
        "latitude": 51.606477,
        "european_electoral_region": "London",
        "primary_care_trust": "Barnet",
        "region": "London",
        "lsoa": "Barnet 030A",
        "msoa": "Barnet 030",
        "incode": "1AA",
        "outcode": "N3",
        "parliamentary_constituency": "Finchley and Golders Green",
        "admin_district": "Barnet",
        "parish": "Barnet, unparished area",
        "admin_county": None,
        "date_of_introduction": "198001",
        "admin_ward": "West Finchley",
        "ced": None,
        "ccg": "NHS North Central London",
        "nuts": "Barnet",
        "pfa": "Metropolitan Police",
        "codes": {
            "admin_district": "E09000003",
            "admin_county": "E99999999",
            "admin_ward": "E05013648",
            "parish": "E43000189",
            "parliamentary_constituency": "E14001236",
            "ccg": "E38000240",
            "ccg_id": "93C",
            "ced": "E99999999",
            "nuts": "TLI71",
            "lsoa": "E01000243",
            "msoa": "E02000052",
            "lau2": "E09000003",
            "pfa": "E23000001",
        },
    }
    result.update(changes)
    return {"status": 200, "result": result}


Handler = Callable[[httpx.Request], httpx.Response]


def geocoder_with(
    handler: Handler, fallback: RecordingGeocoder | None = None
) -> tuple[PostcodesIoGeocoder, RecordingGeocoder, list[httpx.Request]]:
    fallback = fallback or RecordingGeocoder(SECTOR_ANSWER)
    requests: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return handler(request)

    client = httpx.Client(transport=httpx.MockTransport(recording))
    return PostcodesIoGeocoder(BASE_URL + "/", 2.0, fallback, client=client), fallback, requests


def test_unit_location_is_returned_when_postcodes_io_knows_the_postcode() -> None:
    geocoder, fallback, requests = geocoder_with(
        lambda request: httpx.Response(200, json=postcodes_io_result())
    )
    assert geocoder.locate(N3_1AA) == Location(51.606477, -0.192566, "unit", "E09000003")
    assert fallback.asked == []
    assert [str(request.url) for request in requests] == [f"{BASE_URL}/postcodes/N3%201AA"]


def test_httpx_request_log_hides_the_postcode_when_logging_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    geocoder, _, _ = geocoder_with(lambda request: httpx.Response(200, json=postcodes_io_result()))
    # The app's logging set-up keeps httpx at WARNING; someone may still turn it up to INFO.
    with caplog.at_level(logging.INFO, logger="httpx"):
        geocoder.locate(N3_1AA)
    assert "/postcodes/N3 ***" in caplog.text
    assert "1AA" not in caplog.text


def test_fallback_answers_when_postcodes_io_returns_404() -> None:
    body = {"status": 404, "error": "Postcode not found"}
    geocoder, fallback, _ = geocoder_with(lambda request: httpx.Response(404, json=body))
    assert geocoder.locate(N3_1AA) == SECTOR_ANSWER
    assert fallback.asked == ["N3 1AA"]


def test_fallback_answers_when_postcodes_io_returns_500(caplog: pytest.LogCaptureFixture) -> None:
    body = {"status": 500, "error": "Internal server error"}
    geocoder, _, _ = geocoder_with(lambda request: httpx.Response(500, json=body))
    with caplog.at_level(logging.WARNING):
        assert geocoder.locate(N3_1AA) == SECTOR_ANSWER
    assert "HTTP 500" in caplog.text
    assert "N3" in caplog.text
    assert "1AA" not in caplog.text  # never the full postcode


@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout("timed out"), httpx.ConnectError("connection refused")]
)
def test_fallback_answers_when_network_fails(
    error: httpx.HTTPError, caplog: pytest.LogCaptureFixture
) -> None:
    def failing(request: httpx.Request) -> httpx.Response:
        raise error

    geocoder, _, _ = geocoder_with(failing)
    with caplog.at_level(logging.WARNING):
        assert geocoder.locate(N3_1AA) == SECTOR_ANSWER
    assert type(error).__name__ in caplog.text
    assert "N3 1AA" not in caplog.text and "N3%201AA" not in caplog.text


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>gateway</html>"),
        httpx.Response(200, json=[]),
        httpx.Response(200, json={"status": 200}),
        httpx.Response(200, json={"status": 200, "result": None}),
        httpx.Response(200, json=postcodes_io_result(latitude=None, longitude=None)),
        httpx.Response(200, json=postcodes_io_result(latitude="51.6")),
        httpx.Response(200, json=postcodes_io_result(latitude=True)),
        httpx.Response(200, json=postcodes_io_result(latitude=0.0, longitude=0.0)),
        httpx.Response(200, json=postcodes_io_result(postcode="N3 1AB")),
        httpx.Response(200, content=json.dumps(postcodes_io_result())[:-5].encode()),
        httpx.Response(302, headers={"location": "http://elsewhere.test/"}),
    ],
)
def test_fallback_answers_when_body_is_malformed(response: httpx.Response) -> None:
    geocoder, fallback, _ = geocoder_with(lambda request: response)
    assert geocoder.locate(N3_1AA) == SECTOR_ANSWER
    assert fallback.asked == ["N3 1AA"]


def test_fallback_lad_is_borrowed_when_answer_has_no_admin_district() -> None:
    body = postcodes_io_result(codes={"admin_ward": "E05013648"})
    geocoder, fallback, _ = geocoder_with(lambda request: httpx.Response(200, json=body))
    assert geocoder.locate(N3_1AA) == Location(51.606477, -0.192566, "unit", "E09000003")
    assert fallback.asked == ["N3 1AA"]


def test_none_is_returned_when_neither_service_nor_fallback_knows() -> None:
    body = {"status": 404, "error": "Postcode not found"}
    geocoder, _, _ = geocoder_with(
        lambda request: httpx.Response(404, json=body), RecordingGeocoder(None)
    )
    assert geocoder.locate(parse_postcode("ZZ9 9ZZ")) is None


def test_injected_client_is_left_open_when_geocoder_closes() -> None:
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(404)))
    PostcodesIoGeocoder(BASE_URL, 1.0, RecordingGeocoder(None), client=client).close()
    assert not client.is_closed
    client.close()
