"""Zendesk people and their Slack matches, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.store.db import session_scope
from bot.store.zendesk_people import (
    agents,
    remember_slack_match,
    slack_match_is_fresh,
    slack_user_for_zendesk_user,
    upsert_zendesk_user,
    zendesk_user,
)

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
# Zendesk ids outgrow 32 bits.
BIG = 2**40 + 7


def test_slack_matches_are_cached_for_a_day(engine: Engine) -> None:
    with session_scope(engine) as session:
        upsert_zendesk_user(
            session=session, user_id=BIG, name="Alice", email="a@team.test", role="agent"
        )
        upsert_zendesk_user(
            session=session, user_id=2, name="Carol", email="c@acme.test", role="end-user"
        )
    with session_scope(engine) as session:
        remember_slack_match(session=session, zendesk_user_id=BIG, slack_user_id="UA", now=NOW)
    with session_scope(engine) as session:
        assert slack_user_for_zendesk_user(session=session, zendesk_user_id=BIG) == "UA"
        user = zendesk_user(session=session, user_id=BIG)
        assert user is not None
        assert slack_match_is_fresh(user, now=NOW + timedelta(hours=23))
        assert not slack_match_is_fresh(user, now=NOW + timedelta(hours=24))
        assert [a.name for a in agents(session=session)] == ["Alice"]
        # A new address may be someone else's: the match is forgotten.
        upsert_zendesk_user(
            session=session, user_id=BIG, name="Alice", email="alice@new.test", role="agent"
        )
    with Session(engine) as session:
        assert slack_user_for_zendesk_user(session=session, zendesk_user_id=BIG) is None
