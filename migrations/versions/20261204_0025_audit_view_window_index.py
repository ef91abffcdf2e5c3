"""audit entries by kind, record and time: the look-up of a view within the window

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 13:20:00.000000

A view of a record is audited once per person within audit.VIEW_WINDOW: each view asks whether
the same person saw it in the last minutes. With time in the index that reads only the record's
entries of those minutes, not every view of the record ever, nor all of a busy council's.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_audit_entry_action_subject', table_name='audit_entry')
    op.create_index(
        'ix_audit_entry_action_subject',
        'audit_entry',
        ['action', 'subject_type', 'subject_id', 'at'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_audit_entry_action_subject', table_name='audit_entry')
    op.create_index(
        'ix_audit_entry_action_subject',
        'audit_entry',
        ['action', 'subject_type', 'subject_id'],
        unique=False,
    )
