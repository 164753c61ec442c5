"""`/rota swap` on PostgreSQL, end to end: from a remembered plan, asking for a swap is one
statement (the request, its audit line and the rota's count), and another process sees it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.services import Services
from bot.settings import Settings
from bot.store.audit import audit_events
from bot.store.changes import ROTA
from bot.store.db import make_engine, session_scope
from tests.doors import SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.handlers.rota_helpers import (
    dms_to,
    pending_swap,
    remember_a_swap_plan,
    swap_from_the_remembered_plan,
)
from tests.store.sources import Source


@pytest.fixture
def settings(settings: Settings, pg_url: str) -> Settings:
    """The tests' settings, on PostgreSQL."""
    return replace(settings, database_url=pg_url)


def test_a_swap_from_a_remembered_plan_is_one_statement(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services, settings: Settings
) -> None:
    remember_a_swap_plan(slack, fake_slack)
    other = make_engine(settings.database_url)  # another process on the same database
    try:
        before = ROTA.generation(Source(other))
        statements = swap_from_the_remembered_plan(slack, fake_slack, services.engine)
        written = [" ".join(s.split()) for s in statements if "change_count" in s]
        assert len(written) == 1 and written[0].startswith(
            "WITH written AS (INSERT INTO swap_request"
        )
        assert not any(s.startswith("SELECT") and "change_count" not in s for s in statements)
        assert ROTA.generation(Source(other)) == before + 1
        with session_scope(other) as session:
            asked = pending_swap(session, requester="U3", target="U1")
            latest = audit_events(session=session, scope="C1")[0]
        assert (latest.actor, latest.action) == ("U3", "rota.swap.requested")
        assert latest.detail == {"request": asked.id, "target": "U1"}
        # The DM went out, and where it went was noted on the request.
        FakeSlack.find_button(dms_to(fake_slack, "U1")[-1], "Accept")
        assert asked.dm_ts is not None
    finally:
        other.dispose()
