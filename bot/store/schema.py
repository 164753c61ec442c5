"""Every table module, imported so `SQLModel.metadata` knows the whole schema."""

from sqlmodel import SQLModel

from bot.store import audit, job_runs, ledger, slack_events

__all__ = ["audit", "job_runs", "ledger", "slack_events", "metadata"]

metadata = SQLModel.metadata
