"""How we call people in messages, labels and feeds (pure: a name in, a word out)."""

from __future__ import annotations

# How messages queued by a cook's erasure name them (app/privacy/service.py), and what a
# letter to their diner says instead ("Their cook will no longer bring your meals": a review).
NEUTRAL_COOK = "Their cook"
NEUTRAL_COOK_TO_DINER = "Your cook"

# Titles a full name may start with, compared without dots and case ("Mrs.", "DR", "rev").
TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "revd", "sir", "dame", "lady", "lord"}
)


def first_name(full_name: str | None) -> str:
    """The first given name: "Mrs Edna Smith" → "Edna", "Mary-Jane Smith" → "Mary-Jane".

    Leading titles are skipped; "" when the name has no word but titles (or is empty), so that
    each caller chooses its own neutral words.
    """
    words = (full_name or "").split()
    while words and words[0].replace(".", "").lower() in TITLES:
        words.pop(0)
    return words[0] if words else ""


def cook_to_diner(display_name: str) -> str:
    """A cook's name as a letter to their diner says it."""
    return NEUTRAL_COOK_TO_DINER if display_name == NEUTRAL_COOK else display_name
