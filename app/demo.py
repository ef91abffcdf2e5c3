"""Demo data: the three demo councils, their staff and a believable population (idempotent).

Each council gets one neighbourhood per postcode district of its area, coordinated by its staff
account, then about 120 cooks and 80 diners (registered by some 60 carers) at real unit
postcodes of the borough. The population is drawn from a random generator seeded with the
council's slug, so every run plans the same people; a run creates only those that are missing.

All demo accounts share one password (DEMO_PASSWORD). Argon2 is slow by design, so it is
hashed once per process and the hash reused: seeding takes seconds, not a minute.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cache
from typing import TypeVar

from sqlmodel import Session, col, func, select

from app.accounts.passwords import hash_password, verify_password
from app.accounts.service import email_key
from app.config import Settings, get_settings
from app.cooks.schemas import CookProfileIn
from app.councils.service import add_neighbourhood, create_council, get_council_by_slug
from app.db import utcnow
from app.demo_history import seed_history
from app.diners.schemas import DinerIn
from app.diners.service import register_diner
from app.flows.cooks import put_own_profile
from app.geo.offline import OfflineIndex, load_offline_index
from app.models import Cook, Council, Diner, Neighbourhood, Pairing, User
from app.moderation.schemas import ApproveIn
from app.moderation.service import approve_cook
from app.vocab import DbsLevel, PairingStatus, Role

T = TypeVar("T")
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
DEMO_EMAIL_DOMAIN = "@example.org"  # every demo account's (staff_email, cook_email, ...)
# How many of the most shared hashes of demo addresses `demo_password_accounts` tries: one per
# run of seed-demo (each process hashes the password once), Argon2 costing each a moment.
DEMO_HASHES_TRIED = 5
COOKS_PER_COUNCIL = 120
DINERS_PER_COUNCIL = 80
APPROVED_SHARE = 2 / 3
# Positions shared by this many unit postcodes are PO boxes and large users, not homes.
_SHARED_POSITION = 3


def staff_email(slug: str) -> str:
    return f"staff.{slug}@example.org"


def cook_email(slug: str, number: int) -> str:
    return f"cook{number:03d}.{slug}@example.org"


def carer_email(slug: str, number: int) -> str:
    return f"carer{number:03d}.{slug}@example.org"


# Neighbourhood names for the demo councils' postcode districts ("N3" → "Finchley (N3)").
DISTRICT_NAMES = {
    "EN4": "East Barnet",
    "EN5": "High Barnet",
    "HA8": "Edgware",
    "N2": "East Finchley",
    "N3": "Finchley",
    "N11": "Friern Barnet",
    "N12": "North Finchley",
    "N14": "Southgate",
    "N20": "Whetstone",
    "NW2": "Cricklewood",
    "NW4": "Hendon",
    "NW7": "Mill Hill",
    "NW9": "Colindale",
    "NW11": "Golders Green",
    "E1": "Whitechapel",
    "E1W": "Wapping",
    "E2": "Bethnal Green",
    "E3": "Bow",
    "E9": "Victoria Park",
    "E14": "Poplar and Isle of Dogs",
    "KT20": "Tadworth",
    "RH1": "Redhill",
    "RH2": "Reigate",
    "RH6": "Horley",
    "SM7": "Banstead",
}


def neighbourhood_name(district: str) -> str:
    place = DISTRICT_NAMES.get(district)
    return f"{place} ({district})" if place else district


def seed_demo(
    session: Session, *, only_if_empty: bool = False, settings: Settings | None = None
) -> str:
    """Create whatever demo data is missing; running it twice changes nothing."""
    if only_if_empty and session.exec(select(Council.id)).first() is not None:
        return "Database already has data: demo not loaded." + _naming_paired_cook(session)
    # Demo people live at postcodes the shipped data knows: never ask an online geocoder.
    settings = (settings or get_settings()).model_copy(update={"geocoder": "offline"})
    index = load_offline_index()
    made: Counter[str] = Counter()
    _ensure_user(session, email=DEMO_ADMIN_EMAIL, full_name="Demo Admin", role=Role.admin)
    for demo in DEMO_COUNCILS:
        council = get_council_by_slug(session, slug=demo.slug)
        if council is None:
            council = create_council(
                session, slug=demo.slug, name=demo.name, lad_codes=[demo.lad_code]
            )
            made["councils"] += 1
        staff = _ensure_user(
            session,
            email=staff_email(demo.slug),
            full_name=f"{demo.name.split(' of ')[-1]} coordinator",
            role=Role.staff,
            council=council,
        )
        made["neighbourhoods"] += _ensure_neighbourhoods(
            session, council=council, coordinator=staff, index=index
        )
        cooks, carers = plan_population(demo, index)
        made += _ensure_cooks(session, cooks, staff=staff, settings=settings)
        made += _ensure_carers(session, carers, settings=settings)
        session.flush()
        made += seed_history(session, council=council, staff=staff, now=utcnow())
    session.flush()
    return (
        f"Demo data ready: created {made['councils']} councils, "
        f"{made['neighbourhoods']} neighbourhoods, {made['cooks']} cooks "
        f"({made['approved']} approved), {made['carers']} carers and {made['diners']} diners; "
        f"a year of history: {made['pairings']} pairings, {made['meals']} meals and "
        f"{made['concerns']} concerns." + _naming_paired_cook(session)
    )


def _naming_paired_cook(session: Session) -> str:
    """The sentence of seed-demo's answer that names a cook to sign in as (README)."""
    paired = paired_demo_cook(session)
    return f" A Barnet cook with a neighbour: {paired}." if paired else ""


