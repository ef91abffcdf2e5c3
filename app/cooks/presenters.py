"""A cook's profile as the cook and their council's staff see it (API.md "Cooks")."""

from __future__ import annotations

from sqlmodel import Session

from app.cooks.schemas import CookProfileOut, PositionOut
from app.models import Cook, Council, Neighbourhood
from app.moderation.rules import checks_expire_on
from app.schemas import Window


def profile_out(session: Session, cook: Cook) -> CookProfileOut:
    """The full profile, for the cook themself and their council's staff."""
    council = session.get(Council, cook.council_id)
    assert council is not None and cook.id is not None
    imposer = session.get(Council, cook.status_council_id) if cook.status_council_id else None
    hood = session.get(Neighbourhood, cook.neighbourhood_id) if cook.neighbourhood_id else None
    return CookProfileOut(
        id=cook.id,
        status=cook.status,
        status_reason=cook.status_reason,
        status_council=imposer.slug if imposer else None,
        location_review=cook.location_review,
        council=council.slug,
        neighbourhood=hood.name if hood else None,
        display_name=cook.display_name,
        phone=cook.phone,
        address_line=cook.address_line,
        postcode=cook.postcode,
        position=PositionOut(
            latitude=cook.latitude, longitude=cook.longitude, precision=cook.geo_precision
        ),
        walk_radius_m=cook.walk_radius_m,
        effective_radius_m=min(cook.walk_radius_m, council.max_walk_radius_m),
        max_diners=cook.max_diners,
        frequencies=cook.frequencies,
        diets=cook.diets,
        allergen_free=cook.allergen_free,
        textures=cook.textures,
        availability=[Window.model_validate(w) for w in cook.availability],
        dbs_checked_on=cook.dbs_checked_on,
        dbs_level=cook.dbs_level,
        checks_expire_on=checks_expire_on(cook, council),
    )
