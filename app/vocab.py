"""The product's vocabularies (API.md "Vocabularies"), as enums with snake_case values."""

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


class Role(StrEnum):
    cook = "cook"
    carer = "carer"
    staff = "staff"
    admin = "admin"
