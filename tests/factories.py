"""Plain helpers that create records with sensible defaults (each test sets what it asserts)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import Engine, update
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from app.accounts.passwords import current_parameters, hash_password
from app.accounts.service import start_session
from app.config import Settings
from app.councils.service import add_neighbourhood
from app.db import utcnow
from app.models import Council, Meal, Notification, User

DEFAULT_PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def _default_hash() -> str:
    return _default_hash_with(current_parameters())  # which a test may change


@cache
def _default_hash_with(parameters: str) -> str:
    return hash_password(DEFAULT_PASSWORD)  # Argon2 is slow by design: hash once per run


def create_council(
    session: Session,
    *,
    slug: str | None = None,
    lad_codes: list[str] | None = None,
    **fields: object,
) -> Council:
    n = next(_seq)
    council = Council(
        slug=slug or f"council-{n}",
        name=f"Council {n}",
        lad_codes=lad_codes if lad_codes is not None else ["E09000003"],
        **fields,
    )
    session.add(council)
    session.flush()
    return council


def create_user(
    session: Session,
    *,
    role: str = "cook",
    email: str | None = None,
    council: Council | None = None,
    full_name: str = "Sam Example",
    password_hash: str | None = None,
) -> User:
    """A user whose password is DEFAULT_PASSWORD (hashed with the settings' parameters unless
    `password_hash` is given)."""
    address = email or f"person{next(_seq)}@example.org"
    user = User(
        email=address,
        email_key=address.lower(),
        full_name=full_name,
        password_hash=password_hash or _default_hash(),
        role=role,
        council_id=council.id if council else None,
    )
    session.add(user)
    session.flush()
    return user


def staff_headers(engine: Engine, settings: Settings) -> dict[str, str]:
    """A bearer token of a staff member of a new council, committed to `engine`'s database
    (for tests of the app's own engine and sessions, `real_engine`)."""
    with Session(engine, expire_on_commit=False) as setup:
        staff = create_user(setup, role="staff", council=create_council(setup, slug="barnet"))
        headers = auth_headers(staff, settings)
        setup.commit()
    return headers


def auth_headers(user: User, settings: Settings) -> dict[str, str]:
    """A bearer token for the user, with its sign-in recorded in the user's session (the
    test's; `staff_headers` commits one for tests of the app's own sessions)."""
    session = object_session(user)
    if not isinstance(session, Session):
        raise ValueError("auth_headers needs a user of an open session, to record the sign-in")
    token, _ = start_session(session, user=user, kind="access", settings=settings)
    return {"Authorization": f"Bearer {token}"}


def cook_payload(**overrides: object) -> dict[str, object]:
    """A valid PUT /api/cooks/me body in Barnet (N3 1HT)."""
    body: dict[str, object] = {
        "display_name": "Priya",
        "phone": "020 7946 0018",
        "address_line": "12 Example Road",
        "postcode": "n31ht",
        "walk_radius_m": 1500,
        "max_diners": 2,
        "frequencies": ["weekly", "fortnightly"],
        "diets": ["vegetarian", "halal"],
        "allergen_free": ["peanuts", "tree_nuts"],
        "textures": ["regular", "soft_bite_sized"],
        "availability": [{"weekday": 1, "start": "17:00", "end": "19:00"}],
    }
    return body | overrides


def diner_payload(**overrides: object) -> dict[str, object]:
    """A valid POST /api/diners body in Barnet (N3 1QX, about 300 m from the default cook)."""
    body: dict[str, object] = {
        "full_name": "Edna Smith",
        "address_line": "3 Quiet Close",
        "postcode": "N3 1QX",
        "phone": "07911 123456",
        "diets": ["vegetarian"],
        "allergies": ["peanuts"],
        "texture": "soft_bite_sized",
        "availability": [{"weekday": 1, "start": "17:30", "end": "19:00"}],
        "frequency": "weekly",
        "access_notes": "Key safe by the door, code from the coordinator",
        "consent": True,
    }
    return body | overrides


def approve_payload(**overrides: object) -> dict[str, object]:
    from datetime import date, timedelta

    body: dict[str, object] = {
        "dbs_checked_on": str(date.today() - timedelta(days=30)),
        "dbs_level": "enhanced",
        "id_checked": True,
        "hygiene_ack": True,
    }
    return body | overrides


def signed_up_cook(
    client, session: Session, settings: Settings, **payload: object
) -> tuple[User, int]:  # type: ignore[no-untyped-def]
    """A cook who has put a profile (pending); returns the user and the profile id."""
    user = create_user(session, role="cook")
    response = client.put(
        "/api/cooks/me", json=cook_payload(**payload), headers=auth_headers(user, settings)
    )
    assert response.status_code == 200, response.text
    return user, response.json()["id"]


def approved_cook(
    client, session: Session, settings: Settings, staff: User, **payload: object
) -> tuple[User, int]:  # type: ignore[no-untyped-def]
    user, cook_id = signed_up_cook(client, session, settings, **payload)
    response = client.post(
        f"/api/staff/cooks/{cook_id}/approve",
        json=approve_payload(),
        headers=auth_headers(staff, settings),
    )
    assert response.status_code == 200, response.text
    return user, cook_id


def registered_diner(
    client, session: Session, settings: Settings, **payload: object
) -> tuple[User, int]:  # type: ignore[no-untyped-def]
    carer = create_user(session, role="carer")
    response = client.post(
        "/api/diners", json=diner_payload(**payload), headers=auth_headers(carer, settings)
    )
    assert response.status_code == 201, response.text
    return carer, response.json()["id"]


@dataclass(frozen=True)
class PairingWorld:
    """A weekly Tuesday 17:30 pairing proposed by `staff`: Priya (N3 1HT: vegetarian and halal,
    peanut and tree-nut free, regular and soft bite-sized, walks 1,500 m) cooks for Edna
    (N3 1QX: vegetarian, peanuts, soft bite-sized), registered by `carer`. The headers are
    bearer tokens of the cook and the carer; `coordinator` coordinates the Finchley
    neighbourhood (sectors N3 1) when there is one."""

    staff: User
    cook: User
    cook_id: int
    carer: User
    diner_id: int
    pairing_id: int
    cook_headers: dict[str, str]
    carer_headers: dict[str, str]
    coordinator: User | None = None


def proposed_pairing(
    client,
    session: Session,
    settings: Settings,
    staff: User,
    *,
    coordinator: User | None = None,
    invitation_sent: bool = True,
) -> PairingWorld:  # type: ignore[no-untyped-def]
    """An approved cook, a registered diner and the staff's proposal, not answered yet, its
    invitation sent (as the worker leaves it: a proposal withdrawn before it went is taken back
    unsaid); with a `coordinator`, the Finchley neighbourhood is added first (so the diner is
    in it)."""
    if coordinator is not None:
        council = session.get(Council, staff.council_id)
        assert council is not None
        add_neighbourhood(
            session, council=council, name="Finchley", sectors=["N3 1"], coordinator=coordinator
        )
    cook, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(client, session, settings)
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    proposed = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["status"] == "proposed", proposed.text
    if invitation_sent:
        session.execute(
            update(Notification)
            .where(col(Notification.event) == "proposal", col(Notification.to_user_id) == cook.id)
            .values(status="sent", sent_at=utcnow())
        )
        session.commit()
    return PairingWorld(
        staff=staff,
        cook=cook,
        cook_id=cook_id,
        carer=carer,
        diner_id=diner_id,
        pairing_id=proposed.json()["id"],
        cook_headers=auth_headers(cook, settings),
        carer_headers=auth_headers(carer, settings),
        coordinator=coordinator,
    )


def active_pairing(
    client, session: Session, settings: Settings, staff: User, *, coordinator: User | None = None
) -> PairingWorld:  # type: ignore[no-untyped-def]
    """`proposed_pairing`, accepted by the cook (the answer checked: 200, now active)."""
    world = proposed_pairing(client, session, settings, staff, coordinator=coordinator)
    accepted = client.post(f"/api/pairings/{world.pairing_id}/accept", headers=world.cook_headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "active", accepted.text
    return world


@dataclass(frozen=True)
class CommittedPairing:
    """A pairing made through the API on a real engine, every step committed (for tests whose
    requests run in sessions of their own: threads, races)."""

    cook_headers: dict[str, str]
    diner_id: int
    pairing_id: int
    staff_id: int = 0
    cook_id: int = 0
    cook_user_id: int = 0
    carer_headers: dict[str, str] = field(default_factory=dict)


def committed_proposal(  # type: ignore[no-untyped-def]
    client, engine: Engine, settings: Settings, *, availability: list | None = None
) -> CommittedPairing:
    """Barnet's staff propose a cook (approved; free at `availability`, else Tuesday evening)
    to a carer's diner (Tuesday 17:30, weekly)."""
    with Session(engine, expire_on_commit=False) as setup:
        staff = create_user(setup, role="staff", council=create_council(setup, slug="barnet"))
        cook, carer = create_user(setup, role="cook"), create_user(setup, role="carer")
        staff_h, cook_h, carer_h = (auth_headers(u, settings) for u in (staff, cook, carer))
        setup.commit()
    profile = cook_payload(**({"availability": availability} if availability else {}))
    cook_id = client.put("/api/cooks/me", json=profile, headers=cook_h).json()["id"]
    approved = client.post(
        f"/api/staff/cooks/{cook_id}/approve", json=approve_payload(), headers=staff_h
    )
    assert approved.status_code == 200, approved.text
    diner_id = client.post("/api/diners", json=diner_payload(), headers=carer_h).json()["id"]
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    proposal = client.post("/api/staff/pairings", json=body, headers=staff_h)
    assert proposal.status_code == 201, proposal.text
    assert staff.id is not None and cook.id is not None
    return CommittedPairing(
        cook_headers=cook_h,
        diner_id=diner_id,
        pairing_id=proposal.json()["id"],
        staff_id=staff.id,
        cook_id=cook_id,
        cook_user_id=cook.id,
        carer_headers=carer_h,
    )


def committed_active_pairing(client, engine: Engine, settings: Settings) -> CommittedPairing:  # type: ignore[no-untyped-def]
    """`committed_proposal`, accepted by the cook."""
    proposed = committed_proposal(client, engine, settings)
    accepted = client.post(
        f"/api/pairings/{proposed.pairing_id}/accept", headers=proposed.cook_headers
    )
    assert accepted.status_code == 200, accepted.text
    return proposed


def covering_helper(
    client, session: Session, settings: Settings, staff: User, *, pairing_id: int
) -> tuple[User, Meal]:  # type: ignore[no-untyped-def]
    """ "Helper" (N3 1BU, approved, peanut-free only) covers the pairing's next meal."""
    helper, helper_id = approved_cook(
        client,
        session,
        settings,
        staff,
        postcode="N3 1BU",
        display_name="Helper",
        allergen_free=["peanuts"],
    )
    meal = session.exec(
        select(Meal)
        .where(Meal.pairing_id == pairing_id, col(Meal.date) >= date.today())
        .order_by(col(Meal.date))
    ).first()
    assert meal is not None
    meal.cook_id, meal.is_cover = helper_id, True
    session.add(meal)
    session.commit()
    return helper, meal