def paired_demo_cook(session: Session) -> str | None:
    """The first Barnet demo cook with an active pairing: which one depends on the history
    made for the day it is seeded, and README's fixed cook001 has none (a newcomer looked in
    the database to find one)."""
    return session.exec(
        select(User.email)
        .join(Cook, col(Cook.user_id) == col(User.id))
        .join(Pairing, col(Pairing.cook_id) == col(Cook.id))
        .join(Council, col(Council.id) == col(Cook.council_id))
        .where(Council.slug == DEMO_COUNCILS[0].slug, Pairing.status == PairingStatus.active)
        .order_by(col(User.email))
    ).first()


def demo_password_accounts(session: Session) -> int:
    """How many accounts at the demo's addresses sign in with DEMO_PASSWORD, which is
    published: production must not serve them (`portion serve` refuses).

    What seed-demo left, read as it is, without a marker of its own: its accounts share one
    hash per run (`_demo_password_hash`), so the few most shared hashes at its addresses are
    tried, not each account (a database without such addresses costs one query)."""
    shared = session.exec(
        select(User.password_hash, func.count())
        .where(col(User.email_key).endswith(DEMO_EMAIL_DOMAIN))
        .group_by(col(User.password_hash))
        .order_by(func.count().desc())
        .limit(DEMO_HASHES_TRIED)
    ).all()
    return sum(count for hashed, count in shared if verify_password(hashed, DEMO_PASSWORD))


@cache
def _demo_password_hash() -> str:
    return hash_password(DEMO_PASSWORD)


def _ensure_user(
    session: Session, *, email: str, full_name: str, role: str, council: Council | None = None
) -> User:
    existing = session.exec(select(User).where(User.email_key == email_key(email))).first()
    return existing or _new_user(
        session, email=email, full_name=full_name, role=role, council=council
    )


def _new_user(
    session: Session, *, email: str, full_name: str, role: str, council: Council | None = None
) -> User:
    """A user as register_user makes one, with the shared demo hash."""
    user = User(
        email=email,
        email_key=email_key(email),
        full_name=full_name,
        password_hash=_demo_password_hash(),
        role=role,
        council_id=council.id if council else None,
    )
    session.add(user)
    session.flush()
    return user


# --- neighbourhoods -----------------------------------------------------------------------

