"""the client's last comment (its tone; kept too for comments that came before their
ticket), requesters' organizations and tags, per-client figures

Revision ID: a5c3e1f0b921
Revises: a9c4e7b21d05
Create Date: 2026-11-30 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.store.types

revision: str = "a5c3e1f0b921"
down_revision: str | None = "a9c4e7b21d05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=True),
        sa.Column("at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "source_id"),
    )
    op.create_index(
        "ix_client_activity_kind_at",
        "client_activity",
        ["kind", "at", "organization_id", "amount"],
        unique=False,
    )
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("client_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("time_spent", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("zendesk_user") as batch:
        batch.add_column(sa.Column("organization_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("tags", sa.Text(), nullable=True))
    with op.batch_alter_table("pending_comments") as batch:
        batch.add_column(sa.Column("client_comment", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_comments") as batch:
        batch.drop_column("client_comment")
    op.drop_index("ix_client_activity_kind_at", table_name="client_activity")
    op.drop_table("client_activity")
    with op.batch_alter_table("zendesk_user") as batch:
        batch.drop_column("tags")
        batch.drop_column("organization_id")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("time_spent")
        batch.drop_column("client_comment")
