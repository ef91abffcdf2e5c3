"""Importing an ONSPD extract into postcode_unit, on the run's database."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from app.config import Settings
from app.geo.importer import import_onspd
from app.geo.onspd import OnspdFormatError, OnspdStats
from app.models import PostcodeUnit
from app.places import locate_place
from tests.factories import create_council

# Some of the directory's columns, in its order; the importer reads only a few, by name.
HEADER = "pcd,pcd2,pcds,dointr,doterm,oscty,oslaua,osward,usertype,oseast1m,osnrth1m,ctry,lat,long"


def onspd_line(
    pcds: str,
    lat: str = "51.601000",
    long: str = "-0.195000",
    *,
    oslaua: str = "E09000003",
    doterm: str = "",
) -> str:
    outward, inward = pcds.split(" ")
    values = {
        "pcd": f"{outward:<4}{inward}",
        "pcd2": f"{outward:<5}{inward}",
        "pcds": pcds,
        "dointr": "198001",
        "doterm": doterm,
        "oscty": "E99999999",
        "oslaua": oslaua,
        "osward": "E05013629",
        "usertype": "0",
        "oseast1m": "524858",
        "osnrth1m": "190456",
        "ctry": "E92000001",
        "lat": lat,
        "long": long,
    }
    return ",".join(f'"{values[column]}"' for column in HEADER.split(","))


def stored(session: Session, *postcodes: str) -> dict[str, tuple[float, float, str | None]]:
    rows = session.exec(
        select(
            PostcodeUnit.postcode,
            PostcodeUnit.latitude,
            PostcodeUnit.longitude,
            PostcodeUnit.lad_code,
        ).where(col(PostcodeUnit.postcode).in_(postcodes))
    ).all()
    return {postcode: (lat, lon, lad) for postcode, lat, lon, lad in rows}


def test_live_units_are_stored_when_file_is_good(session: Session):
    lines = [
        HEADER,
        onspd_line("N3 1ZA"),
        onspd_line("N3 1ZB", doterm="201905"),
        onspd_line("N3 1ZD", "99.999999", "0.000000"),
        onspd_line("N3 1ZE", "51.602000", "-0.196000"),
    ]
    stats = import_onspd(session, lines)
    assert (stats.rows, stats.imported, stats.terminated, stats.no_grid) == (4, 2, 1, 1)
    assert stored(session, "N3 1ZA", "N3 1ZB", "N3 1ZD", "N3 1ZE") == {
        "N3 1ZA": (51.601, -0.195, "E09000003"),
        "N3 1ZE": (51.602, -0.196, "E09000003"),
    }


def test_units_are_updated_not_duplicated_when_imported_twice(session: Session):
    import_onspd(session, [HEADER, onspd_line("N3 1ZA"), onspd_line("N3 1ZE")])
    import_onspd(
        session, [HEADER, onspd_line("N3 1ZA", "51.603500", "-0.191000"), onspd_line("N3 1ZE")]
    )
    assert stored(session, "N3 1ZA", "N3 1ZE") == {
        "N3 1ZA": (51.6035, -0.191, "E09000003"),
        "N3 1ZE": (51.601, -0.195, "E09000003"),
    }


def test_held_unit_is_refreshed_when_reimported_in_same_session(session: Session):
    import_onspd(session, [HEADER, onspd_line("N3 1ZA")])
    held = session.get(PostcodeUnit, "N3 1ZA")
    import_onspd(session, [HEADER, onspd_line("N3 1ZA", "51.603500", "-0.191000")])
    assert held is not None and held.latitude == 51.6035


def test_later_row_wins_when_postcode_repeats_in_one_batch(session: Session):
    lines = [HEADER, onspd_line("N3 1ZA"), onspd_line("N3 1ZA", "51.604000", "-0.190000")]
    import_onspd(session, lines)
    assert stored(session, "N3 1ZA") == {"N3 1ZA": (51.604, -0.19, "E09000003")}


def test_each_batch_is_reported_when_file_spans_several(session: Session):
    seen: list[int] = []

    def on_batch(stats: OnspdStats) -> None:
        seen.append(stats.imported)

    lines = [HEADER, *(onspd_line(f"N3 1Z{letter}") for letter in "ABDEF")]
    import_onspd(session, lines, batch_size=2, on_batch=on_batch)
    assert seen == [2, 4, 5]
    assert len(stored(session, *(f"N3 1Z{letter}" for letter in "ABDEF"))) == 5


def test_nothing_is_stored_when_a_later_line_is_bad(session: Session):
    lines = [
        HEADER,
        onspd_line("N3 1ZA"),
        onspd_line("N3 1ZB"),
        onspd_line("N3 1ZD", lat="north"),
    ]
    with pytest.raises(OnspdFormatError, match="line 4: lat"):
        import_onspd(session, lines, batch_size=1)
    assert stored(session, "N3 1ZA", "N3 1ZB", "N3 1ZD") == {}


def test_imported_unit_wins_over_shipped_data_when_geocoding(session: Session, settings: Settings):
    create_council(session, lad_codes=["E09000003"])
    shipped = locate_place(session, raw_postcode="N3 1HT", role="cook", settings=settings)
    import_onspd(session, [HEADER, onspd_line("N3 1HT", "51.598765", "-0.187654")])
    place = locate_place(session, raw_postcode="n31ht", role="cook", settings=settings)
    assert (shipped.location.latitude, shipped.location.longitude) != (51.598765, -0.187654)
    assert place.location.precision == "unit"
    assert (place.location.latitude, place.location.longitude) == (51.598765, -0.187654)