_DISTRICT = re.compile(r"([A-Z]+)(\d+)([A-Z]?)")


def _district_order(district: str) -> tuple[str, int, str]:
    """N2 before N11 before NW2."""
    match = _DISTRICT.fullmatch(district)
    if match is None:
        return (district, 0, "")
    return (match[1], int(match[2]), match[3])


def _ensure_neighbourhoods(
    session: Session, *, council: Council, coordinator: User, index: OfflineIndex
) -> int:
    """One neighbourhood per postcode district, for the sectors no neighbourhood has yet."""
    existing = session.exec(
        select(Neighbourhood).where(Neighbourhood.council_id == council.id)
    ).all()
    names = {hood.name for hood in existing}
    claimed = {sector for hood in existing for sector in hood.sectors}
    by_district: dict[str, list[str]] = defaultdict(list)
    for lad_code in council.lad_codes:
        for sector in index.sectors_in_lad(lad_code):
            if sector not in claimed:
                by_district[sector.split(" ")[0]].append(sector)
    created = 0
    for district in sorted(by_district, key=_district_order):
        name = neighbourhood_name(district)
        if name in names:
            continue
        add_neighbourhood(
            session,
            council=council,
            name=name,
            sectors=sorted(by_district[district]),
            coordinator=coordinator,
        )
        created += 1
    return created


# --- the population ------------------------------------------------------------------------


@dataclass(frozen=True)
class CookPlan:
    email: str
    full_name: str
    profile: CookProfileIn
    approved: bool
    dbs_days_ago: int
    approved_days_ago: int


@dataclass(frozen=True)
class CarerPlan:
    email: str
    full_name: str
    diners: tuple[DinerIn, ...]


@dataclass(frozen=True)
class _Flavour:
    """What makes a borough's population look like that borough."""

    first_names: tuple[str, ...]
    older_first_names: tuple[str, ...]
    surnames: tuple[str, ...]
    cook_diets: tuple[tuple[tuple[str, ...], int], ...]
    diner_diets: tuple[tuple[tuple[str, ...], int], ...]
    flats: float  # share of addresses that are flats in a named block
    phone_prefix: str  # Ofcom's drama ranges: numbers that never ring anyone


