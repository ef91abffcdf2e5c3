"""The product's vocabularies (API.md "Vocabularies"), as enums with snake_case values.

Each vocabulary is defined here once: the models (VARCHAR columns, see app/models/columns.py),
the matching engine, the meal labels, the API schemas (so the OpenAPI schema lists the allowed
values) and the pages use these enums. Every member's name is its value, so any driver that
adapts an enum by name stores the same text. frontend/js/vocab.js is the browser's copy;
tests/test_vocab.py keeps it equal to this one.
"""

from __future__ import annotations

from enum import StrEnum


class Diet(StrEnum):
    vegetarian = "vegetarian"
    vegan = "vegan"
    pescatarian = "pescatarian"
    halal = "halal"
    kosher = "kosher"
    no_pork = "no_pork"
    no_beef = "no_beef"
    diabetic_friendly = "diabetic_friendly"
    low_salt = "low_salt"


class Allergen(StrEnum):
    """The 14 allergens of the UK Food Information Regulations."""

    celery = "celery"
    cereals_containing_gluten = "cereals_containing_gluten"
    crustaceans = "crustaceans"
    eggs = "eggs"
    fish = "fish"
    lupin = "lupin"
    milk = "milk"
    molluscs = "molluscs"
    mustard = "mustard"
    tree_nuts = "tree_nuts"
    peanuts = "peanuts"
    sesame = "sesame"
    soya = "soya"
    sulphites = "sulphites"


class Texture(StrEnum):
    """IDDSI food levels."""

    regular = "regular"
    easy_to_chew = "easy_to_chew"
    soft_bite_sized = "soft_bite_sized"
    minced_moist = "minced_moist"
    pureed = "pureed"


class Frequency(StrEnum):
    weekly = "weekly"
    fortnightly = "fortnightly"
    monthly = "monthly"


class DbsLevel(StrEnum):
    basic = "basic"
    standard = "standard"
    enhanced = "enhanced"
    enhanced_barred = "enhanced_barred"


DBS_RANK = {level: rank for rank, level in enumerate(DbsLevel)}


class CookStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    suspended = "suspended"
    left = "left"


class DinerStatus(StrEnum):
    waiting = "waiting"
    matched = "matched"
    paused = "paused"
    left = "left"


class PairingStatus(StrEnum):
    proposed = "proposed"
    active = "active"
    declined = "declined"
    withdrawn = "withdrawn"
    paused = "paused"
    ended = "ended"


OPEN_PAIRING_STATUSES: tuple[PairingStatus, ...] = (
    PairingStatus.proposed,
    PairingStatus.active,
    PairingStatus.paused,
)
"""A diner has at most one pairing in these (the partial unique index uq_pairing_open_diner)."""
RUNNING_PAIRING_STATUSES: tuple[PairingStatus, ...] = (PairingStatus.active, PairingStatus.paused)
"""Accepted and not ended: the pairing has (or had, while paused) meals."""


class EndReason(StrEnum):
    """Why a pairing ended or a proposal went (``Pairing.end_reason``)."""

    declined = "declined"
    withdrawn = "withdrawn"
    diner_left = "diner_left"
    change_requested = "change_requested"
    cook_stopped = "cook_stopped"
    cook_moved = "cook_moved"
    cook_suspended = "cook_suspended"
    concern_upheld = "concern_upheld"
    needs_changed = "needs_changed"  # a proposal withdrawn: the diner's needs changed
    cook_changed = "cook_changed"  # a proposal withdrawn: the cook's offer changed
    ended_by_staff = "ended_by_staff"  # a pairing staff ended (a pause with no other way on)


class PauseReason(StrEnum):
    """Why a pairing is paused (``Pairing.pause_reason``): a serious concern (resolving it may
    resume the pairing), or the diner's needs or the cook's offer changed so that the cook can
    no longer cook safely for the diner (a later change on either side that makes it safe
    resumes it; staff may end it)."""

    concern = "concern"
    needs_changed = "needs_changed"
    cook_changed = "cook_changed"


SAFETY_PAUSES: tuple[PauseReason, ...] = (PauseReason.cook_changed, PauseReason.needs_changed)
"""A pairing paused because the cook can no longer cook safely for the diner, by either side's
change (a later change that makes it safe resumes it)."""


class ExclusionReason(StrEnum):
    """Why a cook is never proposed to a diner again (``PairExclusion.reason``)."""

    change_requested = "change_requested"
    concern_upheld = "concern_upheld"


class MealStatus(StrEnum):
    scheduled = "scheduled"
    needs_cover = "needs_cover"
    delivered = "delivered"
    missed = "missed"
    cancelled = "cancelled"


class CancelReason(StrEnum):
    """Why a meal was cancelled (``Meal.cancel_reason``): the diner's pause, a concern's pause,
    changed needs, or the pairing's end (then the pairing's ``EndReason``)."""

    diner_paused = "diner_paused"
    concern_pause = "concern_pause"
    needs_changed = "needs_changed"
    cook_changed = "cook_changed"
    ended_by_staff = "ended_by_staff"
    declined = "declined"
    withdrawn = "withdrawn"
    diner_left = "diner_left"
    change_requested = "change_requested"
    cook_stopped = "cook_stopped"
    cook_moved = "cook_moved"
    cook_suspended = "cook_suspended"
    concern_upheld = "concern_upheld"


