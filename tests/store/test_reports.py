"""The report queries on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.store.db import session_scope
from bot.store.reports import workspace_rota
from bot.store.rota import create_rota

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_the_workspace_rota_is_the_first_created(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert workspace_rota(session=session) is None
        create_rota(session=session, channel_id="C1", created_by="U1", now=NOW)
        create_rota(session=session, channel_id="C2", created_by="U1", now=NOW)
    with session_scope(engine) as session:
        rota = workspace_rota(session=session)
        assert rota is not None and rota.channel_id == "C1"
