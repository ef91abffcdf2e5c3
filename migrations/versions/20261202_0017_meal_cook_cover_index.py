"""a cook's cover meals by index: suggestions read them for every candidate cook

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 14:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_meal_cook_cover', 'meal', ['cook_id', 'is_cover'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_meal_cook_cover', table_name='meal')
