"""keeps comments that came before their ticket, and a Zendesk budget shared by every process

Revision ID: f2a814617f31
Revises: df84d3fbc834
Create Date: 2026-11-30 21:00:39

pending_comments: the comment summary of a ticket whose events the ticket events export
delivered before the ticket export did; it joins the ticket when the ticket is mirrored.
zendesk_call: the last minute of Zendesk calls of every process, on PostgreSQL the budget
they share.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.store.types

revision: str = 'f2a814617f31'
down_revision: str | None = 'df84d3fbc834'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pending_comments',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('last_agent_public_reply_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_agent_public_reply_by', sa.BigInteger(), nullable=True),
    sa.Column('last_requester_comment_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_comment_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('zendesk_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('zendesk_call', schema=None) as batch_op:
        batch_op.create_index('ix_zendesk_call_kind_at', ['kind', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('zendesk_call', schema=None) as batch_op:
        batch_op.drop_index('ix_zendesk_call_kind_at')

    op.drop_table('zendesk_call')
    op.drop_table('pending_comments')
