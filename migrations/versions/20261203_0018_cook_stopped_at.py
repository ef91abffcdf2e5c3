"""a suspended or rejected cook who asks to stop stays stopped when the decision is lifted
(reinstating made them approved, and invited again)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cook', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('stopped_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('cook', schema=None) as batch_op:
        batch_op.drop_column('stopped_at')
