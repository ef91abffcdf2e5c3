"""audit reasons: the words staff gave for a cook's suspension, rejection or reinstatement,
kept beside the append-only log (which holds no free text) so that history keeps them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_reason',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_entry_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['audit_entry_id'], ['audit_entry.id'], name=op.f('fk_audit_reason_audit_entry_id_audit_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_reason')),
    sa.UniqueConstraint('audit_entry_id', name=op.f('uq_audit_reason_audit_entry_id'))
    )


def downgrade() -> None:
    op.drop_table('audit_reason')
