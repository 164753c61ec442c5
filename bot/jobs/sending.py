"""How the jobs that send messages run: what is due is read in one session, closed before
anything is sent, then delivered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlmodel import Session

from bot.escalation import retry_pending_notes
from bot.jobs.base import JobContext, JobReport
from bot.jobs.delivery import Outgoing, deliver
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


def send_due(ctx: JobContext, job: str, due: Callable[[Session], list[Outgoing]]) -> JobReport:
    with ctx.services.session() as session:
        messages = due(session)
    return deliver(ctx, job, messages)


class DigestPlan(Protocol):
    @property
    def messages(self) -> list[Outgoing]: ...

    @property
    def unrouted(self) -> Shortlist: ...


Plan = TypeVar("Plan", bound=DigestPlan)


def send_digests(
    ctx: JobContext,
    job: str,
    due: Callable[[Session], Plan],
    *,
    record: Callable[[Session, Plan], None] | None = None,
) -> JobReport:
    """A digest job's run: its first steps, then what is due, `record`ed (not in a dry run)
    and sent; the summary names the tickets nobody could be nudged about."""
    problems = before_digests(ctx)
    with ctx.services.session() as session:
        plan = due(session)
    if record is not None and not ctx.dry_run:
        with ctx.services.session() as session:
            record(session, plan)
    report = deliver(ctx, job, plan.messages)
    report.problems += problems
    report.summary += unrouted_note(plan.unrouted)
    return report
