"""remembers signed Slack requests to refuse replays

Revision ID: df84d3fbc834
Revises: 3f8b2d6e1a70
Create Date: 2026-11-30 19:25:37

A signed request is valid for five minutes; its signature is kept that long so that
the same request sent again (to any web process) is acknowledged, not processed again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.store.types

revision: str = 'df84d3fbc834'
down_revision: str | None = '3f8b2d6e1a70'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('seen_slack_request',
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('signed_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('signature')
    )
    with op.batch_alter_table('seen_slack_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_slack_request_signed_at'), ['signed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('seen_slack_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_slack_request_signed_at'))

    op.drop_table('seen_slack_request')
