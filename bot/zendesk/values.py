"""Values as Zendesk's JSON gives them: its timestamps and its ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_zendesk_time(raw: Any) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def as_int(raw: Any) -> int | None:
    """An id as Zendesk sends it (a number, or digits in a string); None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    return None
