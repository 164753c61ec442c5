"""`rota-surfaces`: each rota's Slack user group and topic line follow who is on support.

Level-triggered: a run compares what Slack holds with what it should hold and changes only
the differences, so a run missed (or a group edited by hand) heals at the next. The person
changes at 09:00 on a week's first working day; commands and cover answers sync at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.jobs.base import Job, JobContext, JobReport
from bot.rota.surfaces import Wanted, sync_surfaces, wanted
from bot.worktime import WorkCalendar

NAME = "rota-surfaces"


def due(session: Session, now: datetime, *, calendar: WorkCalendar) -> list[Wanted]:
    """What every linked user group and topic line should show now."""
    return wanted(session, now, calendar=calendar)


def run(ctx: JobContext) -> JobReport:
    report = sync_surfaces(
        ctx.services, ctx.services.slack, now=ctx.now, dry_run=ctx.dry_run, echo=ctx.echo
    )
    return JobReport(
        summary=f"{report.changed} user group or topic change(s)",
        sent=report.changed,
        problems=report.problems,
    )


JOB = Job(
    name=NAME,
    default_schedule="*/15 * * * *",
    description="keeps each rota's Slack user group and channel topic on whoever is on support",
    run=run,
)
