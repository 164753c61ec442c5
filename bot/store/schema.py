"""Every table module, imported so `SQLModel.metadata` knows the whole schema."""

from sqlmodel import SQLModel

from bot.store import (
    audit,
    digest_lines,
    escalations,
    job_runs,
    nudge_ledger,
    promises,
    rota,
    slack_events,
    tickets,
)

__all__ = [
    "audit",
    "digest_lines",
    "escalations",
    "job_runs",
    "nudge_ledger",
    "promises",
    "rota",
    "slack_events",
    "tickets",
    "metadata",
]

metadata = SQLModel.metadata
