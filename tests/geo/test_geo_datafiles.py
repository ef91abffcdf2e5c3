from importlib import resources

import pytest

from app.geo import datafiles
from app.geo.geocoding import (
    NominatimGeocoder,
    OfflineGeocoder,
    PostcodesIoGeocoder,
    build_geocoder,
)

SHIPPED = [
    datafiles.UNITS_FILE,
    datafiles.SECTORS_FILE,
    datafiles.DISTRICTS_FILE,
    datafiles.NI_DISTRICTS_FILE,
    datafiles.LAD_CENTROIDS_FILE,
    datafiles.LAD_BOUNDARIES_FILE,
    "codepoint_open_licence.txt",
    "codepoint_open_metadata.txt",
]


def test_attribution_names_every_file_when_shipped() -> None:
    text = datafiles.attribution_text()
    assert "Contains OS data © Crown copyright and database right 2025." in text
    assert "Contains Royal Mail data © Royal Mail copyright and database right 2025." in text
    assert "Open Government Licence v3.0" in text
    for name in SHIPPED:
        stem = name.removesuffix(".gz").split("barnet")[0]
        assert stem in text, name


def test_licence_file_is_kept_verbatim_when_copied() -> None:
    resource = resources.files("app.geo").joinpath("data").joinpath("codepoint_open_licence.txt")
    assert b"www.ordnancesurvey.co.uk/opendata/licence" in resource.read_bytes()


def test_boundaries_hold_the_three_demo_boroughs_when_loaded() -> None:
    geojson = datafiles.load_lad_boundaries()
    assert geojson["type"] == "FeatureCollection"
    codes = {feature["properties"]["lad_code"] for feature in geojson["features"]}
    assert codes == {"E09000003", "E09000030", "E07000211"}


def test_missing_column_is_named_when_reading_shipped_csv() -> None:
    with pytest.raises(ValueError, match="no column nope"):
        list(datafiles.read_columns(datafiles.NI_DISTRICTS_FILE, "district", "nope"))


def build(kind: str) -> object:
    return build_geocoder(
        kind, postcodes_io_url="http://127.0.0.1:9", nominatim_domain=None, timeout=1.0
    )


def test_configured_geocoder_is_built_when_kind_is_known() -> None:
    assert isinstance(build("offline"), OfflineGeocoder)
    online = build("postcodes_io")
    assert isinstance(online, PostcodesIoGeocoder)
    online.close()
    assert isinstance(build("nominatim"), NominatimGeocoder)


def test_value_error_is_raised_when_geocoder_kind_is_unknown() -> None:
    with pytest.raises(ValueError, match="unknown geocoder 'google'"):
        build("google")
