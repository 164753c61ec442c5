"""The scheduled jobs, by name (DESIGN.md §5)."""

from bot.jobs.base import Job


def all_jobs() -> dict[str, Job]:
    """Every job Rotabot runs, in the order `rotabot jobs list` shows them."""
    jobs: list[Job] = []
    return {job.name: job for job in jobs}
