"""notification channels: a channel, a recipient without an account, the provider's reference;
a user's contact preference (email | sms)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 15:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'channel',
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default='email',
            )
        )
        batch_op.add_column(
            sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(
            sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column('provider_ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.alter_column('to_user_id', existing_type=sa.Integer(), nullable=True)
    # Everything sent so far went by SMTP.
    op.execute("UPDATE notification SET provider = 'smtp' WHERE status = 'sent'")

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'contact_preference',
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default='email',
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('contact_preference')

    # Messages to people without an account cannot be kept in the old schema.
    op.execute("DELETE FROM notification WHERE to_user_id IS NULL")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('to_user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('provider_ref')
        batch_op.drop_column('provider')
        batch_op.drop_column('recipient')
        batch_op.drop_column('channel')
