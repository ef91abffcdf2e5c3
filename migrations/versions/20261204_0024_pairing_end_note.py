"""pairing end note: the words staff gave when they ended a running pairing

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 12:50:00.000000

Ending a pairing took no reason: the record said only "Staff ended the pairing" (a newcomer's
walk). Pairings ended before this revision have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_column('end_note')
