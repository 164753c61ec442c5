"""The playbook's handovers: where a chargeable ticket went in Zendesk; time-boxes;
help that is scheduled

Revision ID: a7d3c9e15b42
Revises: 9dc1afc2cf86
Create Date: 2026-11-30 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.store.types

revision: str = "a7d3c9e15b42"
down_revision: str | None = "9dc1afc2cf86"
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
    op.create_table(
        "timebox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("started_at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("limit_hours", sa.Float(), nullable=False),
        sa.Column("ended_at", bot.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_timebox_user_id", "timebox", ["user_id"])
    op.create_index("ix_timebox_ticket_id", "timebox", ["ticket_id"])
    op.create_index("ix_timebox_state", "timebox", ["state"])
    op.create_table(
        "timebox_span",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timebox_id", sa.Integer(), nullable=False),
        sa.Column("started_at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", bot.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["timebox_id"], ["timebox.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_timebox_span_timebox_id", "timebox_span", ["timebox_id"])
    op.create_index("ix_timebox_span_started_at", "timebox_span", ["started_at"])
    op.create_table(
        "help_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("asker", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("helper", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("starts_at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("waiting_on", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("asked_at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", bot.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("question_channel", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("question_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for name in ("ticket_id", "asker", "helper", "starts_at", "state"):
        op.create_index(f"ix_help_request_{name}", "help_request", [name])


def downgrade() -> None:
    op.drop_table("help_request")
    op.drop_table("timebox_span")
    op.drop_table("timebox")
    with op.batch_alter_table("escalation") as batch:
        for column in reversed(escalation_columns()):
            batch.drop_column(column.name)
