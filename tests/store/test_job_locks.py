"""The job lock on PostgreSQL: one worker at a time per job, across processes."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from bot.store.job_locks import advisory_key, job_lock


def test_the_advisory_lock_lets_one_worker_run_a_job(pg_url: str) -> None:
    engine = create_engine(pg_url)
    other_worker = create_engine(pg_url).connect()
    key = advisory_key("priority-review")
    # Advisory locks belong to a database session: this connection stands for another worker.
    assert other_worker.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
    with job_lock(engine, "priority-review") as held:
        assert not held
    with job_lock(engine, "sync") as held:
        assert held
    other_worker.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    with job_lock(engine, "priority-review") as held:
        assert held
    other_worker.close()
    engine.dispose()
