"""Geocoding UK postcodes: offline by default, an online service as an optional upgrade.

Every online geocoder wraps the offline one as its fallback, so a slow or broken service only
costs precision (sector or district centre instead of the unit), never a failed sign-up.
"""

from app.geo.location import ExtraUnits, Geocoder, Location, Precision
from app.geo.offline import OfflineGeocoder, OfflineIndex, load_offline_index

__all__ = [
    "GEOCODER_KINDS",
    "ExtraUnits",
    "Geocoder",
    "Location",
    "OfflineGeocoder",
    "OfflineIndex",
    "Precision",
    "build_geocoder",
    "load_offline_index",
]

GEOCODER_KINDS = ("offline", "postcodes_io", "nominatim")


def build_geocoder(
    kind: str,
    *,
    postcodes_io_url: str,
    nominatim_domain: str | None,
    timeout: float,
    extra_units: ExtraUnits | None = None,
) -> Geocoder:
    """The configured geocoder; online kinds fall back to the offline one."""
    offline = OfflineGeocoder(load_offline_index(), extra_units)
    if kind == "offline":
        return offline
    # The online geocoders' clients (httpx, geopy) are imported only when configured: they
    # cost start-up time that the default offline geocoder does not need.
    if kind == "postcodes_io":
        from app.geo.postcodes_io import PostcodesIoGeocoder

        return PostcodesIoGeocoder(postcodes_io_url, timeout, fallback=offline)
    if kind == "nominatim":
        from app.geo.nominatim import NominatimGeocoder

        return NominatimGeocoder(fallback=offline, timeout=timeout, domain=nominatim_domain)
    raise ValueError(f"unknown geocoder {kind!r}; expected one of {', '.join(GEOCODER_KINDS)}")


def __getattr__(name: str) -> object:
    """The online geocoders, imported on first use (see build_geocoder)."""
    if name == "NominatimGeocoder":
        from app.geo.nominatim import NominatimGeocoder

        return NominatimGeocoder
    if name == "PostcodesIoGeocoder":
        from app.geo.postcodes_io import PostcodesIoGeocoder

        return PostcodesIoGeocoder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
