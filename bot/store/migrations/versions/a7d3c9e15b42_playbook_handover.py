"""Chargeable work changes hands: where an escalated ticket went in Zendesk

Revision ID: a7d3c9e15b42
Revises: df84d3fbc834
Create Date: 2026-11-30 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.store.types

revision: str = "a7d3c9e15b42"
down_revision: str | None = "df84d3fbc834"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def escalation_columns() -> list[sa.Column]:
    """New Column objects each time: a Column belongs to one table once attached."""
    return [
        sa.Column("reassigned_assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("reassigned_group_id", sa.BigInteger(), nullable=True),
        sa.Column("reassigned_to", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("reassigned_tag", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("previous_assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("previous_group_id", sa.BigInteger(), nullable=True),
        sa.Column("reassign_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("taken_back_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("taken_back_at", bot.store.types.UTCDateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("escalation") as batch:
        for column in escalation_columns():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("escalation") as batch:
        for column in reversed(escalation_columns()):
            batch.drop_column(column.name)
