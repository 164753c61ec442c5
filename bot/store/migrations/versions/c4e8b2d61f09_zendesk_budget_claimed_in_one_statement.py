"""on PostgreSQL, a claim on the Zendesk budget every process shares is one statement

Revision ID: c4e8b2d61f09
Revises: a5c3e1f0b921
Create Date: 2026-12-01 04:45:00

`claim_zendesk_call` takes the budget's advisory lock, forgets calls older than the window,
and either adds this call (returning 0) or returns the seconds until one leaves the window.
Called on its own in autocommit, it is one round trip, and the lock is held only while the
database runs it, never while the calling process waits for its turn to read the answer.
SQLite has no such function and needs none (one process keeps that budget alone).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4e8b2d61f09"
down_revision: str | None = "a5c3e1f0b921"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(COUNTED_CLAIM)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DROP FUNCTION IF EXISTS claim_zendesk_call("
        "varchar, bigint, double precision, double precision, integer)"
    )


# Each statement of a VOLATILE plpgsql function takes a new snapshot, so the DELETE and the
# count after the lock see every claim committed before it; set_config(..., true) lasts to the
# end of the caller's transaction, its commit included. (Later revisions restore it on
# downgrade: see bot.store.migrate.migration.)
COUNTED_CLAIM = """
CREATE OR REPLACE FUNCTION claim_zendesk_call(
    call_kind varchar, lock_key bigint, at_now double precision,
    window_s double precision, call_limit integer
) RETURNS double precision
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    frees double precision;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_advisory_xact_lock(lock_key);
    DELETE FROM zendesk_call WHERE kind = call_kind AND at <= at_now - window_s;
    IF (SELECT count(*) FROM zendesk_call WHERE kind = call_kind) < call_limit THEN
        INSERT INTO zendesk_call (kind, at) VALUES (call_kind, at_now);
        RETURN 0;
    END IF;
    SELECT at INTO frees FROM zendesk_call WHERE kind = call_kind
        ORDER BY at DESC OFFSET call_limit - 1 LIMIT 1;
    RETURN greatest(0.001, frees + window_s - at_now);
END
$$
"""
