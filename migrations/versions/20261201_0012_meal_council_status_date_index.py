"""meal index by council, status and date

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 14:05:00.000000

The reports' summary counts a council's meals by status and reads its recent delivered meals
by date: with an index on the council alone it read every meal the council ever had. The new
index starts with the council, so it replaces the old one.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meal", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meal_council_status_date", ["council_id", "status", "date"], unique=False
        )
        batch_op.drop_index("ix_meal_council_id")


def downgrade() -> None:
    with op.batch_alter_table("meal", schema=None) as batch_op:
        batch_op.create_index("ix_meal_council_id", ["council_id"], unique=False)
        batch_op.drop_index("ix_meal_council_status_date")
