"""Rendering a pairing for one viewer: what each side may see at each stage (PRODUCT.md)."""

from __future__ import annotations

from app.geo.distance import public_distance_m, staff_distance_m
from app.models import Cook, Diner, Pairing
from app.names import first_name
from app.pairings.schemas import PairingCook, PairingDiner, PairingOut
from app.vocab import PairingStatus


def pairing_out(pairing: Pairing, *, diner: Diner, cook: Cook, viewer_role: str) -> PairingOut:
    """The address and access notes go only to the cook of an active pairing."""
    show_address = viewer_role == "cook" and pairing.status == PairingStatus.active
    # API.md: 10 m for staff, 100 m for everyone else (the one public rounding).
    distance = staff_distance_m if viewer_role == "staff" else public_distance_m
    assert pairing.id is not None and diner.id is not None and cook.id is not None
    return PairingOut(
        id=pairing.id,
        cook_id=pairing.cook_id,
        diner_id=pairing.diner_id,
        status=pairing.status,
        weekday=pairing.weekday,
        start=pairing.start,
        frequency=pairing.frequency,
        end_reason=pairing.end_reason,
        diner=PairingDiner(
            id=diner.id,
            first_name=first_name(diner.full_name),
            distance_m=distance(pairing.distance_m),
            diets=diner.diets,
            allergies=diner.allergies,
            other_allergies=diner.other_allergies,
            texture=diner.texture,
            address_line=diner.address_line if show_address else None,
            access_notes=diner.access_notes if show_address else None,
        ),
        cook=PairingCook(id=cook.id, display_name=cook.display_name),
    )
