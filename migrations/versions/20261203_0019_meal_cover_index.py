"""a council's cover meals by status, a partial index: the summary's continuity rate counted the
delivered covers by reading every delivered meal

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 11:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_meal_council_cover',
        'meal',
        ['council_id', 'status'],
        unique=False,
        sqlite_where=sa.text('is_cover IS 1'),
        postgresql_where=sa.text('is_cover IS true'),
    )


def downgrade() -> None:
    op.drop_index('ix_meal_council_cover', table_name='meal')
