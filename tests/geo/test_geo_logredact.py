import logging

import pytest

from app.geo.logredact import PostcodeRedactingFilter, redact_postcodes


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("GET http://x.test/postcodes/N3%201AA 200", "GET http://x.test/postcodes/N3 *** 200"),
        ("/search?postalcode=SW1A+1AA&format=json", "/search?postalcode=SW1A ***&format=json"),
        ("lookup n31aa failed", "lookup n3 *** failed"),
        ("E1W 1BQ and RH2 9AA", "E1W *** and RH2 ***"),
        ("no postcode here, port 43989, district N3", "no postcode here, port 43989, district N3"),
    ],
)
def test_inward_code_is_hidden_when_text_holds_a_postcode(text: str, redacted: str) -> None:
    assert redact_postcodes(text) == redacted


def test_record_is_rewritten_when_its_arguments_hold_a_postcode() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "GET %s", ("/p/N3%201AA",), None)
    assert PostcodeRedactingFilter().filter(record)
    assert record.getMessage() == "GET /p/N3 ***"
