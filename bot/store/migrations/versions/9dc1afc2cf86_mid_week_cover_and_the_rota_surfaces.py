"""mid-week cover and the rota surfaces

Revision ID: 9dc1afc2cf86
Revises: f2a814617f31
Create Date: 2026-11-30 20:57:03

Cover for the rest of a week that has begun (asked round the rota), and where else a
rota shows who is on support: a Slack user group and a line in the channel topic.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.store.types

revision: str = '9dc1afc2cf86'
down_revision: str | None = 'f2a814617f31'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('midweek_cover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rota_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('absent', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('asked', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('declined', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
    sa.Column('coverer', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dm_channel', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('dm_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['rota_id'], ['rota.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('midweek_cover', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_midweek_cover_rota_id'), ['rota_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_midweek_cover_week_start'), ['week_start'], unique=False)

    op.create_table('rota_surface',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rota_id', sa.Integer(), nullable=False),
    sa.Column('usergroup_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('usergroup_handle', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('group_holds', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('topic_on', sa.Boolean(), nullable=False),
    sa.Column('told_managed', sa.Boolean(), nullable=False),
    sa.Column('told_nobody', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['rota_id'], ['rota.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rota_id')
    )


def downgrade() -> None:
    op.drop_table('rota_surface')
    with op.batch_alter_table('midweek_cover', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_midweek_cover_week_start'))
        batch_op.drop_index(batch_op.f('ix_midweek_cover_rota_id'))

    op.drop_table('midweek_cover')