_FIRST_NAMES = (
    "Sarah", "David", "Helen", "Paul", "Karen", "Mark", "Claire", "Andrew", "Rachel",
    "James", "Emma", "Tom", "Lucy", "Richard", "Joanne", "Gary", "Michelle", "Daniel",
    "Sophie", "Chris", "Laura", "Ben", "Hannah", "Steve", "Nicola", "Priya", "Ravi", "Aisha",
    "Kwame", "Grace", "Tomasz", "Agnieszka", "Sean", "Fiona", "Olivia", "Jack", "Amelia",
)  # fmt: skip
_OLDER_FIRST_NAMES = (
    "Edna", "Doris", "Harold", "Albert", "Margaret", "Joan", "Betty", "Arthur", "Stanley",
    "Irene", "Dorothy", "Kenneth", "Eileen", "Ronald", "Sheila", "Maureen", "Patricia",
    "Brian", "Derek", "Jean", "Barbara", "Iris", "Sylvia", "Gwen", "Leonard", "Reginald",
    "Mavis", "Winifred", "Frank", "Peggy", "Norman", "Vera", "Cyril", "Audrey",
)  # fmt: skip
_SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Harris", "Martin", "Cooper", "King",
    "Patel", "Murphy", "O'Brien", "Kowalski", "Mensah", "Okafor", "Shah", "Campbell",
)  # fmt: skip
# A cook's diets: perhaps the household's own tradition (per borough), plus everyday ones
# any careful cook can manage, each with its own chance.
_COMMON_COOK_DIETS: tuple[tuple[tuple[str, ...], int], ...] = (((), 80),)
_EVERYDAY_DIETS: dict[tuple[str, ...], float] = {
    ("vegetarian",): 0.35,
    ("vegan",): 0.05,
    ("pescatarian",): 0.1,
    ("no_pork",): 0.2,
    ("diabetic_friendly",): 0.3,
    ("low_salt",): 0.3,
}
_COMMON_DINER_DIETS: tuple[tuple[tuple[str, ...], int], ...] = (
    ((), 62),
    (("diabetic_friendly",), 10),
    (("vegetarian",), 6),
    (("low_salt",), 5),
    (("diabetic_friendly", "low_salt"), 4),
    (("no_pork",), 2),
    (("pescatarian",), 2),
)
_FLAVOURS = {
    "barnet": _Flavour(
        first_names=(*_FIRST_NAMES, "Miriam", "Jonathan", "Naomi", "Dev", "Anjali", "Yusuf"),
        older_first_names=(*_OLDER_FIRST_NAMES, "Esther", "Ruth", "Sol", "Hilda", "Manny"),
        surnames=(*_SURNAMES, "Cohen", "Levy", "Green", "Goldberg", "Shah", "Nikolaidis"),
        cook_diets=(*_COMMON_COOK_DIETS, (("kosher",), 9), (("halal", "no_pork"), 3)),
        diner_diets=(*_COMMON_DINER_DIETS, (("kosher",), 8), (("halal",), 2)),
        flats=0.25,
        phone_prefix="020 7946 0",
    ),
    "tower-hamlets": _Flavour(
        first_names=(*_FIRST_NAMES, "Nasima", "Rehana", "Jamal", "Shamim", "Farhana", "Imran"),
        older_first_names=(*_OLDER_FIRST_NAMES, "Anwara", "Abdul", "Rahima", "Shamsul"),
        surnames=(*_SURNAMES, "Ahmed", "Begum", "Miah", "Rahman", "Uddin", "Khan", "Ali"),
        cook_diets=(*_COMMON_COOK_DIETS, (("halal", "no_pork"), 22), (("halal",), 5)),
        diner_diets=(*_COMMON_DINER_DIETS, (("halal",), 20), (("kosher",), 1)),
        flats=0.6,
        phone_prefix="020 7946 0",
    ),
    "reigate-banstead": _Flavour(
        first_names=_FIRST_NAMES,
        older_first_names=_OLDER_FIRST_NAMES,
        surnames=(*_SURNAMES, "Fletcher", "Baker", "Chandler", "Ellis", "Marsh"),
        cook_diets=(*_COMMON_COOK_DIETS, (("halal", "no_pork"), 2), (("kosher",), 1)),
        diner_diets=(*_COMMON_DINER_DIETS, (("vegetarian",), 2), (("halal",), 1)),
        flats=0.15,
        phone_prefix="03069 990",
    ),
}
_STREETS = (
    "Station Road", "High Street", "Church Lane", "Park Avenue", "Victoria Road",
    "The Crescent", "Mill Lane", "Queens Road", "Manor Way", "Grove Road", "Chestnut Close",
    "Elm Grove", "Albert Road", "Kings Road", "Orchard Way", "Springfield Road",
    "Mayfield Avenue", "Woodland Way", "Oakwood Drive", "Beech Close", "Cedar Road",
)  # fmt: skip
_BLOCKS = (
    "Cedar House", "Mulberry House", "Anchor House", "Clipper House", "Lock House",
    "Wren Court", "Poplar Court", "Maple House", "Harbour House", "Canal View",
)  # fmt: skip
# Allergens a cook can keep out of the kitchen; some only go together (nuts, seafood).
_COOK_ALLERGEN_FREE: dict[tuple[str, ...], float] = {
    ("peanuts", "tree_nuts"): 0.6,
    ("sesame",): 0.35,
    ("cereals_containing_gluten",): 0.25,
    ("milk",): 0.25,
    ("eggs",): 0.2,
    ("crustaceans", "fish", "molluscs"): 0.3,
    ("celery",): 0.2,
    ("mustard",): 0.25,
    ("sulphites",): 0.15,
    ("lupin",): 0.15,
    ("soya",): 0.15,
}
_DINER_ALLERGIES: tuple[tuple[tuple[str, ...], int], ...] = (
    ((), 70),
    (("peanuts",), 6),
    (("milk",), 5),
    (("cereals_containing_gluten",), 5),
    (("peanuts", "tree_nuts"), 4),
    (("eggs",), 2),
    (("crustaceans", "fish"), 2),
    (("sesame",), 2),
    (("celery",), 1),
    (("crustaceans", "molluscs"), 1),
    (("mustard",), 1),
    (("soya",), 1),
)
# Every cook does regular food; fewer can manage the softer IDDSI levels.
_COOK_TEXTURES: dict[tuple[str, ...], float] = {
    ("easy_to_chew",): 0.45,
    ("soft_bite_sized",): 0.3,
    ("minced_moist",): 0.12,
    ("pureed",): 0.08,
}
_DINER_TEXTURES: tuple[tuple[str, int], ...] = (
    ("regular", 70),
    ("easy_to_chew", 13),
    ("soft_bite_sized", 9),
    ("minced_moist", 5),
    ("pureed", 3),
)
_COOK_FREQUENCIES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("weekly",), 30),
    (("weekly", "fortnightly"), 30),
    (("fortnightly",), 12),
    (("fortnightly", "monthly"), 10),
    (("weekly", "fortnightly", "monthly"), 12),
    (("monthly",), 6),
)
_DINER_FREQUENCIES = (("weekly", 60), ("fortnightly", 30), ("monthly", 10))
# Weekday evenings (Monday-Friday) and weekend lunchtimes: when a neighbour cooks anyway.
_COOK_EVENINGS = (("16:30", "18:30"), ("17:00", "19:00"), ("17:30", "19:30"), ("18:00", "20:00"))
_COOK_LUNCHES = (("11:30", "13:30"), ("12:00", "14:00"), ("12:30", "14:30"))
_DINER_EVENINGS = (("16:30", "18:00"), ("17:00", "18:30"), ("17:30", "19:00"), ("18:00", "19:30"))
_DINER_LUNCHES = (("11:30", "13:00"), ("12:00", "13:30"), ("12:30", "14:00"))
_ACCESS_NOTES = (
    "Key safe by the front door; the coordinator has the code",
    "Please knock loudly: hard of hearing",
    "Ring the bell and wait a minute, walks with a frame",
    "Ground-floor flat, entrance round the side",
    "Friendly dog that barks, please don't mind him",
    "Buzzer then the lift to the second floor",
    "Please hand over in person, nothing on the doorstep",
    "Likes a phone call ten minutes before you arrive",
    "Side gate sticks: push hard",
)


