"""UK postcode validation and normalisation (pure).

A postcode is "OUTWARD INWARD", e.g. "N3 1AA": area "N", district "N3" (the outward code),
sector "N3 1", unit "AA" (the last two letters; "1AA" is the inward code).

Rules checked: outward shapes A9, A99, AA9, AA99, A9A, AA9A; inward 9AA, where the letters are
not C, I, K, M, O or V (Royal Mail never uses them there). These are format rules only: whether
a postcode exists is the geocoder's question. The stricter letter-by-position rules of BS 7666
for the outward code (e.g. no Z in second place) are deliberately not applied, so "ZZ9 9ZZ"
stays a well-formed postcode that simply is not known anywhere (the ZZ99 range is also used for
pseudo-postcodes in NHS data).

GIR 0AA (the old Girobank postcode) is accepted because it is part of the standard format; no
shipped data places it, so the offline geocoder answers None for it.

Input may use any case and any whitespace ("n31aa", " N3  1AA "), non-breaking spaces
included. Invisible format characters (Unicode category Cf: zero-width space and joiners, the
byte order mark, the word joiner, the soft hyphen, direction marks) are dropped: copying a
postcode from a web page or a document brings them along unseen, and "\u200bN3 1HT" was
refused as not a postcode, a message the person could not act on (a newcomer's walk). A
postcode is letters, digits and spaces, so nothing they could hide survives. After that, only
ASCII letters and digits count: str.upper() would otherwise turn e.g. "ß" into "SS".
"""

import re
import unicodedata
from dataclasses import dataclass

_INWARD_LETTER = "[ABD-HJLNP-UW-Z]"

_OUTWARD = "(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)"
_INWARD = f"[0-9]{_INWARD_LETTER}{{2}}"

_OUTWARD_RE = re.compile(_OUTWARD)
_FULL_RE = re.compile(f"(?:{_OUTWARD} {_INWARD})")
_GIRO = "GIR 0AA"
_AREA_RE = re.compile("[A-Z]+")

# Longest plausible input; anything longer is rejected before any regex work.
_MAX_INPUT = 32

EXAMPLE = "N3 1AA"


class InvalidPostcode(ValueError):
    """The text is not a well-formed UK postcode (message is fit to show to the user)."""


@dataclass(frozen=True, slots=True)
class Postcode:
    """A well-formed, normalised UK postcode. Build it with parse_postcode()."""

    outward: str
    inward: str

    def __post_init__(self) -> None:
        if not _is_full(f"{self.outward} {self.inward}"):
            raise InvalidPostcode(f"not a UK postcode (for example {EXAMPLE})")

    @property
    def full(self) -> str:
        """The whole postcode, "N3 1AA"."""
        return f"{self.outward} {self.inward}"

    @property
    def area(self) -> str:
        """Leading letters, "N" or "SW"."""
        match = _AREA_RE.match(self.outward)
        assert match is not None  # every valid outward code starts with a letter
        return match.group()

    @property
    def district(self) -> str:
        """The outward code, "N3"."""
        return self.outward

    @property
    def sector(self) -> str:
        """District plus the inward digit, "N3 1"."""
        return f"{self.outward} {self.inward[0]}"

    @property
    def unit(self) -> str:
        """The unit letters within the sector, "AA" (not the whole inward code "1AA")."""
        return self.inward[1:]

    def __str__(self) -> str:
        return self.full


def _is_full(text: str) -> bool:
    if text.startswith("GIR"):
        return text == _GIRO
    return _FULL_RE.fullmatch(text) is not None


def without_invisibles(raw: str) -> str:
    """The text without its invisible format characters (category Cf), each non-breaking or
    other space (Zs) an ordinary one: "\u200bN3\xa01HT\ufeff" -> "N3 1HT". Control characters
    and line breaks stay, for the caller to refuse."""
    kept = []
    for char in raw:
        kind = unicodedata.category(char)
        if kind != "Cf":
            kept.append(" " if kind == "Zs" else char)
    return "".join(kept)


def _compact(raw: object) -> str:
    """Upper-case ASCII text with all whitespace and invisible format characters removed;
    raises for empty or non-ASCII input."""
    if not isinstance(raw, str) or len(raw) > _MAX_INPUT:
        raise InvalidPostcode(f"not a UK postcode (for example {EXAMPLE})")
    compact = "".join(without_invisibles(raw).split())
    if not compact:
        raise InvalidPostcode("please enter a postcode")
    if not compact.isascii():
        raise InvalidPostcode(f"not a UK postcode (for example {EXAMPLE})")
    return compact.upper()


def _is_outward(text: str) -> bool:
    return _OUTWARD_RE.fullmatch(text) is not None


def parse_postcode(raw: str) -> Postcode:
    """Validate and normalise a full unit postcode: " n31aa " -> Postcode("N3", "1AA")."""
    compact = _compact(raw)
    outward, inward = compact[:-3], compact[-3:]
    if len(compact) >= 5 and _is_full(f"{outward} {inward}"):
        return Postcode(outward, inward)
    if _is_outward(compact):
        # A common mistake worth a specific answer: only the first half was typed.
        raise InvalidPostcode(
            f"{compact} is only the first part of a postcode; "
            f"please enter the full postcode (for example {EXAMPLE})"
        )
    raise InvalidPostcode(f"not a UK postcode (for example {EXAMPLE})")


def parse_outward(raw: str) -> str:
    """Validate and normalise a postcode district (outward code): " n3 " -> "N3"."""
    compact = _compact(raw)
    if _is_outward(compact):
        return compact
    raise InvalidPostcode("not a UK postcode district (for example N3)")


def parse_sector(raw: str) -> str:
    """Validate and normalise a postcode sector: "n3 1" or "N31" -> "N3 1".

    The last character is always the sector digit, so compact input is unambiguous here even
    though "N31" alone would also be a district.
    """
    compact = _compact(raw)
    outward, digit = compact[:-1], compact[-1:]
    if digit.isdigit() and _is_outward(outward) and (outward != "GIR" or digit == "0"):
        return f"{outward} {digit}"
    raise InvalidPostcode("not a UK postcode sector (for example N3 1)")
