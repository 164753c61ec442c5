"""on PostgreSQL, several Zendesk calls claimed on the shared budget in one statement

Revision ID: e3c7a1f5b802
Revises: d2a7f4c9e630
Create Date: 2026-12-02 16:10:00

A read of several tickets asks for each one's comments, one call per ticket, each of which
claimed its own slot of the ring: a round trip to the database per call, each taking the
ring's row lock in turn. `claim_zendesk_calls` claims `calls` slots at once: all of them when
the last would be within the budget (the call `limit` calls back from it is outside the
window), else none, and it returns the seconds until they would all fit. It keeps the same
ring as `claim_zendesk_call` (d2a7f4c9e630), which stays for single calls.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e3c7a1f5b802"
down_revision: str | None = "d2a7f4c9e630"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAPACITY = 2500


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no shared budget
    op.execute(_CLAIM_SEVERAL)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DROP FUNCTION IF EXISTS claim_zendesk_calls("
        "varchar, integer, double precision, double precision, integer)"
    )


# As in claim_zendesk_call: the ring's row lock orders the claims, each statement of the
# VOLATILE function sees the last claim's write, and the commit does not wait for the disk.
# More calls than the budget never fit: the answer is then a wait of a whole window, and the
# caller claims them one by one instead.
_CLAIM_SEVERAL = f"""
CREATE OR REPLACE FUNCTION claim_zendesk_calls(
    call_kind varchar, calls integer, at_now double precision,
    window_s double precision, call_limit integer
) RETURNS double precision
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    capacity CONSTANT integer := {CAPACITY};
    counted integer := least(greatest(call_limit, 1), {CAPACITY});
    wanted integer := greatest(calls, 1);
    noted double precision;
    ring_next integer;
    oldest double precision;
BEGIN
    IF wanted > counted THEN
        RETURN window_s;
    END IF;
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT next INTO ring_next FROM zendesk_budget WHERE kind = call_kind FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO zendesk_budget (kind, next) VALUES (call_kind, 0)
            ON CONFLICT (kind) DO NOTHING;
        SELECT next INTO ring_next FROM zendesk_budget WHERE kind = call_kind FOR UPDATE;
    END IF;
    noted := coalesce(at_now, extract(epoch FROM clock_timestamp()));
    -- The last of the calls goes at ring_next + wanted - 1: the call `counted` back from it
    -- must have left the window (the slots before it are older still).
    SELECT at INTO oldest FROM zendesk_budget_slot
        WHERE kind = call_kind
        AND slot = (ring_next + wanted - 1 - counted + capacity) % capacity;
    IF oldest IS NOT NULL AND oldest > noted - window_s THEN
        RETURN greatest(0.001, oldest + window_s - noted);
    END IF;
    INSERT INTO zendesk_budget_slot (kind, slot, at)
        SELECT call_kind, (ring_next + taken) % capacity, noted
        FROM generate_series(0, wanted - 1) AS taken
        ON CONFLICT (kind, slot) DO UPDATE SET at = excluded.at;
    UPDATE zendesk_budget SET next = (ring_next + wanted) % capacity WHERE kind = call_kind;
    RETURN 0;
END
$$
"""
