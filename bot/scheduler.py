"""APScheduler 3 running the jobs on their cron schedules, in the team's timezone."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.jobs import all_jobs
from bot.jobs.base import Job
from bot.jobs.runner import run_job
from bot.services import Services
from bot.settings import ConfigError

log = logging.getLogger(__name__)

# A run that starts this late is still worth doing (jobs are level-triggered anyway).
MISFIRE_GRACE_SECONDS = 15 * 60


def schedules_for(jobs: Mapping[str, Job], overrides: Mapping[str, str]) -> dict[str, str]:
    """Each job's crontab, the settings' overrides winning; an unknown job name is an error."""
    unknown = sorted(set(overrides) - set(jobs))
    if unknown:
        variable = "ROTABOT_SCHEDULE_" + unknown[0].upper().replace("-", "_")
        raise ConfigError(f"{variable} names no job; the jobs are: {', '.join(jobs)}.")
    return {name: overrides.get(name, job.default_schedule) for name, job in jobs.items()}


def trigger_for(crontab: str, services: Services) -> CronTrigger:
    return CronTrigger.from_crontab(crontab, timezone=services.calendar.tz)


def next_run(crontab: str, services: Services, now: datetime) -> datetime | None:
    fire: datetime | None = trigger_for(crontab, services).get_next_fire_time(None, now)
    return fire


def run_scheduled(services: Services, job: Job) -> None:
    try:
        report = run_job(services, job, now=services.now())
    except Exception:  # logged and recorded by run_job; the scheduler must keep going
        return
    log.info("job %s: %s", job.name, report.summary)
    for problem in report.problems:
        log.warning("job %s: %s", job.name, problem)


def build_scheduler(
    services: Services, jobs: Mapping[str, Job] | None = None
) -> BackgroundScheduler:
    jobs = all_jobs() if jobs is None else jobs
    scheduler = BackgroundScheduler(
        timezone=services.calendar.tz,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
    for name, crontab in schedules_for(jobs, services.settings.schedules).items():
        scheduler.add_job(
            run_scheduled,
            trigger_for(crontab, services),
            args=[services, jobs[name]],
            id=name,
            name=name,
        )
    return scheduler
