"""The engine's words: vocabulary codes, times and windows in text, and why a cook is suggested
(pure). Staff read these; the rules and the index use them for their messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from app.geo.distance import staff_distance_m
from app.vocab import WEEKDAYS, Diet, Texture


class Weekly(Protocol):
    """A weekly window (``rules.Window``): weekday 0-6, start and end minutes from midnight."""

    @property
    def weekday(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class Needs(Protocol):
    """What the reasons say of a diner (``rules.DinerInput``)."""

    @property
    def frequency(self) -> str: ...
    @property
    def diets(self) -> frozenset[str]: ...
    @property
    def allergies(self) -> frozenset[str]: ...
    @property
    def texture(self) -> str: ...


class Loaded(Protocol):
    """What the reasons say of a cook (``rules.CookInput``)."""

    @property
    def load(self) -> int: ...


# Short words for staff's reasons; any other code reads as itself with spaces.
LABELS: dict[str, str] = {
    Diet.no_pork: "pork-free",
    Diet.no_beef: "beef-free",
    Diet.diabetic_friendly: "diabetic-friendly",
    Diet.low_salt: "low-salt",
    Texture.easy_to_chew: "easy to chew",
    Texture.soft_bite_sized: "soft & bite-sized",
    Texture.minced_moist: "minced & moist",
    Texture.pureed: "puréed",
}
EN_DASH = "\u2013"
DAYS = WEEKDAYS


def label(code: str) -> str:
    return LABELS.get(code, code.replace("_", " "))


def labels(codes: Iterable[str]) -> str:
    return ", ".join(sorted(label(c) for c in codes))


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def window_text(w: Weekly) -> str:
    return f"{DAYS[w.weekday]} {hhmm(w.start)}{EN_DASH}{hhmm(w.end)}"


def suggestion_reasons(
    cook: Loaded, diner: Needs, dist: float, met: bool, slots: Sequence[Weekly]
) -> list[str]:
    """Why staff might choose this cook for this diner, in plain words."""
    out = []
    if met:
        out.append("has met this diner before")
    # Reasons are for staff: the same rounding as the card's distance_m, so the two agree.
    shown = staff_distance_m(dist)
    out.append(f"{shown:,} m away" if shown else "less than 10 m away")
    if slots:
        texts = [window_text(w) for w in slots[:3]]
        more = len(slots) - len(texts)
        if more:
            listed = ", ".join(texts) + f" and {more} more time{'s' if more > 1 else ''}"
        elif len(texts) == 1:
            listed = texts[0]
        else:
            listed = ", ".join(texts[:-1]) + " and " + texts[-1]
        text = f"both free {listed}"
        if diner.frequency != "weekly":
            text += f", {label(diner.frequency)}"
        out.append(text)
    if diner.diets:
        out.append(f"cooks {labels(diner.diets)}")
    if diner.allergies:
        out.append(f"free from {labels(diner.allergies)}")
    if diner.texture != "regular":
        out.append(f"can make {label(diner.texture)}")
    if cook.load == 0:
        out.append("not cooking for anyone yet")
    return out
