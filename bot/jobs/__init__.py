"""The scheduled jobs, by name (DESIGN.md §5)."""

from bot.jobs import (
    client_waiting,
    commitments,
    handover,
    priority_review,
    rota_surfaces,
    slack_names,
    sync,
    weekly_summary,
)
from bot.jobs.base import Job


def all_jobs() -> dict[str, Job]:
    """Every job Rotabot runs, in the order `rotabot jobs list` shows them."""
    jobs: list[Job] = [
        sync.JOB,
        commitments.JOB,
        priority_review.JOB,
        client_waiting.JOB,
        handover.JOB,
        weekly_summary.JOB,
        rota_surfaces.JOB,
        slack_names.JOB,
    ]
    return {job.name: job for job in jobs}
