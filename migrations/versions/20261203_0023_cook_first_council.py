"""the council a cook signed up with, once they move

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 17:20:00.000000

A council's weekly count of new cooks read each cook's current council, so a cook who moved
away later left the week they signed up in, and was counted in the other council's past (a
security review). Cooks who moved before this revision: their first `cook.moved_away` audit
entry names the council they left.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cook', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_council_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cook_first_council_id'), ['first_council_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cook_first_council_id_council'), 'council', ['first_council_id'], ['id'])
    op.execute(
        """
        UPDATE cook SET first_council_id = (
            SELECT a.council_id FROM audit_entry a
            WHERE a.subject_type = 'cook' AND a.subject_id = cook.id
              AND a.action = 'cook.moved_away'
            ORDER BY a.at, a.id LIMIT 1
        )
        WHERE EXISTS (
            SELECT 1 FROM audit_entry a
            WHERE a.subject_type = 'cook' AND a.subject_id = cook.id
              AND a.action = 'cook.moved_away'
        )
        """
    )


def downgrade() -> None:
    with op.batch_alter_table('cook', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cook_first_council_id_council'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cook_first_council_id'))
        batch_op.drop_column('first_council_id')
