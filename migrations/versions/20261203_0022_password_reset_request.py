"""password reset requests, counted per address

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 17:00:00.000000

After an address's third reset request in an hour, the page still said "ask for a new link",
which sent nothing. Requests are now counted per address whether or not an account has it, so
the page says when the address can ask again without telling who has an account.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('password_reset_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('email_key', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_request'))
    )
    with op.batch_alter_table('password_reset_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_request_at'), ['at'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_password_reset_request_email_key'), ['email_key'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('password_reset_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_request_email_key'))
        batch_op.drop_index(batch_op.f('ix_password_reset_request_at'))

    op.drop_table('password_reset_request')
