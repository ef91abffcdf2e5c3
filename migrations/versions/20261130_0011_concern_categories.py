"""concern categories, references and the raiser's status

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 15:50:00.000000

A concern had two kinds, `welfare` and `safeguarding`; it now has a category among six
(app/concerns/categories.py). The two old values are two of the six and keep their meaning
(the diner's welfare; safeguarding), so they map onto themselves; any other value a hand-made
row may hold becomes `other`. Every concern gets a reference the raiser can quote ("EP-" and
six characters), existing ones included.
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = ("missed_meal", "food_hygiene", "welfare", "safeguarding", "cook_behaviour", "other")
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def upgrade() -> None:
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True)
        )

    concern = sa.table(
        "concern",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("reference", sa.String),
    )
    conn = op.get_bind()
    conn.execute(concern.update().where(concern.c.kind.not_in(CATEGORIES)).values(kind="other"))
    taken: set[str] = set()
    for (concern_id,) in conn.execute(sa.select(concern.c.id)).all():
        reference = ""
        while not reference or reference in taken:
            reference = "EP-" + "".join(secrets.choice(ALPHABET) for _ in range(6))
        taken.add(reference)
        conn.execute(concern.update().where(concern.c.id == concern_id).values(reference=reference))

    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.alter_column(
            "reference", existing_type=sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_concern_reference"), ["reference"])


def downgrade() -> None:
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_concern_reference"), type_="unique")
        batch_op.drop_column("reference")
    # The two kinds there were: the new categories are the diner's welfare in the old terms,
    # except safeguarding.
    op.execute("UPDATE concern SET kind = 'welfare' WHERE kind <> 'safeguarding'")
