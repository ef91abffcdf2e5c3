"""a council's audit log by time: each page of it sorted every entry of the council

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 11:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_audit_entry_council_at', 'audit_entry', ['council_id', 'at', 'id'], unique=False
    )
    op.drop_index('ix_audit_entry_council_id', table_name='audit_entry')


def downgrade() -> None:
    op.create_index('ix_audit_entry_council_id', 'audit_entry', ['council_id'], unique=False)
    op.drop_index('ix_audit_entry_council_at', table_name='audit_entry')
