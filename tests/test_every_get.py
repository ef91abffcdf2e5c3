"""Every GET route of the app, as each role and anonymously, on the demo data, through the app's
real get_session: none answers 5xx, and each answers 200 to someone.

The `client` fixture hands every request one shared read-write session; in the service a safe
request's transaction only reads, and PostgreSQL refuses a row lock in it. Printing a meal's
label locked the meal: 500 for every cook on PostgreSQL, while every test passed (an outside
check). This walks every GET with what each role can see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar
from starlette.routing import Route

from app.accounts.service import start_session
from app.accounts.tokens import TokenKind
from app.demo import DEMO_ADMIN_EMAIL, seed_demo
from app.deps import SESSION_COOKIE
from app.main import app
from app.matching import preview
from app.matching.schemas import ConfirmIn
from app.models import Concern, Cook, CookAway, Council, Diner, Meal, Pairing, User
from app.notifications.feeds import rotate_calendar_token
from app.pages import carer_home, carer_register, cook_profile
from app.vocab import MealStatus, PairingStatus
from tests.conftest import TEST_SETTINGS

Row = TypeVar("Row")

# The words a page route takes in its path, from the app's own lists.
WORDS = {
    "step": [*cook_profile.STEPS, *carer_register.STEPS, "check"],
    "what": list(carer_home.CHANGES),
    "kind": ["pause", "change-cook", "leave"],
}
# The query a route needs, filled as its path is.
QUERIES = {
    "/concerns/new": "?diner={diner_id}",
    "/check-your-area": "?postcode=M1+1AE",  # outside every demo council: noted by no GET
}
# Routes nobody here reaches without a 4xx, and why (each is covered by tests of its own).
ONLY_REFUSED = {"/dev/mail": "the local mailbox is served in development only"}


@dataclass
class Role:
    name: str
    user: User | None = None
    ids: dict[str, object] = field(default_factory=dict)


def first(session: Session, query: SelectOfScalar[Row]) -> Row:
    """The query's first row, which the demo data has."""
    found = session.exec(query).first()
    assert found is not None, str(query)
    return found


def roles(session: Session) -> list[Role]:
    """Anonymous, and a demo staff member, admin, cook and carer, each with the ids of what
    they may see."""
    barnet = first(session, select(Council).where(Council.slug == "barnet"))
    active = first(
        session,
        select(Pairing)
        .join(Diner, col(Diner.id) == col(Pairing.diner_id))
        .where(
            Pairing.status == PairingStatus.active,
            Diner.council_id == barnet.id,
            col(Diner.carer_id).is_not(None),
        )
        .order_by(col(Pairing.id)),
    )
    cook = session.get(Cook, active.cook_id)
    diner = session.get(Diner, active.diner_id)
    assert cook is not None and diner is not None and diner.carer_id is not None
    cook_user, carer = session.get(User, cook.user_id), session.get(User, diner.carer_id)
    meal = first(session, select(Meal).where(Meal.cook_id == cook.id).order_by(col(Meal.date)))
    delivered = first(
        session,
        select(Meal).where(Meal.diner_id == diner.id, Meal.status == MealStatus.delivered),
    )
    concern = first(
        session, select(Concern).where(Concern.council_id == barnet.id).order_by(col(Concern.id))
    )
    proposed = first(
        session, select(Pairing).where(Pairing.status == "proposed").order_by(col(Pairing.id))
    )
    invited = session.get(Cook, proposed.cook_id)
    assert invited is not None
    away = CookAway(cook_id=active.cook_id, from_date=meal.date, to_date=meal.date)
    session.add(away)
    assert cook_user is not None and carer is not None
    token = rotate_calendar_token(session, user=cook_user)
    session.flush()
    staff = first(
        session,
        select(User)
        .where(User.role == "staff", User.council_id == barnet.id)
        .order_by(col(User.id)),
    )
    admin = first(session, select(User).where(User.email == DEMO_ADMIN_EMAIL))
    # A batch matching confirmed with nothing ticked: its result page is the staff member's.
    made = preview.preview_matching(session, staff=staff, secret=TEST_SETTINGS.secret_key)
    body = ConfirmIn(preview_id=made.preview_id, pairs=[])
    confirmed = preview.confirm_preview(
        session, staff=staff, secret=TEST_SETTINGS.secret_key, body=body
    )
    return [
        Role("anonymous", ids={"token": token}),
        Role(
            "staff",
            staff,
            {
                "diner_id": diner.id,
                "cook_id": cook.id,
                "concern_id": concern.id,
                "outcome_id": confirmed.outcome_id,
                "meal_id": meal.id,  # its cover page
            },
        ),
        Role("admin", admin, {"cook_id": cook.id}),
        Role(
            "cook",
            cook_user,
            {"meal_id": meal.id, "away_id": away.id, "token": token, "diner_id": diner.id},
        ),
        Role("invited cook", session.get(User, invited.user_id), {"pairing_id": proposed.id}),
        Role("carer", carer, {"diner_id": diner.id, "meal_id": delivered.id}),
    ]


