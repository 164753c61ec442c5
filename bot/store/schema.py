"""Every table module, imported so `SQLModel.metadata` knows the whole schema."""

from sqlmodel import SQLModel

from bot.store import (
    audit,
    digests,
    escalations,
    job_runs,
    ledger,
    promises,
    rota,
    slack_events,
    tickets,
)

__all__ = [
    "audit",
    "digests",
    "escalations",
    "job_runs",
    "ledger",
    "promises",
    "rota",
    "slack_events",
    "tickets",
    "metadata",
]

metadata = SQLModel.metadata
