"""Councils, their neighbourhoods and staff accounts (admin work, mostly from the CLI)."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.passwords import hash_password
from app.accounts.service import checked_names, register_user
from app.errors import Conflict, NotFound, RuleBroken
from app.geo.offline import load_offline_index
from app.models import Council, Neighbourhood, User

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LAD_CODE = re.compile(r"^[EWSN]\d{8}$")


def create_council(
    session: Session, *, slug: str, name: str, lad_codes: list[str], **settings: Any
) -> Council:
    """A council covering the postcodes of these local authority districts."""
    if not SLUG.match(slug):
        raise RuleBroken("invalid_slug", ["slug"], "Use lower-case letters, digits and hyphens")
    bad = [code for code in lad_codes if not LAD_CODE.match(code)]
    if not lad_codes or bad:
        raise RuleBroken("invalid_lad_code", ["lad_codes"], f"Not ONS LAD codes: {bad or 'none'}")
    # A code of the right shape that no postcode has made a council that covered nothing (an
    # outside check). Northern Ireland's are not in the shipped data (only an ONSPD import
    # places its postcodes in a district), so they are taken as given.
    known = load_offline_index().lads
    if unknown := [code for code in lad_codes if code[0] != "N" and code not in known]:
        raise RuleBroken(
            "unknown_lad_code",
            ["lad_codes"],
            f"No local authority district {', '.join(unknown)} in Great Britain's postcode data",
        )
    if get_council_by_slug(session, slug=slug) is not None:
        raise Conflict(f"A council with slug {slug!r} exists")
    # Two councils over one area: the first would take all of it, silently (app/places.py).
    for other in session.exec(select(Council).order_by(col(Council.id))):
        if held := [code for code in lad_codes if code in other.lad_codes]:
            raise Conflict(
                f"Council {other.slug!r} ({other.name}) already covers {', '.join(held)}"
            )
    council = Council(slug=slug, name=name, lad_codes=lad_codes, **settings)
    session.add(council)
    session.flush()
    return council


def get_council_by_slug(session: Session, *, slug: str) -> Council | None:
    return session.exec(select(Council).where(Council.slug == slug)).first()


def create_staff(
    session: Session, *, council_slug: str, email: str, password: str, full_name: str
) -> User:
    """A staff account of one council (the password hashed before the first query: on SQLite
    the transaction holds the write lock from there)."""
    names = checked_names(email=email, full_name=full_name)
    password_hash = hash_password(password)
    council = get_council_by_slug(session, slug=council_slug)
    if council is None:
        raise NotFound(f"No council {council_slug!r}")
    return register_user(
        session,
        email=names.email,
        password=password,
        full_name=names.full_name,
        role="staff",
        council_id=council.id,
        password_hash=password_hash,
    )


def add_neighbourhood(
    session: Session,
    *,
    council: Council,
    name: str,
    sectors: list[str],
    coordinator: User | None = None,
) -> Neighbourhood:
    """A neighbourhood: a set of postcode sectors with a coordinator."""
    hood = Neighbourhood(
        council_id=council.id,  # type: ignore[arg-type]
        name=name,
        sectors=sectors,
        coordinator_id=coordinator.id if coordinator else None,
    )
    session.add(hood)
    session.flush()
    return hood


def staff_council(session: Session, staff: User) -> Council:
    """The council a staff member works for (a staff account always has one)."""
    council = session.get(Council, staff.council_id) if staff.council_id is not None else None
    if council is None:
        raise NotFound("Council not found")
    return council
