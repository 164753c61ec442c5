"""Running one job once: one worker at a time, its outcome recorded for `rotabot jobs list`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.jobs.base import Job, JobContext, JobReport
from bot.services import Services
from bot.store.job_locks import job_lock
from bot.store.job_runs import record_job_end, record_job_start

log = logging.getLogger(__name__)


def run_job(
    services: Services,
    job: Job,
    *,
    now: datetime,
    dry_run: bool = False,
    echo: Callable[[str], None] = print,
) -> JobReport:
    with job_lock(services.engine, job.name) as held:
        if not held:
            return JobReport(summary="skipped: another worker is running this job right now")
        if not dry_run:
            with services.session() as session:
                record_job_start(session=session, job=job.name, now=services.now())
        context = JobContext(services=services, now=now, dry_run=dry_run, echo=echo)
        try:
            report = job.run(context)
        except Exception as error:
            log.exception("job %s failed", job.name)
            if not dry_run:
                failed = JobReport(summary="failed", problems=[f"{type(error).__name__}: {error}"])
                _record_end(services, job, failed)
            raise
        if not dry_run:
            _record_end(services, job, report)
        return report


def _record_end(services: Services, job: Job, report: JobReport) -> None:
    with services.session() as session:
        record_job_end(
            session=session,
            job=job.name,
            now=services.now(),
            ok=not report.problems,
            summary=report.summary,
            error="; ".join(report.problems) or None,
        )
