"""the client's last comment (its tone), requesters' organizations and tags, per-client figures

Revision ID: a5c3e1f0b921
Revises: df84d3fbc834
Create Date: 2026-11-30 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a5c3e1f0b921"
down_revision: str | None = "df84d3fbc834"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("client_comment", sa.Text(), nullable=True))
    with op.batch_alter_table("zendesk_user") as batch:
        batch.add_column(sa.Column("organization_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("zendesk_user") as batch:
        batch.drop_column("tags")
        batch.drop_column("organization_ids")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("client_comment")
