"""the Zendesk budget's ring has a fixed size and the database's clock: processes with different
budgets share it, and no process's clock moves anyone else's calls

Revision ID: d2a7f4c9e630
Revises: b6f1d3a8c527
Create Date: 2026-12-02 08:20:00

The ring of b6f1d3a8c527 had as many slots as the budget and was built again whenever a claim
came with another budget: during a rolling restart that changed the budget, processes took
turns rebuilding it and the larger budget saw only the smaller's latest calls; and building
it took the advisory lock while holding the ring's row lock, where a first claim took them the
other way round. And a call was noted no earlier than the one before it, so one process's
clock running ahead moved every later call into its future.

Now the ring keeps the last 2,500 calls (Zendesk's largest budget, High Volume's) whatever the
budget, and a claim for a budget of `limit` reads the slot `limit` calls back: any budget up
to 2,500 without a rebuild, and only the ring's row lock. A claim with no time of its own
(`at_now` NULL, what `rotabot` sends) takes the database's clock, one clock for every process;
one with a time (tests, on a clock they move) is noted at it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.migrate import migration

revision: str = "d2a7f4c9e630"
down_revision: str | None = "b6f1d3a8c527"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAPACITY = 2500


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:  # SQLite has no shared budget: its tables stay empty
        _renumber_oldest_first()
    with op.batch_alter_table("zendesk_budget", schema=None) as batch_op:
        batch_op.drop_column("size")
        batch_op.drop_column("latest")
    if postgresql:
        op.execute(
            "INSERT INTO zendesk_budget (kind, next)"
            f" SELECT kind, count(*) % {CAPACITY} FROM zendesk_budget_slot GROUP BY kind"
        )
        op.execute(_FIXED_RING)


def _renumber_oldest_first() -> None:
    """Each ring's calls, oldest first from its next slot, numbered from 0, the latest
    CAPACITY kept. Moved out of the way first: a key is checked at each row of an UPDATE."""
    op.execute("UPDATE zendesk_budget_slot SET slot = slot + 1000000")
    op.execute(
        "UPDATE zendesk_budget_slot SET slot = renumbered.slot FROM ("
        " SELECT s.kind, s.slot AS old,"
        " row_number() OVER (PARTITION BY s.kind ORDER BY"
        " (s.slot - 1000000 - coalesce(b.next, 0) + coalesce(b.size, 1000000))"
        " % coalesce(b.size, 1000000), s.at) - 1"
        f" - greatest(0, count(*) OVER (PARTITION BY s.kind) - {CAPACITY}) AS slot"
        " FROM zendesk_budget_slot AS s LEFT JOIN zendesk_budget AS b ON b.kind = s.kind"
        ") AS renumbered"
        " WHERE zendesk_budget_slot.kind = renumbered.kind"
        " AND zendesk_budget_slot.slot = renumbered.old"
    )
    op.execute("DELETE FROM zendesk_budget_slot WHERE slot < 0")
    op.execute("DELETE FROM zendesk_budget")


def downgrade() -> None:
    with op.batch_alter_table("zendesk_budget", schema=None) as batch_op:
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("latest", sa.Float(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        # Size 0: that revision's first claim builds its ring again from the slots.
        op.execute(migration("b6f1d3a8c527").RING_CLAIM)


# Each statement of a VOLATILE plpgsql function takes a new snapshot, so the slot read after the
# ring's row lock sees the last claim's write; set_config(..., true) lasts to the end of the
# caller's transaction, its commit included. lock_key is no longer used (kept: same arguments).
_FIXED_RING = f"""
CREATE OR REPLACE FUNCTION claim_zendesk_call(
    call_kind varchar, lock_key bigint, at_now double precision,
    window_s double precision, call_limit integer
) RETURNS double precision
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    capacity CONSTANT integer := {CAPACITY};
    counted integer := least(greatest(call_limit, 1), {CAPACITY});
    noted double precision;
    ring_next integer;
    oldest double precision;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT next INTO ring_next FROM zendesk_budget WHERE kind = call_kind FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO zendesk_budget (kind, next) VALUES (call_kind, 0)
            ON CONFLICT (kind) DO NOTHING;
        SELECT next INTO ring_next FROM zendesk_budget WHERE kind = call_kind FOR UPDATE;
    END IF;
    -- After the lock, so that calls are noted in the order they claim.
    noted := coalesce(at_now, extract(epoch FROM clock_timestamp()));
    SELECT at INTO oldest FROM zendesk_budget_slot
        WHERE kind = call_kind AND slot = (ring_next - counted + capacity) % capacity;
    IF oldest IS NOT NULL AND oldest > noted - window_s THEN
        RETURN greatest(0.001, oldest + window_s - noted);
    END IF;
    INSERT INTO zendesk_budget_slot (kind, slot, at) VALUES (call_kind, ring_next, noted)
        ON CONFLICT (kind, slot) DO UPDATE SET at = excluded.at;
    UPDATE zendesk_budget SET next = (ring_next + 1) % capacity WHERE kind = call_kind;
    RETURN 0;
END
$$
"""
