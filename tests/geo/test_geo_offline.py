import pytest

from app.geo.location import Location
from app.geo.offline import OfflineGeocoder, OfflineIndex, Point, load_offline_index
from app.geo.postcodes import parse_postcode

BARNET, TOWER_HAMLETS, REIGATE = "E09000003", "E09000030", "E07000211"


@pytest.fixture(scope="module")
def geocoder() -> OfflineGeocoder:
    return OfflineGeocoder(load_offline_index())


def locate(geocoder: OfflineGeocoder, raw: str) -> Location | None:
    return geocoder.locate(parse_postcode(raw))


def test_index_is_loaded_once_when_asked_repeatedly() -> None:
    index = load_offline_index()
    assert load_offline_index() is index
    # Row counts from SOURCE.md: GB sectors, GB districts plus 80 NI districts, demo units.
    assert (len(index.units), len(index.sectors), len(index.districts)) == (27_980, 10_847, 2_944)
    assert len(index.lads) == 350
    assert index.lads[BARNET].name.startswith("Barnet")


@pytest.mark.parametrize(
    ("raw", "latitude", "longitude", "lad"),
    [
        ("N3 1AA", 51.606477, -0.192566, BARNET),
        ("E14 5AB", 51.504937, -0.019523, TOWER_HAMLETS),
        ("RH2 9AA", 51.237417, -0.20628, REIGATE),
        ("RH1 1AA", 51.240567, -0.164682, REIGATE),
        ("E1 6AN", 51.518886, -0.078506, "E09000001"),  # fringe unit: the City, not the sector's
    ],
)
def test_unit_position_is_used_when_unit_is_in_shipped_file(
    geocoder: OfflineGeocoder, raw: str, latitude: float, longitude: float, lad: str
) -> None:
    assert locate(geocoder, raw) == Location(latitude, longitude, "unit", lad)


def test_unit_borrows_sector_lad_when_its_own_lad_is_blank(geocoder: OfflineGeocoder) -> None:
    # E1W 1BQ is a PQ 60 fringe postcode with blank LAD fields in Code-Point Open.
    found = locate(geocoder, "E1W 1BQ")
    assert found is not None
    assert (found.precision, found.lad_code) == ("unit", TOWER_HAMLETS)


@pytest.mark.parametrize(
    ("raw", "latitude", "longitude", "lad"),
    [
        ("N3 1ZZ", 51.6040, -0.1956, BARNET),
        ("E1 6ZZ", 51.5208, -0.0743, TOWER_HAMLETS),
        ("RH2 9ZZ", 51.2435, -0.2101, REIGATE),
        ("SW1A 1AA", 51.5050, -0.1393, "E09000033"),  # outside the demo boroughs
    ],
)
def test_sector_centroid_is_used_when_unit_is_unknown(
    geocoder: OfflineGeocoder, raw: str, latitude: float, longitude: float, lad: str
) -> None:
    found = locate(geocoder, raw)
    assert found is not None
    assert found.precision == "sector"
    assert found.latitude == pytest.approx(latitude, abs=1e-4)
    assert found.longitude == pytest.approx(longitude, abs=1e-4)
    assert found.lad_code == lad


@pytest.mark.parametrize(
    ("raw", "latitude", "longitude", "lad"),
    [
        ("N3 5AA", 51.6001, -0.1939, BARNET),  # N3 has sectors 1, 2, 3 and 9 only
        ("SW1A 7AA", 51.504521, -0.13225, "E09000033"),
        ("RH2 5AA", 51.2352, -0.2030, REIGATE),
    ],
)
def test_district_centroid_is_used_when_sector_is_unknown(
    geocoder: OfflineGeocoder, raw: str, latitude: float, longitude: float, lad: str
) -> None:
    found = locate(geocoder, raw)
    assert found is not None
    assert found.precision == "district"
    assert found.latitude == pytest.approx(latitude, abs=1e-4)
    assert found.longitude == pytest.approx(longitude, abs=1e-4)
    assert found.lad_code == lad


def test_district_lad_is_used_when_sector_has_no_main_lad(geocoder: OfflineGeocoder) -> None:
    # B42 9 is one of five PO-box sectors with a blank main_lad_code.
    found = locate(geocoder, "B42 9AA")
    assert found is not None
    assert (found.precision, found.lad_code) == ("sector", "E08000025")


def test_ni_district_is_approximate_without_lad_when_postcode_is_in_bt(
    geocoder: OfflineGeocoder,
) -> None:
    found = locate(geocoder, "BT1 1AA")
    assert found is not None
    assert (found.precision, found.lad_code) == ("district", None)
    assert (found.latitude, found.longitude) == pytest.approx((54.5996, -5.9281), abs=1e-4)


@pytest.mark.parametrize("raw", ["ZZ9 9ZZ", "GIR 0AA", "JE2 3AB", "IM1 1AA", "BN91 1AA"])
def test_none_is_returned_when_postcode_is_known_nowhere(
    geocoder: OfflineGeocoder, raw: str
) -> None:
    assert locate(geocoder, raw) is None


def test_extra_units_win_when_council_imported_the_postcode() -> None:
    asked: list[str] = []

    def extra(full: str) -> tuple[float, float, str | None] | None:
        asked.append(full)
        return (51.61, -0.19, "E09000099") if full == "N3 1AA" else None

    geocoder = OfflineGeocoder(load_offline_index(), extra_units=extra)
    assert locate(geocoder, "n31aa") == Location(51.61, -0.19, "unit", "E09000099")
    found = locate(geocoder, "N3 1AB")
    assert found is not None
    assert found.precision == "unit"  # from the shipped file, after extra_units said no
    assert asked == ["N3 1AA", "N3 1AB"]


def test_extra_unit_borrows_area_lad_when_it_has_none() -> None:
    geocoder = OfflineGeocoder(load_offline_index(), extra_units=lambda full: (51.6, -0.19, None))
    assert locate(geocoder, "N3 5ZZ") == Location(51.6, -0.19, "unit", BARNET)


def test_fallback_chain_is_followed_when_index_is_tiny() -> None:
    index = OfflineIndex(
        units={"AB1 2DE": Point(1.0, 1.0, None)},
        sectors={"AB1 2": Point(2.0, 2.0, "S-LAD")},
        districts={"AB1": Point(3.0, 3.0, "D-LAD"), "CD1": Point(4.0, 4.0, None)},
        lads={},
    )
    geocoder = OfflineGeocoder(index)
    assert locate(geocoder, "AB1 2DE") == Location(1.0, 1.0, "unit", "S-LAD")
    assert locate(geocoder, "AB1 2ZZ") == Location(2.0, 2.0, "sector", "S-LAD")
    assert locate(geocoder, "AB1 3ZZ") == Location(3.0, 3.0, "district", "D-LAD")
    assert locate(geocoder, "CD1 1AA") == Location(4.0, 4.0, "district", None)
    assert locate(geocoder, "EF1 1AA") is None


def test_lad_sectors_are_listed_when_seeding_neighbourhoods() -> None:
    sectors = load_offline_index().sectors_in_lad(BARNET)
    assert {"N3 1", "N3 2", "N3 3", "N3 9"} <= set(sectors)
    assert sectors == sorted(sectors)
    assert "E1 6" not in sectors
