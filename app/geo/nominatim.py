"""Online geocoding through a Nominatim server via geopy, falling back on any trouble.

Nominatim knows nothing of local authorities, so the LAD always comes from the fallback.
The public Nominatim service allows at most one request per second and needs a real
user agent; run your own instance (domain=...) for anything busy.
"""

import logging
from typing import Any

from geopy.adapters import URLLibAdapter
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim

from app.geo.bounds import in_uk_box
from app.geo.location import Geocoder, Location
from app.geo.logredact import install_postcode_redaction
from app.geo.postcodes import Postcode

logger = logging.getLogger(__name__)
install_postcode_redaction()

# Besides geopy's own errors, a malformed answer can surface while geopy parses it.
_ERRORS = (GeopyError, ValueError, TypeError, KeyError, AttributeError)


class NominatimGeocoder:
    """Unit-precision positions from Nominatim; `fallback` answers whenever it cannot."""

    def __init__(
        self,
        fallback: Geocoder,
        timeout: float,
        domain: str | None = None,
        scheme: str = "https",
        user_agent: str = "extra-portion",
    ) -> None:
        self._fallback = fallback
        options: dict[str, Any] = {"domain": domain} if domain else {}
        # geopy would pick requests when it happens to be installed, whose urllib3 retries a
        # timed-out read twice (tripling the wait) and logs the query URL at WARNING. The
        # standard-library adapter makes one attempt and behaves the same everywhere.
        self._nominatim = Nominatim(
            user_agent=user_agent,
            timeout=timeout,
            scheme=scheme,
            adapter_factory=URLLibAdapter,
            **options,
        )

    def locate(self, postcode: Postcode) -> Location | None:
        try:
            found = self._nominatim.geocode(
                {"postalcode": postcode.full}, exactly_one=True, country_codes="gb"
            )
            latitude = float(found.latitude) if found is not None else None
            longitude = float(found.longitude) if found is not None else None
        except _ERRORS as exc:
            # The exception text can contain the query URL: log the type and district only.
            logger.warning(
                "Nominatim lookup failed (%s) for district %s; using fallback geocoder",
                type(exc).__name__,
                postcode.district,
            )
            return self._fallback.locate(postcode)
        if latitude is None or longitude is None or not in_uk_box(latitude, longitude):
            logger.info("Nominatim has no UK place for district %s", postcode.district)
            return self._fallback.locate(postcode)
        fallback = self._fallback.locate(postcode)
        lad_code = fallback.lad_code if fallback is not None else None
        return Location(latitude, longitude, "unit", lad_code)
