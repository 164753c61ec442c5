"""When each job last ran, how it went, and what is wrong if it failed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, select

from bot.store.types import UTCDateTime


class JobRun(SQLModel, table=True):
    __tablename__ = "job_run"

    job: str = Field(primary_key=True, max_length=64)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ok: bool = True
    summary: str = Field(default="", max_length=1000)
    error: str | None = Field(default=None, max_length=1000)


def record_job_start(*, session: Session, job: str, now: datetime) -> None:
    run = session.get(JobRun, job) or JobRun(job=job, started_at=now)
    run.started_at = now
    run.finished_at = None
    session.add(run)


def record_job_end(
    *, session: Session, job: str, now: datetime, ok: bool, summary: str, error: str | None
) -> None:
    run = session.get(JobRun, job) or JobRun(job=job, started_at=now)
    run.finished_at = now
    run.ok = ok
    run.summary = summary[:1000]
    run.error = None if error is None else error[:1000]
    session.add(run)


def job_runs(*, session: Session) -> dict[str, JobRun]:
    return {run.job: run for run in session.exec(select(JobRun))}
