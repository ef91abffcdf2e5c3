"""messages by when they were made: run-jobs forgets the words of those a year old, and read
every message sent each hour to find them

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 17:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_notification_created_at', 'notification', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notification_created_at', table_name='notification')
