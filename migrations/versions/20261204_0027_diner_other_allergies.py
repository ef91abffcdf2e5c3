"""other foods a diner must not have, beyond the 14 allergens

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 16:00:00.000000

A carer had nowhere to say "he is also allergic to kiwi fruit" but the access notes, which the
cook reads only under "Getting in". `other_allergies` holds those foods in the carer's words;
the cook sees them wherever the 14 allergens are shown. Null for every diner so far: none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'diner',
        sa.Column('other_allergies', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    )


def downgrade() -> None:
    # Not a batch: SQLite's batch would copy the diner table and drop the old copy, which fails
    # on the rows that refer to diners (a downgrade run inside a caller's transaction keeps the
    # foreign keys on). SQLite drops a plain column in place (3.35 and later).
    op.drop_column('diner', 'other_allergies')
