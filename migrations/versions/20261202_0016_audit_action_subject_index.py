"""audit entries by action and subject: a person's erasure requests are looked up so on the
staff's and the carer's home pages (each load read the whole log before)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 14:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not in batch mode: a rebuilt audit_entry would lose the triggers that keep it append-only.
    op.create_index(
        'ix_audit_entry_action_subject',
        'audit_entry',
        ['action', 'subject_type', 'subject_id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_audit_entry_action_subject', table_name='audit_entry')
