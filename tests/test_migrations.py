"""The migrations build exactly the models' schema, and go down again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

import app.models  # noqa: F401
from app.audit import record_audit
from app.db import make_engine, metadata
from app.demo import seed_demo
from app.models import AuditReason, Cook, Meal, MealFeedback
from tests.conftest import alembic_config, migrate
from tests.factories import create_council, create_user


def _migrate_to(database: str, engine: Engine, revision: str, *, down: bool = False) -> None:
    """Alembic to `revision` on its own connection, as `portion migrate` runs it (no
    transaction begun yet)."""
    cfg = alembic_config(database)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_migrations_match_models_when_upgraded_to_head(empty_database: str):
    engine = make_engine(empty_database)
    migrate(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        drift = compare_metadata(ctx, metadata)
    engine.dispose()
    assert drift == []


def test_downgrade_leaves_no_table_when_run_to_base(empty_database: str):
    engine = make_engine(empty_database)
    migrate(engine)
    cfg = alembic_config(empty_database)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert tables == set()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"]
)
def test_database_refuses_change_when_audit_entry_updated_or_deleted(
    empty_database: str, statement: str
):
    engine = make_engine(empty_database)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_entry (at, action, subject_type, data) "
                "VALUES (CURRENT_TIMESTAMP, 'cook.approved', 'cook', '{}')"
            )
        )
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_entry")).scalar() == 1
    engine.dispose()


def test_meal_ids_never_reused_after_the_rebuild_of_a_populated_meal_table(empty_database: str):
    """0015 rebuilds SQLite's meal table (AUTOINCREMENT) while meal_feedback refers to it: every
    meal and its feedback survive, and the id of the newest meal, deleted, is not given again
    (a moved pairing's unrecorded meals are deleted; a page still holding an old id reached
    the next meal)."""
    engine = make_engine(empty_database)
    migrate(engine)
    with Session(engine) as session:  # today's models write the data, then back to 0014
        seed_demo(session)
        session.commit()
    _migrate_to(empty_database, engine, "0014", down=True)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*), max(id) FROM meal")).one()
        fed = conn.execute(text("SELECT count(*) FROM meal_feedback")).scalar()
    _migrate_to(empty_database, engine, "head")

    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Meal)).one() == before[0]
        assert session.exec(select(func.count()).select_from(MealFeedback)).one() == fed > 0
        newest = session.get(Meal, before[1])
        assert newest is not None and newest.id is not None
        copy = Meal(**newest.model_dump(exclude={"id"}) | {"date": newest.date.replace(year=2099)})
        session.delete(newest)
        session.flush()
        session.add(copy)
        session.commit()
        assert copy.id is not None and copy.id > before[1]
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_reasons_beside_another_councils_audit_entries_are_removed_when_upgraded(
    empty_database: str,
):
    """0021: a staff member's reason stays beside their own council's entry only (copies
    beside the other council's entry, for a cook who moved, were read there)."""
    engine = make_engine(empty_database)
    migrate(engine)
    with Session(engine) as session:
        ours, theirs = create_council(session), create_council(session, slug="tower-hamlets")
        staff = create_user(session, role="staff", council=ours)
        cook = create_user(session, role="cook", council=theirs)
        kept, copied, cooks_own = (
            record_audit(
                session,
                actor_id=actor.id,
                council_id=council.id,
                action="cook.suspended",
                subject_type="cook",
                subject_id=1,
                data={},
            )
            for actor, council in ((staff, ours), (staff, theirs), (cook, theirs))
        )
        session.flush()
        for entry in (kept, copied, cooks_own):
            session.add(AuditReason(audit_entry_id=entry.id, text=f"reason {entry.id}"))
        session.commit()
        ids = kept.id, copied.id, cooks_own.id
    _migrate_to(empty_database, engine, "0020", down=True)
    _migrate_to(empty_database, engine, "head")

    with Session(engine) as session:
        left = session.exec(select(AuditReason.audit_entry_id)).all()
    engine.dispose()
    assert sorted(left) == sorted([ids[0], ids[2]])


def test_a_cook_who_moved_keeps_the_council_they_signed_up_with_when_upgraded(
    empty_database: str,
):
    """0023: the weekly count of new cooks reads where a cook signed up; for a cook who moved
    before it, that is the council of their first `cook.moved_away` entry."""
    engine = make_engine(empty_database)
    migrate(engine)
    with Session(engine) as session:
        first, second = create_council(session), create_council(session, slug="tower-hamlets")
        cooks = []
        for n in range(3):
            user = create_user(session, role="cook", council=second)
            cook = Cook(
                user_id=user.id, council_id=second.id, display_name=f"Cook {n}",
                phone="+447700900000", address_line="1 Road", postcode="E14 5AB",
                latitude=51.5, longitude=0.0, geo_precision="unit", walk_radius_m=1000,
                max_diners=1, frequencies=["weekly"], diets=[], allergen_free=[],
                textures=["regular"], availability=[],
            )  # fmt: skip
            session.add(cook)
            session.flush()
            cooks.append(cook.id)
        # Cook 0 moved from the first council to the second; cook 1 from the second to the
        # first and back; cook 2 never moved.
        for cook_id, council in ((cooks[0], first), (cooks[1], second), (cooks[1], first)):
            record_audit(
                session, actor_id=None, council_id=council.id, action="cook.moved_away",
                subject_type="cook", subject_id=cook_id, data={},
            )  # fmt: skip
            session.flush()
        session.commit()
        expected = {cooks[0]: first.id, cooks[1]: second.id, cooks[2]: None}
    _migrate_to(empty_database, engine, "0022", down=True)
    _migrate_to(empty_database, engine, "head")

    with Session(engine) as session:
        found = dict(session.exec(select(Cook.id, Cook.first_council_id)).all())
    engine.dispose()
    assert found == expected
