"""What `/rota swap` reads before it asks, remembered per database while the plan holds.

Asking for a swap reads the channel's rota, its members in order, and the weeks to come
(publishing them, and arranging cover for absences, on demand). Once a planner has refreshed
them writing nothing, they stay as read until a commit in any process writes the rota, its
members, its weeks or an absence: the ROTA_PLAN count. A swap request is none of those, so a
burst of swaps reads the plan once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from bot.per_object import PerObject
from bot.store.changes import ROTA_PLAN, SessionSource
from bot.store.remembered import FACTS_KEPT, Remembered


@dataclass(frozen=True)
class SwapPlan:
    """A rota's plan as a planner left it, having written nothing: `upcoming` are the weeks
    that have not started, as far as anyone's next week can be, as (week start, person) in
    order."""

    rota_id: int
    channel_id: str
    order: tuple[str, ...]
    upcoming: tuple[tuple[date, str], ...]

    def next_week_of(self, user_id: str, *, exclude: date | None = None) -> date | None:
        """The person's earliest week that has not started (as Planner.next_week_of)."""
        return next(
            (week for week, holder in self.upcoming if holder == user_id and week != exclude),
            None,
        )


# Per engine: what a database holds, remembered for whoever reads that database.
_PLANS: PerObject[Engine, Remembered[SwapPlan]] = PerObject(
    lambda: Remembered(ROTA_PLAN, max_age=FACTS_KEPT)
)


@dataclass(frozen=True)
class Plans:
    """A database's remembered plans, and the ROTA_PLAN count taken before the command's
    transaction began: a plan is good while the count is unchanged, and one read in that
    transaction is remembered at it."""

    remembered: Remembered[SwapPlan]
    generation: int

    def get(self, channel_id: str, today: date) -> SwapPlan | None:
        found = self.remembered.fresh_at((channel_id, today), self.generation)
        return None if found is None else found[0]

    def keep(self, today: date, plan: SwapPlan) -> None:
        self.remembered.remember((plan.channel_id, today), plan, self.generation)


def plans_of(source: SessionSource) -> Plans:
    """Take before opening the transaction that may read a plan."""
    return Plans(_PLANS.of(source.engine), ROTA_PLAN.generation(source))