class ConcernStatus(StrEnum):
    open = "open"
    investigating = "investigating"
    resolved = "resolved"
    upheld = "upheld"


class ConcernCategory(StrEnum):
    """What a concern is about (``Concern.kind``; words in app/concerns/categories.py)."""

    missed_meal = "missed_meal"
    food_hygiene = "food_hygiene"
    welfare = "welfare"
    safeguarding = "safeguarding"
    cook_behaviour = "cook_behaviour"
    other = "other"


class UnmatchedReason(StrEnum):
    """Why no cook can be proposed: the engine's checks in the order they are applied; the
    first that leaves no candidate is the reason."""

    no_cook_in_reach = "no_cook_in_reach"
    no_shared_time = "no_shared_time"
    no_cook_for_diet = "no_cook_for_diet"
    no_cook_for_allergy = "no_cook_for_allergy"
    no_cook_for_texture = "no_cook_for_texture"
    no_capacity = "no_capacity"


WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
"""Weekday names by the API's weekday number, 0 (Monday) to 6."""


# --- labels: the words people read for each code (forms, staff pages, frontend/js/vocab.js) ---

DIET_LABELS: dict[Diet, str] = {
    Diet.vegetarian: "Vegetarian",
    Diet.vegan: "Vegan",
    Diet.pescatarian: "Pescatarian (fish but no meat)",
    Diet.halal: "Halal",
    Diet.kosher: "Kosher",
    Diet.no_pork: "No pork",
    Diet.no_beef: "No beef",
    Diet.diabetic_friendly: "Suitable for diabetes",
    Diet.low_salt: "Low salt",
}
ALLERGEN_LABELS: dict[Allergen, str] = {
    Allergen.celery: "Celery",
    Allergen.cereals_containing_gluten: "Cereals containing gluten (wheat, rye, barley, oats)",
    Allergen.crustaceans: "Crustaceans (prawns, crab, lobster)",
    Allergen.eggs: "Eggs",
    Allergen.fish: "Fish",
    Allergen.lupin: "Lupin",
    Allergen.milk: "Milk",
    Allergen.molluscs: "Molluscs (mussels, oysters, squid)",
    Allergen.mustard: "Mustard",
    Allergen.tree_nuts: "Tree nuts (almonds, hazelnuts, walnuts and others)",
    Allergen.peanuts: "Peanuts",
    Allergen.sesame: "Sesame",
    Allergen.soya: "Soya",
    Allergen.sulphites: "Sulphites (sulphur dioxide)",
}
# A diner's other foods they must not have (free text, beyond the 14 allergens) as the form
# asks and as every page, message and label names them.
OTHER_ALLERGIES_LABEL = "Other foods they must not have"


def other_foods(text: str | None) -> list[str]:
    """The carer's other foods as a list to print after the allergens: one item a line, as
    typed (a comma inside stays: "raw egg, cooked is fine"), without a full stop at the end."""
    items = (line.strip().rstrip(".;,").strip() for line in (text or "").splitlines())
    return [item for item in items if item]


TEXTURE_LABELS: dict[Texture, str] = {
    Texture.regular: "Regular food",
    Texture.easy_to_chew: "Easy to chew (IDDSI level 7)",
    Texture.soft_bite_sized: "Soft and bite-sized (IDDSI level 6)",
    Texture.minced_moist: "Minced and moist (IDDSI level 5)",
    Texture.pureed: "Puréed (IDDSI level 4)",
}
FREQUENCY_LABELS: dict[Frequency, str] = {
    Frequency.weekly: "Every week",
    Frequency.fortnightly: "Every other week",
    Frequency.monthly: "Once a month",
}
DBS_LEVEL_LABELS: dict[DbsLevel, str] = {
    DbsLevel.basic: "Basic",
    DbsLevel.standard: "Standard",
    DbsLevel.enhanced: "Enhanced",
    DbsLevel.enhanced_barred: "Enhanced with barred list",
}
UNMATCHED_REASON_LABELS: dict[UnmatchedReason, str] = {
    UnmatchedReason.no_cook_in_reach: "No approved cook lives within walking distance",
    UnmatchedReason.no_shared_time: "No nearby cook is free at the times they asked for",
    UnmatchedReason.no_cook_for_diet: "No nearby cook can cook for their diet",
    UnmatchedReason.no_cook_for_allergy: "No nearby cook can cook free from their allergens",
    UnmatchedReason.no_cook_for_texture: "No nearby cook can cook the texture they need",
    UnmatchedReason.no_capacity: "Nearby cooks have no room for another diner",
}


class Role(StrEnum):
    cook = "cook"
    carer = "carer"
    staff = "staff"
    admin = "admin"
