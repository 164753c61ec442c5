"""One worker at a time per job: a lock in this process and, on PostgreSQL, an advisory lock
that every worker shares."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine

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
