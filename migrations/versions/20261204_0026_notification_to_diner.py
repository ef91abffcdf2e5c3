"""notifications to a diner themselves follow their current address and phone

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 15:40:00.000000

A letter or text to a diner without an account kept the address or number it was queued with:
a carer's correction made while it waited was not followed. `to_diner_id` names the diner it
goes to; the worker reads their contact when it takes the message. The letters not sent yet (waiting,
or failed and perhaps queued again) are the diner's own (until now only letters went to a diner
without an account, each naming its diner in about_diner_id), so they follow a correction too;
a sent one keeps its record as it is.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_diner_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_notification_to_diner_id_diner'), 'diner', ['to_diner_id'], ['id']
        )
    op.execute(
        "UPDATE notification SET to_diner_id = about_diner_id"
        " WHERE to_user_id IS NULL AND about_diner_id IS NOT NULL"
        " AND channel = 'letter' AND status IN ('pending', 'failed')"
    )


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_notification_to_diner_id_diner'), type_='foreignkey'
        )
        batch_op.drop_column('to_diner_id')
