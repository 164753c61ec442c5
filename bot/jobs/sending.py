"""What the jobs that send messages share."""

from __future__ import annotations

from bot.escalation import retry_pending_notes
from bot.jobs.base import JobContext
from bot.store.shortlists import Shortlist
from bot.tickets.card import refresh_agent_matches

# The job's summary names this many of the tickets nobody can be nudged about, then counts.
UNROUTED_LISTED = 10


def before_digests(ctx: JobContext) -> list[str]:
    """What both digest jobs do first (not in a dry run): retry escalation notes Zendesk
    refused, and match agents to Slack people so their tickets reach them."""
    if ctx.dry_run:
        return []
    problems = retry_pending_notes(ctx.services)
    refresh_agent_matches(ctx.services)
    return problems


def unrouted_note(unrouted: Shortlist) -> str:
    if not unrouted.total:
        return ""
    listed = ", ".join(f"#{ticket.id}" for ticket, _ in unrouted.rows[:UNROUTED_LISTED])
    more = unrouted.total - min(len(unrouted.rows), UNROUTED_LISTED)
    if more > 0:
        listed += f" and {more:,} more"
    return f"; nobody to nudge about {listed} (no assignee in Slack, nobody on support today)"
