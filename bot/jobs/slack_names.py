"""`slack-names`: refresh the names of the people on rotas, which the calendar feed shows.

The feed never asks Slack (a calendar app polls it, and Slack's rate limits are not its to
spend); names are learned when people are added and refreshed here, away from any request.
"""

from __future__ import annotations

from bot.jobs.base import Job, JobContext, JobReport
from bot.slack.people import SlackPeople
from bot.store.slack_names import people_on_rotas, remember_names

NAME = "slack-names"


def run(ctx: JobContext) -> JobReport:
    services = ctx.services
    with services.session() as session:
        wanted = people_on_rotas(session=session)
    # Slack is asked with no session open.
    people = SlackPeople(services.slack)
    for user_id in wanted:
        people.known_name(user_id)
    names = people.learned_names()
    missing = sorted(set(wanted) - set(names))
    if not ctx.dry_run:
        with services.session() as session:
            remember_names(session=session, names=names, now=ctx.now)
    summary = f"{len(names)} of {len(wanted)} names refreshed"
    problems = [f"Slack did not say who {', '.join(missing)} are"] if missing else []
    return JobReport(summary=summary, problems=problems)


JOB = Job(
    name=NAME,
    default_schedule="15 6 * * *",
    description="refresh the names the calendar feeds show, from Slack",
    run=run,
)
