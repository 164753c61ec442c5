"""counts commits per watched set of tables, so every process sees the others' writes

Revision ID: a9c4e7b21d05
Revises: a7d3c9e15b42
Create Date: 2026-11-30 21:10:00

Answers remembered in a web process are good while the count of their tables is unchanged;
a commit in any process (another web process, the worker's sync) adds one in its transaction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = 'a9c4e7b21d05'
down_revision: str | None = 'a7d3c9e15b42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('change_count',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('change_count')