def residential_units(index: OfflineIndex, lad_code: str) -> list[str]:
    """Unit postcodes of the LAD's neighbourhood sectors that look like homes, sorted."""
    sectors = set(index.sectors_in_lad(lad_code))
    units = {
        postcode: point
        for postcode, point in index.units.items()
        if point.lad_code == lad_code and postcode[:-2] in sectors
    }
    shared = Counter((point.latitude, point.longitude) for point in units.values())
    return sorted(
        postcode
        for postcode, point in units.items()
        if shared[(point.latitude, point.longitude)] < _SHARED_POSITION
    )


def plan_population(
    demo: DemoCouncil, index: OfflineIndex
) -> tuple[list[CookPlan], list[CarerPlan]]:
    """The council's demo cooks and carers (with their diners): the same on every run."""
    rng = random.Random(f"extra-portion-demo/{demo.slug}")
    flavour = _FLAVOURS.get(demo.slug, _FLAVOURS["reigate-banstead"])
    homes = rng.sample(
        residential_units(index, demo.lad_code), COOKS_PER_COUNCIL + DINERS_PER_COUNCIL
    )
    cooks = [
        _plan_cook(rng, flavour, email=cook_email(demo.slug, n), postcode=homes.pop())
        for n in range(1, COOKS_PER_COUNCIL + 1)
    ]
    # Fixed points for the README's demo accounts: cook001 approved, cook002 waiting for
    # checks, carer001 with two relatives.
    cooks[0], cooks[1] = replace(cooks[0], approved=True), replace(cooks[1], approved=False)
    carers: list[CarerPlan] = []
    planned = 0
    while planned < DINERS_PER_COUNCIL:
        relatives = min(rng.choice((1, 1, 1, 2)) if carers else 2, DINERS_PER_COUNCIL - planned)
        carer_surname = rng.choice(flavour.surnames)
        names = rng.sample(flavour.older_first_names, relatives)
        diners = tuple(
            _plan_diner(
                rng,
                flavour,
                # Mostly the carer's parent; otherwise an aunt, a friend, a married name.
                full_name=f"{first} {_relative_surname(rng, flavour, carer_surname)}",
                postcode=homes.pop(),
            )
            for first in names
        )
        carers.append(
            CarerPlan(
                email=carer_email(demo.slug, len(carers) + 1),
                full_name=f"{rng.choice(flavour.first_names)} {carer_surname}",
                diners=diners,
            )
        )
        planned += relatives
    return cooks, carers


