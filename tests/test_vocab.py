"""One vocabulary: app/vocab.py defines each set of codes once; the engine, the models, the
meal labels, the forms and the API schema use those very enums, and the browser's copy
(frontend/js/vocab.js) says the same."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from app import vocab
from app.main import app
from app.matching.engine import rules as engine
from app.meals import labels
from app.models import OPEN_STATUSES, Concern, Cook, Diner, Meal, PairExclusion, Pairing
from app.models.columns import VocabString
from app.pages import cook_forms
from app.vocab import (
    Allergen,
    CancelReason,
    ConcernCategory,
    ConcernStatus,
    CookStatus,
    DbsLevel,
    Diet,
    DinerStatus,
    EndReason,
    ExclusionReason,
    Frequency,
    MealStatus,
    PairingStatus,
    PauseReason,
    Texture,
    UnmatchedReason,
)
from tests.factories import active_pairing

VOCAB_JS = Path(__file__).resolve().parents[1] / "frontend" / "js" / "vocab.js"
ENUMS = [
    obj
    for obj in vars(vocab).values()
    if isinstance(obj, type) and issubclass(obj, StrEnum) and obj is not StrEnum
]


# --- one definition ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine_codes", "enum"),
    [
        (engine.DIETS, Diet),
        (engine.ALLERGENS, Allergen),
        (engine.TEXTURES, Texture),
        (engine.FREQUENCIES, Frequency),
        (engine.UNMATCHED_REASONS, UnmatchedReason),
    ],
)
def test_engine_uses_the_vocab_members_when_listing_its_codes(engine_codes, enum):
    assert len(engine_codes) == len(enum)
    assert all(code is member for code, member in zip(engine_codes, enum, strict=True))


@pytest.mark.parametrize(
    ("column", "enum", "length"),
    [
        (Cook.__table__.c.status, CookStatus, 16),  # type: ignore[attr-defined]
        (Cook.__table__.c.dbs_level, DbsLevel, 20),  # type: ignore[attr-defined]
        (Diner.__table__.c.status, DinerStatus, 16),  # type: ignore[attr-defined]
        (Diner.__table__.c.texture, Texture, 20),  # type: ignore[attr-defined]
        (Diner.__table__.c.frequency, Frequency, 12),  # type: ignore[attr-defined]
        (Pairing.__table__.c.status, PairingStatus, 16),  # type: ignore[attr-defined]
        (Pairing.__table__.c.frequency, Frequency, 12),  # type: ignore[attr-defined]
        (Pairing.__table__.c.end_reason, EndReason, 32),  # type: ignore[attr-defined]
        (Pairing.__table__.c.pause_reason, PauseReason, 32),  # type: ignore[attr-defined]
        (PairExclusion.__table__.c.reason, ExclusionReason, 32),  # type: ignore[attr-defined]
        (Meal.__table__.c.status, MealStatus, 16),  # type: ignore[attr-defined]
        (Meal.__table__.c.cancel_reason, CancelReason, 32),  # type: ignore[attr-defined]
        (Concern.__table__.c.status, ConcernStatus, 16),  # type: ignore[attr-defined]
        (Concern.__table__.c.kind, ConcernCategory, 16),  # type: ignore[attr-defined]
    ],
)
def test_model_column_is_a_varchar_of_the_vocab_enum_when_it_holds_a_code(column, enum, length):
    assert isinstance(column.type, VocabString)
    assert column.type.enum is enum
    for dialect in (postgresql.dialect(), sqlite.dialect()):  # never a native enum type
        assert column.type.compile(dialect=dialect) == f"VARCHAR({length})"
    assert max(len(member) for member in enum) <= length


def test_open_statuses_are_the_vocab_members_when_the_models_name_them():
    assert OPEN_STATUSES is vocab.OPEN_PAIRING_STATUSES
    assert all(isinstance(status, PairingStatus) for status in OPEN_STATUSES)


def test_model_reads_back_enum_members_when_loaded_from_the_database(
    client, session: Session, settings, staff
):
    world = active_pairing(client, session, settings, staff)
    session.expire_all()
    pairing = session.exec(select(Pairing).where(Pairing.id == world.pairing_id)).one()
    assert pairing.status is PairingStatus.active
    assert pairing.frequency is Frequency.weekly
    meal = session.exec(select(Meal).where(Meal.pairing_id == world.pairing_id)).first()
    assert meal is not None and meal.status is MealStatus.scheduled
    diner = session.get(Diner, world.diner_id)
    assert diner is not None and diner.status is DinerStatus.matched
    assert diner.texture is Texture.soft_bite_sized


def test_model_refuses_a_code_outside_the_vocabulary_when_written(session: Session, barnet):
    pairing = Pairing(
        council_id=barnet.id, cook_id=1, diner_id=1, status="accepted", weekday=1,
        start="12:00", frequency="weekly", distance_m=10.0,
    )  # fmt: skip
    session.add(pairing)
    with pytest.raises(Exception, match="'accepted' is not a valid PairingStatus"):
        session.flush()
    session.rollback()


def test_meal_labels_cover_each_code_when_keyed_by_the_vocab():
    assert list(labels.ALLERGEN_NAMES) == list(Allergen)
    assert all(type(code) is Allergen for code in labels.ALLERGEN_NAMES)
    assert list(labels.TEXTURE_ADVICE) == list(Texture)
    assert all(type(code) is Texture for code in labels.TEXTURE_ADVICE)


def test_forms_offer_the_vocab_labels_when_listing_options():
    assert list(vocab.DIET_LABELS.items()) == cook_forms.DIETS
    assert list(vocab.ALLERGEN_LABELS.items()) == cook_forms.ALLERGENS
    assert list(vocab.TEXTURE_LABELS.items()) == cook_forms.TEXTURES
    assert list(vocab.FREQUENCY_LABELS.items()) == cook_forms.FREQUENCIES
    assert list(vocab.WEEKDAYS) == cook_forms.WEEKDAYS
    for labelled, enum in [
        (vocab.DIET_LABELS, Diet),
        (vocab.ALLERGEN_LABELS, Allergen),
        (vocab.TEXTURE_LABELS, Texture),
        (vocab.FREQUENCY_LABELS, Frequency),
        (vocab.DBS_LEVEL_LABELS, DbsLevel),
        (vocab.UNMATCHED_REASON_LABELS, UnmatchedReason),
    ]:
        assert list(labelled) == list(enum)


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_member_name_is_its_value_when_a_driver_adapts_enums_by_name(enum):
    assert [m.name for m in enum] == [m.value for m in enum]


def test_end_reasons_are_cancel_reasons_when_a_pairing_end_cancels_its_meals():
    assert {r.value for r in EndReason} <= {r.value for r in CancelReason}


# --- the API schema lists the values -----------------------------------------------------------


def _property(schema: dict, model: str, field: str) -> dict:
    components = schema["components"]["schemas"]
    prop = components[model]["properties"][field]
    for option in prop.get("anyOf", [prop]):
        ref = option.get("$ref") or option.get("items", {}).get("$ref")
        if ref:
            return components[ref.rsplit("/", 1)[1]]
        if "enum" in option:
            return option
        if "enum" in option.get("items", {}):
            return option["items"]
    raise AssertionError(f"{model}.{field} lists no values: {prop}")


@pytest.mark.parametrize(
    ("model", "field", "enum"),
    [
        ("PairingOut", "status", PairingStatus),
        ("PairingOut", "end_reason", EndReason),
        ("PairingOut", "frequency", Frequency),
        ("MealOut", "status", MealStatus),
        ("DinerOut", "status", DinerStatus),
        ("DinerOut", "texture", Texture),
        ("DinerOut", "diets", Diet),
        ("DinerOut", "allergies", Allergen),
        ("CookProfileOut", "status", CookStatus),
        ("CookProfileOut", "dbs_level", DbsLevel),
        ("SuggestionsOut", "unmatched_reason", UnmatchedReason),
        ("ConcernIn", "kind", ConcernCategory),
        ("ConcernOut", "status", ConcernStatus),
    ],
)
def test_openapi_lists_the_vocab_values_when_a_field_holds_a_code(model, field, enum):
    schema = app.openapi()
    assert _property(schema, model, field)["enum"] == [m.value for m in enum]


# --- the browser's copy ------------------------------------------------------------------------


def _js_block(name: str) -> str:
    source = VOCAB_JS.read_text(encoding="utf-8")
    found = re.search(rf"export const {name} = (\[.*?\]|\{{.*?\}});", source, re.S)
    assert found, f"{name} is not in {VOCAB_JS.name}"
    return found.group(1)


def _js_pairs(name: str) -> dict[str, str]:
    """[['code', 'Label'], ...] → {code: label}."""
    return dict(re.findall(r"\[\s*'(\w+)',\s*'((?:[^'\\]|\\.)*)'\s*\]", _js_block(name)))


def _js_keys(name: str) -> list[str]:
    """{code: ..., ...} → [code, ...] in order."""
    return re.findall(r"^\s*(\w+):", _js_block(name), re.M)


@pytest.mark.parametrize(
    ("name", "labelled"),
    [
        ("DIETS", vocab.DIET_LABELS),
        ("ALLERGENS", vocab.ALLERGEN_LABELS),
        ("TEXTURES", vocab.TEXTURE_LABELS),
        ("FREQUENCIES", vocab.FREQUENCY_LABELS),
        ("DBS_LEVELS", vocab.DBS_LEVEL_LABELS),
    ],
)
def test_frontend_vocab_equals_python_codes_and_labels_when_listing_options(name, labelled):
    assert list(_js_pairs(name).items()) == [(k.value, v) for k, v in labelled.items()]


def test_frontend_unmatched_reasons_equal_python_codes_and_labels_when_read():
    entries = re.findall(r"^\s*(\w+): '((?:[^'\\]|\\.)*)',", _js_block("UNMATCHED_REASONS"), re.M)
    assert entries == [(k.value, v) for k, v in vocab.UNMATCHED_REASON_LABELS.items()]


@pytest.mark.parametrize(
    ("name", "enum"),
    [
        ("COOK_STATUS", CookStatus),
        ("DINER_STATUS", DinerStatus),
        ("PAIRING_STATUS", PairingStatus),
        ("MEAL_STATUS", MealStatus),
        ("CONCERN_STATUS", ConcernStatus),
        ("CONCERN_KIND", ConcernCategory),
    ],
)
def test_frontend_statuses_equal_python_codes_when_labelled_for_staff(name, enum):
    assert _js_keys(name) == [m.value for m in enum]


def test_frontend_weekdays_equal_python_names_when_read():
    assert re.findall(r"'(\w+)'", _js_block("WEEKDAYS")) == list(vocab.WEEKDAYS)
