"""A per-process cache of each council's cook index, checked against the database each time.

Suggestions are asked for one diner at a time; loading and decoding every cook near them on
each request costs far more than the engine. The cache holds each council's approved cooks as
engine inputs and is keyed by a version read from the database on every use (the latest
`cook.updated_at` and the number of cooks, over every status), so a change made by any process
(an approval, a suspension, a new profile) is seen by all the others on their next request.
Capacity and absences are NOT cached: they change without touching the cook's row, so callers
re-check them for the candidates.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session, func, select

from app.matching.engine import CookIndex, CookInput
from app.matching.inputs import CookFields, cook_inputs
from app.models import Cook, Council

CacheKey = tuple[datetime | None, int, date, int, int, str]


@dataclass(frozen=True)
class CouncilCooks:
    key: CacheKey
    index: CookIndex
    inputs: dict[int, CookInput]
    rows: dict[int, CookFields]


_cache: dict[int, CouncilCooks] = {}
_lock = threading.Lock()


def _version(session: Session, council: Council, today: date) -> CacheKey:
    latest, count = session.exec(
        select(func.max(Cook.updated_at), func.count()).where(Cook.council_id == council.id)
    ).one()
    bind = session.get_bind()
    url = str(bind.engine.url)  # one cache per database (tests use several)
    return (latest, count, today, council.max_walk_radius_m, council.dbs_recheck_days, url)


def council_cooks(session: Session, *, council: Council, today: date) -> CouncilCooks:
    """The council's approved cooks as an index, rebuilt only when the database says so."""
    assert council.id is not None
    key = _version(session, council, today)
    cached = _cache.get(council.id)
    if cached is not None and cached.key == key:
        return cached
    inputs, rows = cook_inputs(
        session, council=council, today=today, with_loads=False, with_away=False
    )
    # Capacity (spare = max places) and absences left open here; both are checked per request.
    built = CouncilCooks(key, CookIndex(inputs), {c.id: c for c in inputs}, rows)
    with _lock:
        _cache[council.id] = built
    return built


def with_capacity(cooks: list[CookInput], loads: dict[int, int]) -> list[CookInput]:
    """The same cooks with their current load and spare places."""
    return [
        replace(c, load=loads.get(c.id, 0), spare=max(0, c.spare - loads.get(c.id, 0)))
        for c in cooks
    ]