def _relative_surname(rng: random.Random, flavour: _Flavour, carer_surname: str) -> str:
    return carer_surname if rng.random() < 0.7 else rng.choice(flavour.surnames)


def _weighted(rng: random.Random, options: tuple[tuple[T, int], ...]) -> T:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _some(rng: random.Random, chances: Mapping[tuple[str, ...], float]) -> list[str]:
    """Each group of values (those that go together) with its own chance, in order."""
    picked: list[str] = []
    for values, chance in chances.items():
        if rng.random() < chance:
            picked.extend(values)
    return picked


def _windows(
    rng: random.Random,
    evenings: tuple[tuple[str, str], ...],
    lunches: tuple[tuple[str, str], ...],
) -> list[dict[str, object]]:
    days = sorted(rng.sample(range(7), rng.choice((1, 2, 2, 3))))
    windows: list[dict[str, object]] = []
    for day in days:
        start, end = rng.choice(evenings if day < 5 else lunches)
        windows.append({"weekday": day, "start": start, "end": end})
    return windows


def _phone(rng: random.Random, flavour: _Flavour) -> str:
    return f"{flavour.phone_prefix}{rng.randrange(1000):03d}"


def _address(rng: random.Random, flavour: _Flavour) -> str:
    if rng.random() < flavour.flats:
        return f"Flat {rng.randint(1, 48)}, {rng.choice(_BLOCKS)}"
    return f"{rng.randint(1, 140)} {rng.choice(_STREETS)}"


def _plan_cook(rng: random.Random, flavour: _Flavour, *, email: str, postcode: str) -> CookPlan:
    first, surname = rng.choice(flavour.first_names), rng.choice(flavour.surnames)
    profile = CookProfileIn.model_validate(
        {
            "display_name": first,
            "phone": _phone(rng, flavour),
            "address_line": _address(rng, flavour),
            "postcode": postcode,
            "walk_radius_m": rng.randrange(800, 2501, 100),
            "max_diners": _weighted(rng, ((1, 50), (2, 35), (3, 15))),
            "frequencies": list(_weighted(rng, _COOK_FREQUENCIES)),
            "diets": sorted({*_weighted(rng, flavour.cook_diets), *_some(rng, _EVERYDAY_DIETS)}),
            "allergen_free": sorted(_some(rng, _COOK_ALLERGEN_FREE)),
            "textures": ["regular", *_some(rng, _COOK_TEXTURES)],
            "availability": _windows(rng, _COOK_EVENINGS, _COOK_LUNCHES),
        }
    )
    dbs_days_ago = rng.randint(20, 700)  # well inside the default 3-year recheck
    return CookPlan(
        email=email,
        full_name=f"{first} {surname}",
        profile=profile,
        approved=rng.random() < APPROVED_SHARE,
        dbs_days_ago=dbs_days_ago,
        approved_days_ago=dbs_days_ago - rng.randint(3, 18),
    )


