"""Running one job once: one worker at a time, its outcome recorded for `rotabot jobs list`."""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.jobs.base import Job, JobContext, JobReport
from bot.services import Services
from bot.store.job_runs import record_job_end, record_job_start

log = logging.getLogger(__name__)

_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def _local_lock(name: str) -> threading.Lock:
    with _local_locks_guard:
        return _local_locks.setdefault(name, threading.Lock())


def advisory_key(name: str) -> int:
    """A stable 32-bit key per job, shared by every worker."""
    return zlib.crc32(f"rotabot-job:{name}".encode())


@contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Yield whether this process holds the job's lock; on PostgreSQL across all workers."""
    local = _local_lock(name)
    if not local.acquire(blocking=False):
        yield False
        return
    try:
        if engine.dialect.name != "postgresql":
            yield True
            return
        with engine.connect() as connection:
            key = advisory_key(name)
            held = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            try:
                yield bool(held)
            finally:
                if held:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
    finally:
        local.release()


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
