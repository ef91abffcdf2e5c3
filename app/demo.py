"""Demo data: the three demo councils, their staff and a believable population (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.accounts.service import email_key, register_user
from app.councils.service import create_council, get_council_by_slug
from app.models import Council, User

DEMO_PASSWORD = "portion-demo-2026"


@dataclass(frozen=True)
class DemoCouncil:
    slug: str
    name: str
    lad_code: str


DEMO_COUNCILS = (
    DemoCouncil("barnet", "London Borough of Barnet", "E09000003"),
    DemoCouncil("tower-hamlets", "London Borough of Tower Hamlets", "E09000030"),
    DemoCouncil("reigate-banstead", "Reigate and Banstead Borough Council", "E07000211"),
)
DEMO_ADMIN_EMAIL = "admin@example.org"


def staff_email(slug: str) -> str:
    return f"staff.{slug}@example.org"


def seed_demo(session: Session, *, only_if_empty: bool = False) -> str:
    """Create whatever demo data is missing; running it twice changes nothing."""
    if only_if_empty and session.exec(select(Council.id)).first() is not None:
        return "Database already has data: demo not loaded."
    created = 0
    _ensure_user(session, email=DEMO_ADMIN_EMAIL, full_name="Demo Admin", role="admin")
    for demo in DEMO_COUNCILS:
        council = get_council_by_slug(session, slug=demo.slug)
        if council is None:
            council = create_council(
                session, slug=demo.slug, name=demo.name, lad_codes=[demo.lad_code]
            )
            created += 1
        _ensure_user(
            session,
            email=staff_email(demo.slug),
            full_name=f"{demo.name.split(' of ')[-1]} coordinator",
            role="staff",
            council=council,
        )
    session.flush()
    return f"Demo data ready ({created} councils created)."


def _ensure_user(
    session: Session, *, email: str, full_name: str, role: str, council: Council | None = None
) -> User:
    existing = session.exec(select(User).where(User.email_key == email_key(email))).first()
    if existing is not None:
        return existing
    return register_user(
        session,
        email=email,
        password=DEMO_PASSWORD,
        full_name=full_name,
        role=role,
        council_id=council.id if council else None,
    )
