"""One priority order: the Python rank and the SQL the triage index is built on agree."""

from __future__ import annotations

import importlib

from bot.priorities import PRIORITIES, priority_rank
from bot.store.tickets import TRIAGE_RANK_SQL


def test_most_pressing_first_and_no_priority_last() -> None:
    ranked = sorted([None, "low", "urgent", "normal", "high"], key=priority_rank)
    assert ranked == ["urgent", "high", "normal", "low", None]
    assert priority_rank("unheard-of") == len(PRIORITIES)


def test_the_sql_rank_is_spelled_as_the_index_was_built() -> None:
    migration = importlib.import_module("bot.store.migrations.versions.7c1e5a9d2f40_nudge_indexes")
    assert f"({TRIAGE_RANK_SQL})" == migration.TRIAGE_RANK
