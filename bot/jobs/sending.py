"""How the jobs that send messages run: what is due is read in one session, closed before
anything is sent, then delivered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from sqlmodel import Session

from bot.agents import refresh_agent_matches
from bot.escalation import retry_pending_notes
from bot.jobs.base import JobContext, JobReport
from bot.jobs.delivery import Outgoing, deliver
from bot.settings import Settings
from bot.slack.people import SlackPeople
from bot.store.shortlists import Shortlist
from bot.worktime import WorkCalendar

Found = TypeVar("Found", covariant=True)

# The job's summary names this many of the tickets nobody can be nudged about, then counts.
UNROUTED_LISTED = 10


def before_digests(ctx: JobContext) -> list[str]:
    """What both digest jobs do first (not in a dry run): retry escalation notes Zendesk
    refused, and match agents to Slack people so their tickets reach them."""
    if ctx.dry_run:
        return []
    problems = retry_pending_notes(ctx.services, name_of=SlackPeople(ctx.services.slack).name)
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


class Due(Protocol[Found]):
    """A job's due(): what it would send at `now`, read from the database alone."""

    def __call__(
        self, session: Session, now: datetime, *, calendar: WorkCalendar, settings: Settings
    ) -> Found: ...


def _due(ctx: JobContext, due: Due[Found]) -> Found:
    services = ctx.services
    with services.session() as session:
        return due(session, ctx.now, calendar=services.calendar, settings=services.settings)


def send_due(ctx: JobContext, job: str, due: Due[list[Outgoing]]) -> JobReport:
    return deliver(ctx, job, _due(ctx, due))


class DigestPlan(Protocol):
    @property
    def messages(self) -> list[Outgoing]: ...

    @property
    def unrouted(self) -> Shortlist: ...


Plan = TypeVar("Plan", bound=DigestPlan)


def send_digests(
    ctx: JobContext,
    job: str,
    due: Due[Plan],
    *,
    record: Callable[[Session, Plan], None] | None = None,
) -> JobReport:
    """A digest job's run: its first steps, then what is due, `record`ed (not in a dry run)
    and sent; the summary names the tickets nobody could be nudged about."""
    problems = before_digests(ctx)
    plan = _due(ctx, due)
    if record is not None and not ctx.dry_run:
        with ctx.services.session() as session:
            record(session, plan)
    report = deliver(ctx, job, plan.messages)
    report.problems += problems
    report.summary += unrouted_note(plan.unrouted)
    return report
