"""indexes the nudge lists and the commitments job walk in order

Revision ID: 7c1e5a9d2f40
Revises: 4bd0c211de26
Create Date: 2026-11-27 10:20:00

A digest shows its first lines in triage order (or most waiting first) and counts the rest
up to a limit; these partial indexes over open tickets give that order per assignee without
a sort. The texts are spelled exactly as the queries in bot/store/nudges.py spell them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5a9d2f40"
down_revision: str | None = "4bd0c211de26"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('new', 'open', 'pending', 'hold')"
TRIAGE_RANK = (
    "(CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 "
    "WHEN 'low' THEN 3 ELSE 4 END)"
)
UNANSWERED_SINCE = "coalesce(last_agent_public_reply_at, created_at)"


def _open_index(name: str, columns: list[str | sa.TextClause]) -> None:
    where = sa.text(OPEN)
    op.create_index(name, "ticket", columns, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    _open_index("ix_ticket_open_triage", ["assignee_id", sa.text(TRIAGE_RANK), "created_at", "id"])
    _open_index("ix_ticket_open_client_wrote", ["assignee_id", "last_requester_comment_at", "id"])
    _open_index("ix_ticket_open_unanswered", ["assignee_id", sa.text(UNANSWERED_SINCE), "id"])
    op.create_index("ix_ticket_status_priority", "ticket", ["status", "priority"])
    op.create_index("ix_ticket_created_at", "ticket", ["created_at"])
    op.create_index("ix_priority_review_latest", "priority_review", ["ticket_id", "reviewed_at"])
    op.create_index(
        "ix_promise_owner_state_due", "promise", ["owner", "state", "due_at", "id"]
    )
    op.create_index("ix_digest_line_job_day", "digest_line", ["job", "day", "ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_digest_line_job_day", table_name="digest_line")
    op.drop_index("ix_promise_owner_state_due", table_name="promise")
    op.drop_index("ix_priority_review_latest", table_name="priority_review")
    for name in (
        "ix_ticket_created_at",
        "ix_ticket_status_priority",
        "ix_ticket_open_unanswered",
        "ix_ticket_open_client_wrote",
        "ix_ticket_open_triage",
    ):
        op.drop_index(name, table_name="ticket")
