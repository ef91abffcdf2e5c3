"""A batch's diners from the database: the council's waiting diners and their history, one
query each (whatever their number), as plain rows.

``inputs.waiting_diner_rows`` and ``inputs.history`` give the same, but history by lists of ids
(sixty queries for a national batch) and the diners through each column's result processing
(the vocabulary columns become enums one value at a time); here the vocabulary values are
looked up in a table and the history is joined on the same waiting diners in the database.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVarTuple

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    Text,
    bindparam,
    cast,
    literal,
    type_coerce,
    union_all,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from app.diners.erasure_hold import held_diner_ids
from app.matching.inputs import DinerRow, _Decoded
from app.models import OPEN_STATUSES, Diner, Meal, PairExclusion, Pairing
from app.vocab import DinerStatus, Frequency, MealStatus, PairingStatus, Texture

Row = TypeVarTuple("Row")
_TEXTURES = {t.value: t for t in Texture}
_FREQUENCIES = {f.value: f for f in Frequency}

_IN_COUNCIL = (
    col(Diner.council_id) == bindparam("council_id"),
    col(Diner.status) == DinerStatus.waiting,
)
_WAITING = (
    core_select(
        col(Diner.id),
        col(Diner.council_id),
        col(Diner.full_name),
        col(Diner.latitude),
        col(Diner.longitude),
        cast(col(Diner.diets), Text),
        cast(col(Diner.allergies), Text),
        type_coerce(col(Diner.texture), String),
        cast(col(Diner.availability), Text),
        type_coerce(col(Diner.frequency), String),
        col(Diner.paused_from),
        col(Diner.paused_to),
    )
    .where(
        *_IN_COUNCIL,
        col(Diner.id).not_in(
            core_select(col(Pairing.diner_id)).where(col(Pairing.status).in_(OPEN_STATUSES))
        ),
    )
    .order_by(col(Diner.id))
)


def waiting_diners(session: Session, *, council_id: int, today: date) -> list[DinerRow]:
    """The council's diners waiting today (not paused) with no open pairing, and not held for
    an erasure, by id; each distinct JSON text decoded once. The same rows as
    ``inputs.waiting_diner_rows``."""
    decoded = _Decoded()
    found = []
    # The relatives an erasure request names (app/diners/erasure_hold.py): the few requests
    # read once and left out by id here, cheaper than any test in the query.
    held = held_diner_ids(session)
    rows = session.connection().execute(_WAITING, {"council_id": council_id}).all()
    for diner_id, council, name, lat, lon, diets, allergies, texture, avail, freq, *pause in rows:
        assert diner_id is not None
        if diner_id in held:
            continue
        paused_from, paused_to = pause
        # diners.rules.public_status of a stored "waiting": paused while today is in the pause.
        if paused_from is not None and paused_to is not None and paused_from <= today <= paused_to:
            continue
        (diet_l, diet), (allergy_l, allergy) = decoded.set(diets), decoded.set(allergies)
        avail_l, avail_w = decoded.window(avail)
        found.append(
            DinerRow(
                diner_id,
                council,
                name,
                lat,
                lon,
                diet_l,
                allergy_l,
                _TEXTURES[texture],
                avail_l,
                _FREQUENCIES[freq],
                diet,
                allergy,
                avail_w,
            )
        )
    return found


def _joined(query: Select[*Row], diner_id: Any) -> Select[*Row]:
    """History rows of the council's "waiting" diners only."""
    return query.join(Diner, col(Diner.id) == diner_id).where(*_IN_COUNCIL)


_WAITING_HISTORY: CompoundSelect[int, int, int] = union_all(
    _joined(
        core_select(literal(0), col(PairExclusion.diner_id), col(PairExclusion.cook_id)),
        col(PairExclusion.diner_id),
    ),
    _joined(  # a cook who declined the diner is not offered them again (as ``inputs.history``)
        core_select(literal(0), col(Pairing.diner_id), col(Pairing.cook_id)),
        col(Pairing.diner_id),
    ).where(col(Pairing.status) == PairingStatus.declined),
    _joined(
        core_select(literal(1), col(Pairing.diner_id), col(Pairing.cook_id)),
        col(Pairing.diner_id),
    ).where(col(Pairing.accepted_at).is_not(None)),
    _joined(
        core_select(literal(1), col(Meal.diner_id), col(Meal.cook_id)),
        col(Meal.diner_id),
    ).where(
        col(Meal.is_cover).is_(True),
        col(Meal.status) == MealStatus.delivered,
        col(Meal.cook_id).is_not(None),
    ),
)


def waiting_history(
    session: Session, *, council_id: int, diner_ids: list[int]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """``inputs.history(session, diner_ids)`` for diners of the council whose stored status is
    "waiting" (``waiting_diners`` gives only such), in one query joined on those diners."""
    excluded: dict[int, set[int]] = {d: set() for d in diner_ids}
    met: dict[int, set[int]] = {d: set() for d in diner_ids}
    for kind, diner_id, cook_id in session.connection().execute(
        _WAITING_HISTORY, {"council_id": council_id}
    ):
        found = (met if kind else excluded).get(diner_id)
        if found is not None:
            found.add(cook_id)
    return excluded, met
