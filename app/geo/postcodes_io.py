"""Online geocoding through a postcodes.io server over httpx, falling back on any trouble.

Logs never name the full postcode (personal data): the district at most. httpx's own request
log line carries the URL, so it is redacted too (see logredact).
"""

import logging
import math
from typing import Any
from urllib.parse import quote

import httpx

from app.geo.bounds import in_uk_box
from app.geo.location import Geocoder, Location
from app.geo.logredact import install_postcode_redaction
from app.geo.postcodes import InvalidPostcode, Postcode, parse_postcode

logger = logging.getLogger(__name__)
install_postcode_redaction()


class PostcodesIoGeocoder:
    """Unit-precision positions from postcodes.io; `fallback` answers whenever it cannot."""

    def __init__(
        self,
        base_url: str,
        timeout: float,
        fallback: Geocoder,
        client: httpx.Client | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._fallback = fallback
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client if this geocoder created it."""
        if self._owns_client:
            self._client.close()

    def locate(self, postcode: Postcode) -> Location | None:
        url = f"{self._base_url}/postcodes/{quote(postcode.full)}"
        try:
            response = self._client.get(url, timeout=self._timeout)
        except httpx.HTTPError as exc:
            # The exception text can contain the URL, hence the postcode: log its type only.
            return self._fall_back(postcode, type(exc).__name__)
        if response.status_code == 404:
            # Unknown to postcodes.io (e.g. very new); offline data may still know the sector.
            logger.info("postcodes.io does not know a postcode in district %s", postcode.district)
            return self._fallback.locate(postcode)
        if response.status_code != 200:
            return self._fall_back(postcode, f"HTTP {response.status_code}")
        found = _parse_result(response, postcode)
        if found is None:
            return self._fall_back(postcode, "malformed response")
        latitude, longitude, lad_code = found
        if lad_code is None:
            # No LAD in the answer: borrow the offline one so council coverage still works.
            fallback = self._fallback.locate(postcode)
            lad_code = fallback.lad_code if fallback is not None else None
        return Location(latitude, longitude, "unit", lad_code)

    def _fall_back(self, postcode: Postcode, reason: str) -> Location | None:
        logger.warning(
            "postcodes.io lookup failed (%s) for district %s; using fallback geocoder",
            reason,
            postcode.district,
        )
        return self._fallback.locate(postcode)


def _parse_result(
    response: httpx.Response, postcode: Postcode
) -> tuple[float, float, str | None] | None:
    """(latitude, longitude, admin_district) from a 200 body, or None if it does not add up."""
    try:
        body: Any = response.json()
    except ValueError:
        return None
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict):
        return None
    # postcodes.io sends null coordinates for postcodes without a grid reference.
    latitude, longitude = _as_float(result.get("latitude")), _as_float(result.get("longitude"))
    if latitude is None or longitude is None or not in_uk_box(latitude, longitude):
        return None
    if not _same_postcode(result.get("postcode"), postcode):
        return None
    codes = result.get("codes")
    lad_code = codes.get("admin_district") if isinstance(codes, dict) else None
    return latitude, longitude, lad_code if isinstance(lad_code, str) and lad_code else None


def _as_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _same_postcode(answered: object, asked: Postcode) -> bool:
    if not isinstance(answered, str):
        return False
    try:
        return parse_postcode(answered) == asked
    except InvalidPostcode:
        return False
