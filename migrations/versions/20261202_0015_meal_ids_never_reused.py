"""meal ids never reused: on SQLite the meal table is rebuilt with AUTOINCREMENT (a moved
pairing's unrecorded meals are deleted, and SQLite gave the highest deleted id to the next meal,
so a page or client holding the old id reached another meal); PostgreSQL's sequences never reuse one

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 13:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild(*, autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # The old table is dropped while meal_feedback still refers to it: migrations/env.py turns
    # SQLite's foreign keys off for the run and checks them all at its end.
    with op.batch_alter_table(
        'meal', recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
    ):
        pass


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
