"""How we call people in messages, labels and feeds (pure: a name in, a word out)."""

from __future__ import annotations

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