def _plan_diner(rng: random.Random, flavour: _Flavour, *, full_name: str, postcode: str) -> DinerIn:
    return DinerIn.model_validate(
        {
            "full_name": full_name,
            "address_line": _address(rng, flavour),
            "postcode": postcode,
            "phone": _phone(rng, flavour) if rng.random() < 0.6 else None,
            "diets": list(_weighted(rng, flavour.diner_diets)),
            "allergies": list(_weighted(rng, _DINER_ALLERGIES)),
            "texture": _weighted(rng, _DINER_TEXTURES),
            "availability": _windows(rng, _DINER_EVENINGS, _DINER_LUNCHES),
            "frequency": _weighted(rng, _DINER_FREQUENCIES),
            "access_notes": rng.choice(_ACCESS_NOTES) if rng.random() < 0.5 else None,
            "consent": True,
        }
    )


def _users(
    session: Session, plans: list[CookPlan] | list[CarerPlan], *, role: str
) -> tuple[dict[str, User], int]:
    """The plans' accounts by email key, creating the missing ones in one flush (a batched
    INSERT), and how many were created."""
    users = _existing_users(session, [plan.email for plan in plans])
    missing = [plan for plan in plans if email_key(plan.email) not in users]
    for plan in missing:
        user = User(
            email=plan.email,
            email_key=email_key(plan.email),
            full_name=plan.full_name,
            password_hash=_demo_password_hash(),
            role=role,
        )
        session.add(user)
        users[user.email_key] = user
    session.flush()
    return users, len(missing)


def _existing_users(session: Session, emails: list[str]) -> dict[str, User]:
    keys = [email_key(email) for email in emails]
    users = session.exec(select(User).where(col(User.email_key).in_(keys))).all()
    return {user.email_key: user for user in users}


def _ensure_cooks(
    session: Session, plans: list[CookPlan], *, staff: User, settings: Settings
) -> Counter[str]:
    made: Counter[str] = Counter()
    users, _ = _users(session, plans, role=Role.cook)
    user_ids = [user.id for user in users.values()]
    with_profile = set(
        session.exec(select(Cook.user_id).where(col(Cook.user_id).in_(user_ids))).all()
    )
    now = utcnow()
    for plan in plans:
        user = users[email_key(plan.email)]
        if user.id in with_profile:
            continue
        cook = put_own_profile(session, user=user, body=plan.profile, settings=settings)
        made["cooks"] += 1
        if plan.approved:
            # Through the real moderation service (checks validated, approval audited as the
            # council's staff account), then dated back so the history looks lived-in.
            approve_cook(
                session,
                staff=staff,
                cook=cook,
                body=ApproveIn(
                    dbs_checked_on=(now - timedelta(days=plan.dbs_days_ago)).date(),
                    dbs_level=DbsLevel.enhanced,
                    id_checked=True,
                    hygiene_ack=True,
                ),
            )
            cook.approved_at = now - timedelta(days=plan.approved_days_ago)
            session.add(cook)
            made["approved"] += 1
    return made


def _ensure_carers(session: Session, plans: list[CarerPlan], *, settings: Settings) -> Counter[str]:
    made: Counter[str] = Counter()
    users, made["carers"] = _users(session, plans, role=Role.carer)
    registered = set(
        session.exec(
            select(Diner.carer_id, Diner.full_name).where(
                col(Diner.carer_id).in_([user.id for user in users.values()])
            )
        ).all()
    )
    for plan in plans:
        carer = users[email_key(plan.email)]
        for body in plan.diners:
            if (carer.id, body.full_name) in registered:
                continue
            register_diner(session, actor=carer, body=body, settings=settings, by_staff=False)
            made["diners"] += 1
    return made
