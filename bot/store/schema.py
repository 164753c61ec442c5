"""Every table module, imported so `SQLModel.metadata` knows the whole schema."""

from sqlmodel import SQLModel

from bot.store import (
    audit,
    client_activity,
    digest_lines,
    escalations,
    job_runs,
    nudge_ledger,
    priority_reviews,
    promises,
    rota,
    slack_events,
    slack_names,
    slack_requests,
    tickets,
    zendesk_people,
)

__all__ = [
    "audit",
    "client_activity",
    "digest_lines",
    "escalations",
    "job_runs",
    "nudge_ledger",
    "priority_reviews",
    "promises",
    "rota",
    "slack_events",
    "slack_names",
    "slack_requests",
    "tickets",
    "zendesk_people",
    "metadata",
]

metadata = SQLModel.metadata
