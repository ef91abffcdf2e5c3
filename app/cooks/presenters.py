"""A cook's profile as the cook and their council's staff see it (API.md "Cooks")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Label, Row, bindparam
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.cooks.schemas import CookProfileOut, PositionOut
from app.errors import NotFound
from app.models import Cook, Council, Neighbourhood
from app.moderation.rules import dbs_expires_on, status_reason_for
from app.schemas import Window

# What a profile shows of the cook's council, the council that set a suspension or rejection
# and the neighbourhood, as plain columns: one statement, built once, with parameters.
_Imposer = aliased(Council)
_PLACE_COLUMNS: tuple[Label[Any], ...] = (
    col(Council.slug).label("council_slug"),
    col(Council.max_walk_radius_m).label("council_max_walk_radius_m"),
    col(Council.dbs_recheck_days).label("council_dbs_recheck_days"),
    col(_Imposer.slug).label("imposer_slug"),
    col(Neighbourhood.name).label("neighbourhood_name"),
)
_PLACE = (
    core_select(*_PLACE_COLUMNS)
    .select_from(Council)
    .outerjoin(_Imposer, col(_Imposer.id) == bindparam("status_council_id"))
    .outerjoin(Neighbourhood, col(Neighbourhood.id) == bindparam("neighbourhood_id"))
    .where(col(Council.id) == bindparam("council_id"))
)
# The signed-in cook's own profile with the same, in one statement (GET /api/cooks/me).
_OWN_PROFILE = (
    core_select(*Cook.__table__.columns, *_PLACE_COLUMNS)  # type: ignore[attr-defined]
    .join(Council, col(Council.id) == col(Cook.council_id))
    .outerjoin(_Imposer, col(_Imposer.id) == col(Cook.status_council_id))
    .outerjoin(Neighbourhood, col(Neighbourhood.id) == col(Cook.neighbourhood_id))
    .where(col(Cook.user_id) == bindparam("user_id"))
)


def profile_out(
    session: Session, cook: Cook, *, staff_council: int | None = None
) -> CookProfileOut:
    """The full profile, for the cook themself and their council's staff (`staff_council`:
    theirs, whose staff read only their own council's reason for the cook's status)."""
    # The read below goes to the connection, without the session's autoflush: what the caller
    # changed is written first, as a query would have.
    session.flush()
    place = (
        session.connection()
        .execute(
            _PLACE,
            {
                "council_id": cook.council_id,
                "status_council_id": cook.status_council_id,
                "neighbourhood_id": cook.neighbourhood_id,
            },
        )
        .one()
    )
    return _profile(cook, place, reason=status_reason_for(cook, staff_council))


def own_profile_out(session: Session, *, user_id: int | None) -> CookProfileOut:
    """The signed-in cook's own profile, read in one statement (none yet: 404, as
    app.cooks.service.get_own_profile)."""
    row = session.connection().execute(_OWN_PROFILE, {"user_id": user_id}).first()
    if row is None:
        raise NotFound("You have no cook profile yet")
    return _profile(row, row, reason=row.status_reason)


def _profile(
    cook: Cook | Row[*tuple[Any, ...]], place: Row[*tuple[Any, ...]], *, reason: str | None
) -> CookProfileOut:
    assert cook.id is not None
    return CookProfileOut(
        id=cook.id,
        status=cook.status,
        status_reason=reason,
        status_council=place.imposer_slug if cook.status_council_id else None,
        location_review=cook.location_review,
        council=place.council_slug,
        neighbourhood=place.neighbourhood_name if cook.neighbourhood_id else None,
        display_name=cook.display_name,
        phone=cook.phone,
        address_line=cook.address_line,
        postcode=cook.postcode,
        position=PositionOut(
            latitude=cook.latitude, longitude=cook.longitude, precision=cook.geo_precision
        ),
        walk_radius_m=cook.walk_radius_m,
        effective_radius_m=min(cook.walk_radius_m, place.council_max_walk_radius_m),
        max_diners=cook.max_diners,
        frequencies=cook.frequencies,
        diets=cook.diets,
        allergen_free=cook.allergen_free,
        textures=cook.textures,
        availability=[Window.model_validate(w) for w in cook.availability],
        dbs_checked_on=cook.dbs_checked_on,
        dbs_level=cook.dbs_level,
        checks_expire_on=dbs_expires_on(cook.dbs_checked_on, place.council_dbs_recheck_days),
    )