def paths(template: str, ids: dict[str, object]) -> Iterator[str]:
    """The template filled with the role's ids and each of the app's words; none if it names
    something the role has no id for."""
    asked = template + QUERIES.get(template, "")
    names = re.findall(r"{(\w+)}", asked)
    if not names:
        yield asked
        return
    if any(n not in ids and n not in WORDS for n in names):
        return
    filled = [asked]
    for name in names:
        values = WORDS.get(name, [ids.get(name)])
        filled = [f.replace(f"{{{name}}}", str(v)) for f in filled for v in values]
    yield from filled


@pytest.fixture
def demo(real_engine: Engine) -> list[Role]:
    with Session(real_engine, expire_on_commit=False) as setup:
        seed_demo(setup)
        setup.flush()
        found = roles(setup)
        setup.commit()
    return found


def test_every_get_answers_without_a_server_error_and_each_answers_someone(
    real_engine: Engine, demo: list[Role]
):
    templates = sorted(
        {r.path for r in app.routes if isinstance(r, Route) and "GET" in (r.methods or set())}
    )
    answered: dict[str, set[int]] = {t: set() for t in templates}
    failures = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for role in demo:
            if role.name in ("cook", "carer"):  # a concern of their own, to read back
                raised = client.post(
                    "/api/concerns",
                    json={
                        "diner_id": role.ids["diner_id"],
                        "kind": "welfare",
                        "description": "She seemed low",
                    },
                    headers=bearer_for(real_engine, role),
                )
                assert raised.status_code == 201, raised.text
                role.ids["reference"] = raised.json()["reference"]
            client.cookies.clear()
            headers = bearer_for(real_engine, role)
            if role.user is not None:
                client.cookies.set(SESSION_COOKIE, issue(real_engine, role.user, "session"))
            for template in templates:
                for path in paths(template, role.ids):
                    response = client.get(path, headers=headers, follow_redirects=False)
                    answered[template].add(response.status_code)
                    if response.status_code >= 500:
                        failures.append(f"{role.name} GET {path}: {response.status_code}")

    assert failures == []
    refused = sorted(t for t, codes in answered.items() if min(codes) >= 400)
    assert refused == sorted(ONLY_REFUSED), {t: answered[t] for t in refused}


def issue(engine: Engine, user: User, kind: TokenKind) -> str:
    """A sign-in of the user's (a bearer token, or a page's session cookie), committed."""
    with Session(engine) as s:
        found = s.get(User, user.id)
        assert found is not None
        value, _ = start_session(s, user=found, kind=kind, settings=TEST_SETTINGS)
        s.commit()
    return value


def bearer_for(engine: Engine, role: Role) -> dict[str, str]:
    if role.user is None:
        return {}
    return {"Authorization": f"Bearer {issue(engine, role.user, 'access')}"}
