"""a staff member's reason is kept beside their own council's audit entry only

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 15:00:00.000000

A decision about a cook who moved between councils is audited for both; the reason staff gave,
in their own words (which can name their diners and their addresses), was kept beside both
entries, so the other council's staff read it in the cook's history (a security review). The
code keeps it beside the acting council's entry only; this removes the copies already made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reason = sa.table('audit_reason', sa.column('audit_entry_id'))
    entry = sa.table('audit_entry', sa.column('id'), sa.column('council_id'), sa.column('actor_id'))
    user = sa.table('user', sa.column('id'), sa.column('role'), sa.column('council_id'))
    elsewhere = (
        sa.select(entry.c.id)
        .join(user, user.c.id == entry.c.actor_id)
        .where(user.c.role == 'staff', user.c.council_id != entry.c.council_id)
    )
    op.execute(reason.delete().where(reason.c.audit_entry_id.in_(elsewhere)))


def downgrade() -> None:
    pass  # the copies are gone: each reason is still beside its own council's entry
