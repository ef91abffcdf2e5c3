"""What a concern is about, its reference and its status in words: pure, no database.

The categories cover what people report. `welfare` and `safeguarding` are the two codes the
API took before there were more; they keep their meaning (the diner's welfare, safeguarding),
so an old client's request means what it always meant.
"""

from __future__ import annotations

from app.models.concern import REFERENCE_PREFIX, new_reference
from app.vocab import ConcernCategory

__all__ = ["CATEGORIES", "CATEGORY_NAMES", "RAISER_STATUS", "REFERENCE_PREFIX", "new_reference"]

Category = ConcernCategory  # the codes: app/vocab.py
# In the order a form offers them: the code, and what the raiser reads.
CATEGORIES: dict[str, str] = {
    "missed_meal": "A meal did not arrive",
    "food_hygiene": "The food, or food hygiene",
    "welfare": "Their health or wellbeing",
    "safeguarding": "Their safety, or the way someone treats them",
    "cook_behaviour": "The cook’s behaviour",
    "other": "Something else",
}
# Short names for lists (staff queue, the raiser's list).
CATEGORY_NAMES: dict[str, str] = {
    "missed_meal": "Missed meal",
    "food_hygiene": "Food or hygiene",
    "welfare": "Diner’s welfare",
    "safeguarding": "Safeguarding",
    "cook_behaviour": "Cook’s behaviour",
    "other": "Something else",
}

# What the raiser sees of the staff's statuses (open | investigating | resolved | upheld):
# the words, a GOV.UK tag colour and what happens next. The outcome itself stays with staff.
RAISER_STATUS: dict[str, tuple[str, str, str]] = {
    "open": (
        "Received",
        "govuk-tag--blue",
        "The council has your concern. A coordinator will read it within one working day.",
    ),
    "investigating": (
        "Being looked into",
        "govuk-tag--yellow",
        "A coordinator is looking into it. They may contact you to ask more.",
    ),
    "resolved": (
        "Closed",
        "govuk-tag--grey",
        "The council has finished looking into it. Contact your coordinator if you are "
        "still worried.",
    ),
    "upheld": (
        "Closed",
        "govuk-tag--grey",
        "The council has finished looking into it and has acted on it. Contact your "
        "coordinator if you are still worried.",
    ),
}
