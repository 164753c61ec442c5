"""Running a job once: its outcome recorded, a crash recorded as a failure and raised."""

from __future__ import annotations

import pytest

from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store.job_runs import job_runs
from tests.jobs.conftest import WORKING_NOW


def _crash(ctx: JobContext) -> JobReport:
    raise RuntimeError("the mirror is gone")


def test_a_job_that_raises_is_recorded_as_failed(services: Services) -> None:
    job = Job(name="crash", default_schedule="* * * * *", description="", run=_crash)
    with pytest.raises(RuntimeError):
        run_job(services, job, now=WORKING_NOW)
    with services.session() as session:
        run = job_runs(session=session)["crash"]
    assert not run.ok and run.summary == "failed"
    assert run.error == "RuntimeError: the mirror is gone"
    assert run.finished_at is not None


def test_a_job_that_ran_is_recorded_with_its_summary(services: Services) -> None:
    def fine(ctx: JobContext) -> JobReport:
        return JobReport(summary="all quiet")

    job = Job(name="fine", default_schedule="* * * * *", description="", run=fine)
    assert run_job(services, job, now=WORKING_NOW).summary == "all quiet"
    with services.session() as session:
        run = job_runs(session=session)["fine"]
    assert run.ok and run.summary == "all quiet" and run.error is None
