"""The small view models the Block Kit builders take: the domain fills them, blocks render them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.store.priority_reviews import PriorityReview
from bot.store.promises import Promise
from bot.store.tickets import Ticket


@dataclass(frozen=True)
class TicketFlags:
    """What the card and the digests warn about on a ticket."""

    # The client's sentence that reads as upset (None: they sound fine).
    unhappy: str | None = None
    # The client the requester is not authorised for ("" when the ticket has no client).
    not_authorised_for: str | None = None


NO_FLAGS = TicketFlags()


@dataclass(frozen=True)
class ClientFigures:
    """The per-client table: column titles, which are hours, and a row per client."""

    titles: list[str]
    hours: list[bool]
    rows: list[tuple[str, list[float]]] = field(default_factory=list)


@dataclass(frozen=True)
class TicketCard:
    """Everything the card shows, gathered from the mirror."""

    ticket: Ticket
    url: str
    client: str | None
    requester: str | None
    assignee: str | None
    assignee_slack_id: str | None
    last_reply_by: str | None
    review: PriorityReview | None
    promises: list[Promise] = field(default_factory=list)
    # When the assignee's Slack match is due to be checked again (None: there is none to check).
    assignee_match_due: datetime | None = None
    flags: TicketFlags = NO_FLAGS

    def assignee_match_is_fresh(self, now: datetime) -> bool:
        return self.assignee_match_due is None or now < self.assignee_match_due
