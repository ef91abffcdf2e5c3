"""The one first_name: titles, double-barrelled and single names, stray spaces."""

from __future__ import annotations

import pytest

from app.names import first_name


@pytest.mark.parametrize(
    "title", ["Mr", "Mrs", "Ms", "Miss", "Dr", "Rev", "Sir", "Dame", "Mx", "MRS", "mrs", "Dr."]
)
def test_first_name_skips_the_title_when_name_starts_with_one(title: str):
    assert first_name(f"{title} Edna Smith") == "Edna"


@pytest.mark.parametrize("title", ["Mr.", "MRS.", "ms.", "Miss.", "DR.", "Rev.", "mx."])
def test_first_name_skips_the_title_when_title_has_a_dot_in_any_case(title: str):
    assert first_name(f"{title} Edna Smith") == "Edna"


def test_first_name_skips_every_title_when_there_are_several():
    assert first_name("Rev. Dr Edna Smith") == "Edna"


def test_first_name_keeps_the_hyphen_when_double_barrelled():
    assert first_name("Mary-Jane Smith") == "Mary-Jane"
    assert first_name("Mrs Mary-Jane Smith-Jones") == "Mary-Jane"


def test_first_name_is_the_name_when_single():
    assert first_name("Edna") == "Edna"


def test_first_name_ignores_spaces_when_extra_ones_surround_words():
    assert first_name("   Mrs    Edna \t Smith  ") == "Edna"


def test_first_name_keeps_a_title_like_word_when_it_is_not_first():
    assert first_name("Edna Miss Smith") == "Edna"
    assert first_name("Drew Smith") == "Drew"


@pytest.mark.parametrize("name", [None, "", "   ", "Mrs", "Dr."])
def test_first_name_is_empty_when_there_is_no_given_name(name: str | None):
    assert first_name(name) == ""
