"""A per-process cache of each council's cook index, checked against the database each time.

Suggestions are asked for one diner at a time; loading and decoding every cook near them on
each request costs far more than the engine. The cache holds each council's approved cooks as
engine inputs and is keyed by a version read from the database on every use: the latest
`cook.updated_at` of the council (one step down the (council_id, updated_at) index), the day,
the council's rules and the database. Any change to a cook's row (an approval, a suspension, a
new profile, a move into the council) sets `updated_at` and so is seen by every process on its
next request. A cook who leaves the council (a move) or whose row is deleted does not raise
that maximum: callers therefore re-read the row versions of the candidates they are about to
show (`inputs.cook_state`) and rebuild when one differs (`council_cooks(..., rebuild=True)`).
Capacity and absences are NOT cached: they change without touching the cook's row, so callers
re-check them for the candidates.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func

from app.matching.engine import CookIndex, CookInput
from app.matching.inputs import CookRow, cook_inputs
from app.models import Cook, Council

CacheKey = tuple[datetime | None, date, int, int, str]


@dataclass(frozen=True)
class CouncilCooks:
    key: CacheKey
    index: CookIndex
    inputs: dict[int, CookInput]
    rows: dict[int, CookRow]


_cache: dict[int, CouncilCooks] = {}
_lock = threading.Lock()
_LATEST = core_select(func.max(col(Cook.updated_at))).where(
    col(Cook.council_id) == bindparam("council_id")
)


def _version(
    session: Session, council: Council, today: date, latest: datetime | _Unread | None
) -> CacheKey:
    if isinstance(latest, _Unread):
        latest = session.connection().execute(_LATEST, {"council_id": council.id}).scalar()
    url = str(session.get_bind().engine.url)  # one cache per database (tests use several)
    return (latest, today, council.max_walk_radius_m, council.dbs_recheck_days, url)


class _Unread:
    """``council_cooks``'s ``latest`` when the caller has not read it."""


UNREAD = _Unread()


def council_cooks(
    session: Session,
    *,
    council: Council,
    today: date,
    rebuild: bool = False,
    latest: datetime | _Unread | None = UNREAD,
) -> CouncilCooks:
    """The council's approved cooks as an index, rebuilt only when the database says so (or
    when ``rebuild``: a caller found a cached row out of date). ``latest``: the council's
    latest ``cook.updated_at`` when the caller read it in this transaction (suggestions read
    it with the diner), else it is read here."""
    assert council.id is not None
    key = _version(session, council, today, latest)
    cached = _cache.get(council.id)
    if not rebuild and cached is not None and cached.key == key:
        return cached
    inputs, rows = cook_inputs(
        session, council=council, today=today, with_loads=False, with_away=False
    )
    # Capacity (spare = max places) and absences left open here; both are checked per request.
    built = CouncilCooks(key, CookIndex(inputs), {c.id: c for c in inputs}, rows)
    with _lock:
        _cache[council.id] = built
    # The index is long-lived and large (a city's is some 300,000 objects): moved out of the
    # cyclic collector's sight, it is no longer walked by each full collection (one took half
    # a second, every few hundred suggestions). Reference counting still frees it when replaced.
    gc.freeze()
    return built


def with_capacity(cooks: list[CookInput], loads: dict[int, int]) -> list[CookInput]:
    """The same cooks with their current load and spare places."""
    return [
        replace(c, load=loads.get(c.id, 0), spare=max(0, c.spare - loads.get(c.id, 0)))
        for c in cooks
    ]
