"""Zendesk's ticket priorities, most pressing first: the one order every list and query uses."""

from __future__ import annotations

PRIORITIES = ("urgent", "high", "normal", "low")


def priority_rank(priority: str | None) -> int:
    """A priority's place in PRIORITIES; no priority (or one Zendesk may add) comes last."""
    return PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES)
