import itertools
from collections.abc import Iterator

import pytest

from app.geo.onspd import OnspdFormatError, OnspdRow, OnspdStats, read_onspd

# Column names of an ONSPD release with the old-style LAD column (only some are filled in here).
OLD_HEADER = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,"
    "osgrdind,oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,"
    "casward,park,lsoa01,msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,sicbl,bua11,buasd11,"
    "ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,msoa21"
)
# Newer releases name the LAD column by year.
NEW_HEADER = (
    "pcd7,pcd8,pcds,dointr,doterm,usrtypind,east1m,north1m,gridind,oa21cd,cty25cd,ced25cd,"
    "lad25cd,wd25cd,nhser24cd,ctry25cd,rgn25cd,pcon24cd,lat,long"
)


def line(header: str, **values: str) -> str:
    """A quoted CSV data line for `header` with the given fields set and the rest empty."""
    columns = header.split(",")
    assert set(values) <= set(columns)
    return ",".join(f'"{values.get(column, "")}"' for column in columns)


def barnet(
    header: str, pcds: str, lat: str = "51.606477", long: str = "-0.192566", **rest: str
) -> str:
    lad = "oslaua" if "oslaua" in header else "lad25cd"
    return line(header, pcds=pcds, lat=lat, long=long, **{lad: "E09000003", **rest})


@pytest.mark.parametrize("header", [OLD_HEADER, NEW_HEADER])
def test_live_postcodes_are_read_when_file_is_good(header: str) -> None:
    lines = [
        header,
        barnet(header, "N3 1AA"),
        barnet(header, "n3  1ab", lat="51.606", long="-0.1929"),
    ]
    stats = OnspdStats()
    assert list(read_onspd(lines, stats)) == [
        OnspdRow("N3 1AA", 51.606477, -0.192566, "E09000003"),
        OnspdRow("N3 1AB", 51.606, -0.1929, "E09000003"),
    ]
    assert (stats.rows, stats.imported) == (2, 2)


def test_terminated_and_ungridded_rows_are_skipped_and_counted_when_present() -> None:
    lines = [
        OLD_HEADER,
        barnet(OLD_HEADER, "N3 1AA"),
        barnet(OLD_HEADER, "N3 1XX", doterm="201003"),
        barnet(OLD_HEADER, "N3 1ZZ", lat="99.999999", long="0.000000"),
        barnet(OLD_HEADER, "N3 1AB"),
    ]
    stats = OnspdStats()
    assert [row.postcode for row in read_onspd(lines, stats)] == ["N3 1AA", "N3 1AB"]
    assert (stats.rows, stats.terminated, stats.no_grid, stats.imported) == (4, 1, 1, 2)


def test_lad_is_none_when_code_is_blank_or_pseudo() -> None:
    lines = [
        OLD_HEADER,
        line(OLD_HEADER, pcds="N3 1AA", lat="51.6", long="-0.19", oslaua=""),
        line(OLD_HEADER, pcds="N3 1AB", lat="51.6", long="-0.19", oslaua="E99999999"),
    ]
    assert [row.lad_code for row in read_onspd(lines)] == [None, None]


def test_header_is_understood_when_file_has_bom_and_crlf() -> None:
    text = "\ufeff" + OLD_HEADER + "\r\n" + barnet(OLD_HEADER, "N3 1AA") + "\r\n\r\n"
    rows = list(read_onspd(text.splitlines(keepends=True)))
    assert [row.postcode for row in rows] == ["N3 1AA"]


def test_missing_columns_are_named_when_header_lacks_them() -> None:
    with pytest.raises(OnspdFormatError, match=r"missing column\(s\) lat, oslaua \(or ladYYcd\)"):
        list(read_onspd(["pcd,pcds,long,osward", '"N3 1AA","N3 1AA","-0.19","E05013648"']))


def test_error_names_the_problem_when_file_is_empty() -> None:
    with pytest.raises(OnspdFormatError, match="empty"):
        list(read_onspd([]))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"lat": "north"}, r"line 3: lat is not a number \('north'\)"),
        ({"long": ""}, "line 3: long is not a number"),
        ({"lat": "nan"}, "line 3: lat is not a number"),
        ({"lat": "48.85", "long": "2.35"}, "line 3: lat/long 48.85, 2.35 is outside the UK"),
        ({"long": "-9.5"}, "line 3: lat/long .* is outside the UK"),
        ({"pcds": "N3 1CA"}, r"line 3: pcds is not a UK postcode \('N3 1CA'\)"),
    ],
)
def test_line_and_field_are_named_when_a_value_is_bad(bad: dict[str, str], message: str) -> None:
    good = {"pcds": "N3 1AA", "lat": "51.6", "long": "-0.19", "oslaua": "E09000003"}
    lines = [OLD_HEADER, line(OLD_HEADER, **good), line(OLD_HEADER, **{**good, **bad})]
    rows = read_onspd(lines)
    assert next(rows).postcode == "N3 1AA"  # rows before the bad line are still yielded
    with pytest.raises(OnspdFormatError, match=message):
        next(rows)


def test_short_row_is_reported_when_fields_are_missing() -> None:
    with pytest.raises(OnspdFormatError, match="line 2: too few fields"):
        list(read_onspd([OLD_HEADER, '"N3 1AA","N3  1AA"']))


def test_rows_stream_when_only_the_first_is_consumed() -> None:
    def lines() -> Iterator[str]:
        yield OLD_HEADER
        yield barnet(OLD_HEADER, "N3 1AA")
        raise AssertionError("read past the first row")

    assert next(read_onspd(lines())).postcode == "N3 1AA"
    first_two = itertools.islice(read_onspd([OLD_HEADER, *[barnet(OLD_HEADER, "N3 1AA")] * 5]), 2)
    assert len(list(first_two)) == 2
