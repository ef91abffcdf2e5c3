import contextlib
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.geo.postcodes import (
    InvalidPostcode,
    Postcode,
    parse_outward,
    parse_postcode,
    parse_sector,
)

# No example database: the suite must not write outside tests/ and app/.
hypothesis_settings = settings(database=None, max_examples=300)

LETTERS = string.ascii_uppercase
DIGITS = string.digits
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # every letter but C I K M O V

letter = st.sampled_from(LETTERS)
digit = st.sampled_from(DIGITS)


def _join(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


outwards = st.one_of(
    _join(letter, digit),  # A9
    _join(letter, digit, digit),  # A99
    _join(letter, letter, digit),  # AA9
    _join(letter, letter, digit, digit),  # AA99
    _join(letter, digit, letter),  # A9A
    _join(letter, letter, digit, letter),  # AA9A
)
inwards = _join(digit, st.sampled_from(INWARD_LETTERS), st.sampled_from(INWARD_LETTERS))
valid_postcodes = st.tuples(outwards, inwards).map(" ".join)


@st.composite
def spelling_variants(draw: st.DrawFn, postcode: str) -> str:
    """The same postcode in random case with random whitespace between any characters."""
    compact = postcode.replace(" ", "")
    whitespace = st.text(alphabet=" \t\n", max_size=3)
    chars = [draw(whitespace)]
    for char in compact:
        chars.append(char.lower() if draw(st.booleans()) else char)
        chars.append(draw(whitespace))
    return "".join(chars)


@pytest.mark.parametrize(
    ("raw", "full"),
    [
        ("n31aa", "N3 1AA"),
        (" N3  1AA ", "N3 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("E1W 1BQ", "E1W 1BQ"),
        ("ec1a 1bb", "EC1A 1BB"),
        ("m11ae", "M1 1AE"),
        ("cr2 6xh", "CR2 6XH"),
        ("dn55 1pt", "DN55 1PT"),
        ("\tRH2\n9AA", "RH2 9AA"),
        ("BT1 1AA", "BT1 1AA"),
        ("ZZ9 9ZZ", "ZZ9 9ZZ"),
    ],
)
def test_postcode_is_normalised_when_case_and_spacing_vary(raw: str, full: str) -> None:
    assert parse_postcode(raw).full == full


@pytest.mark.parametrize(
    "raw",
    [
        "\u200bN3 1HT ",  # zero-width space: "Enter a real postcode" (a newcomer's walk)
        "N3\u200c 1HT\u200d",  # zero-width non-joiner and joiner
        "\ufeffN3 1HT",  # byte order mark, from the start of a copied file
        "N3\u20601HT",  # word joiner
        "N3 1\u00adHT",  # soft hyphen
        "\u200eN3 1HT\u200f",  # left-to-right and right-to-left marks
        "N3\u00a01HT\u200b",  # non-breaking space (read as a space before), zero-width space
        "\u2060N3\u202f1HT\u2007",  # narrow no-break space, figure space, word joiner
    ],
)
def test_postcode_is_read_without_invisible_characters_when_pasted_with_them(raw: str) -> None:
    assert parse_postcode(raw).full == "N3 1HT"


def test_sector_and_district_are_read_without_invisible_characters_when_pasted() -> None:
    assert parse_sector("\u200bn3\u00a01\ufeff") == "N3 1"
    assert parse_outward("\u2060N3\u00ad") == "N3"


def test_postcode_asks_for_one_when_only_invisible_characters_are_given() -> None:
    with pytest.raises(InvalidPostcode, match="please enter a postcode"):
        parse_postcode("\u200b\ufeff\u00a0")


def test_parts_are_named_when_postcode_parses() -> None:
    postcode = parse_postcode("sw1a 1aa")
    assert postcode == Postcode("SW1A", "1AA")
    assert (postcode.area, postcode.district, postcode.sector) == ("SW", "SW1A", "SW1A 1")
    assert (postcode.outward, postcode.inward, postcode.unit) == ("SW1A", "1AA", "AA")
    assert str(postcode) == "SW1A 1AA"


def test_girobank_postcode_is_accepted_when_given() -> None:
    postcode = parse_postcode("gir0aa")
    assert (postcode.full, postcode.district, postcode.sector) == ("GIR 0AA", "GIR", "GIR 0")


@pytest.mark.parametrize(
    "raw",
    [
        "N3 1CA",  # C is never an inward letter
        "N3 1AI",
        "N3 1MO",
        "N3 1A",
        "N3 1AAA",
        "NNN3 1AA",
        "3N 1AA",
        "N 1AA",
        "N33A 1AA",
        "N3-1AA",
        "N3 AA1",
        "GIR 1AA",
        "12345",
        "ß1 1AA",  # would upper-case to the real "SS1 1AA"
        "\uff2e3 1AA",  # full-width N
        "N3 1AA" * 10,
    ],
)
def test_invalid_postcode_is_raised_when_format_is_wrong(raw: str) -> None:
    with pytest.raises(InvalidPostcode, match="not a UK postcode"):
        parse_postcode(raw)


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_invalid_postcode_asks_for_one_when_input_is_blank(raw: str) -> None:
    with pytest.raises(InvalidPostcode, match="please enter a postcode"):
        parse_postcode(raw)


def test_invalid_postcode_explains_when_only_district_given() -> None:
    with pytest.raises(InvalidPostcode, match="N3 is only the first part"):
        parse_postcode(" n3 ")


def test_invalid_postcode_is_a_value_error_when_caught_generically() -> None:
    with pytest.raises(ValueError):
        parse_postcode("nonsense")


def test_postcode_refuses_construction_when_parts_are_not_normalised() -> None:
    with pytest.raises(InvalidPostcode):
        Postcode("n3", "1aa")


def test_postcode_is_hashable_and_immutable_when_used_as_key() -> None:
    postcode = parse_postcode("N3 1AA")
    assert {postcode: 1}[parse_postcode("n31aa")] == 1
    with pytest.raises(AttributeError):
        postcode.outward = "N4"  # type: ignore[misc]


@pytest.mark.parametrize(("raw", "district"), [("n3", "N3"), (" sw1a ", "SW1A"), ("E1W", "E1W")])
def test_outward_is_normalised_when_district_given(raw: str, district: str) -> None:
    assert parse_outward(raw) == district


@pytest.mark.parametrize("raw", ["", "N", "3N", "N3 1AA", "NNN3"])
def test_outward_raises_when_not_a_district(raw: str) -> None:
    with pytest.raises(InvalidPostcode):
        parse_outward(raw)


@pytest.mark.parametrize(
    ("raw", "sector"), [("n3 1", "N3 1"), ("N31", "N3 1"), ("e1w1", "E1W 1"), ("gir 0", "GIR 0")]
)
def test_sector_is_normalised_when_sector_given(raw: str, sector: str) -> None:
    assert parse_sector(raw) == sector


@pytest.mark.parametrize("raw", ["", "N3", "N3 A", "N3 1AA", "GIR 1"])
def test_sector_raises_when_not_a_sector(raw: str) -> None:
    with pytest.raises(InvalidPostcode):
        parse_sector(raw)


@hypothesis_settings
@given(valid_postcodes)
def test_parts_recombine_when_postcode_is_generated_valid(full: str) -> None:
    postcode = parse_postcode(full)
    assert postcode.full == full
    assert postcode.district == postcode.outward == full.split()[0]
    assert postcode.sector + postcode.unit == full
    assert f"{postcode.district} {postcode.inward}" == full
    assert postcode.district.startswith(postcode.area)
    assert postcode.district[len(postcode.area)].isdigit()
    assert parse_outward(postcode.district) == postcode.district
    assert parse_sector(postcode.sector) == postcode.sector


@hypothesis_settings
@given(valid_postcodes)
def test_normalising_is_idempotent_when_applied_twice(full: str) -> None:
    once = parse_postcode(full)
    assert parse_postcode(once.full) == once
    assert parse_postcode(str(once)).full == once.full


@hypothesis_settings
@given(st.data())
def test_variants_normalise_alike_when_only_case_and_spacing_differ(data: st.DataObject) -> None:
    full = data.draw(valid_postcodes)
    variant = data.draw(spelling_variants(full))
    assert parse_postcode(variant).full == full


def _parses_or_rejects(raw: str) -> None:
    try:
        postcode = parse_postcode(raw)
    except InvalidPostcode:
        return
    assert parse_postcode(postcode.full) == postcode


@hypothesis_settings
@given(st.text(max_size=40))
def test_only_invalid_postcode_is_raised_when_input_is_random_text(raw: str) -> None:
    _parses_or_rejects(raw)


@hypothesis_settings
@given(st.text(alphabet=LETTERS + DIGITS + string.ascii_lowercase + " \t", max_size=10))
def test_only_invalid_postcode_is_raised_when_input_is_postcode_like_junk(raw: str) -> None:
    _parses_or_rejects(raw)
    for parse in (parse_outward, parse_sector):
        with contextlib.suppress(InvalidPostcode):
            parse(raw)
