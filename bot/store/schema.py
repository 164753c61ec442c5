"""Every table module, imported so `SQLModel.metadata` knows the whole schema."""

from sqlmodel import SQLModel

from bot.store import (
    audit,
    changes,
    client_activity,
    digest_lines,
    escalations,
    help_requests,
    job_runs,
    nudge_ledger,
    priority_reviews,
    promises,
    rota,
    rota_cover,
    slack_events,
    slack_names,
    slack_requests,
    tickets,
    timeboxes,
    zendesk_people,
    zendesk_sync,
)

__all__ = [
    "audit",
    "changes",
    "client_activity",
    "digest_lines",
    "escalations",
    "help_requests",
    "job_runs",
    "nudge_ledger",
    "priority_reviews",
    "promises",
    "rota",
    "rota_cover",
    "slack_events",
    "slack_names",
    "slack_requests",
    "tickets",
    "timeboxes",
    "zendesk_people",
    "zendesk_sync",
    "metadata",
]

metadata = SQLModel.metadata
