"""The two nudge rules of DESIGN.md §5, in one readable place: pure functions of the mirror.

*Needs priority review*: an open ticket with no priority, never reviewed, with a client
comment since the last review, or not reviewed for `review_after_days` (calendar days).

*Client waiting*: the client's last public comment is newer than our last public reply and
at least `waiting_hours` working hours old; or, on a new or open ticket, we have not replied
publicly (since it was created, when we never have) for `no_reply_days` working days.
Pending and on-hold tickets wait on the client, so they count only when the client wrote since.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.blocks.digest import ReviewReason, Waiting, WaitingReason
from bot.store.priority_reviews import PriorityReview
from bot.store.shortlists import ACTIVE_STATUSES, WaitingCutoffs, stale_review_before
from bot.store.tickets import OPEN_STATUSES, Ticket
from bot.worktime import WorkCalendar


def needs_priority_review(
    ticket: Ticket, last_review: PriorityReview | None, *, now: datetime, review_after_days: int
) -> ReviewReason | None:
    """The first reason the ticket's priority needs a review, or None when it does not."""
    reviewed_at = None if last_review is None else last_review.reviewed_at
    return review_reason(ticket, reviewed_at, now=now, review_after_days=review_after_days)


def review_reason(
    ticket: Ticket, reviewed_at: datetime | None, *, now: datetime, review_after_days: int
) -> ReviewReason | None:
    """As needs_priority_review, from when the ticket's priority was last reviewed."""
    if ticket.status not in OPEN_STATUSES:
        return None
    if ticket.priority is None:
        return ReviewReason.NO_PRIORITY
    if reviewed_at is None:
        return ReviewReason.NEVER_REVIEWED
    client_at = ticket.last_requester_comment_at
    if client_at is not None and client_at > reviewed_at:
        return ReviewReason.CLIENT_COMMENTED
    if reviewed_at <= stale_review_before(now, review_after_days):
        return ReviewReason.STALE
    return None


def waiting_cutoffs(
    calendar: WorkCalendar, now: datetime, *, waiting_hours: int, no_reply_days: int
) -> WaitingCutoffs:
    return WaitingCutoffs(
        client_wrote_by=calendar.latest_start_for(now, waiting_hours),
        replied_by=calendar.latest_start_for(now, no_reply_days * working_day_hours(calendar)),
    )


def client_waiting(
    ticket: Ticket,
    *,
    now: datetime,
    calendar: WorkCalendar,
    waiting_hours: int,
    no_reply_days: int,
    cutoffs: WaitingCutoffs | None = None,
) -> Waiting | None:
    """Whether (and why) the client has waited on us too long at `now`."""
    if ticket.status not in OPEN_STATUSES:
        return None
    if cutoffs is None:
        cutoffs = waiting_cutoffs(
            calendar, now, waiting_hours=waiting_hours, no_reply_days=no_reply_days
        )
    client_at = ticket.last_requester_comment_at
    reply_at = ticket.last_agent_public_reply_at
    client_wrote = client_at is not None and (reply_at is None or client_at > reply_at)
    if client_wrote:
        assert client_at is not None
        if client_at <= cutoffs.client_wrote_by:
            hours = calendar.working_hours_between(client_at, now)
            return Waiting(WaitingReason.CLIENT_WROTE, client_at, hours)
    if ticket.status not in ACTIVE_STATUSES and not client_wrote:
        return None
    since = reply_at or ticket.created_at
    if since <= cutoffs.replied_by:
        return Waiting(WaitingReason.NO_REPLY, since, calendar.working_hours_between(since, now))
    return None


def working_day_hours(calendar: WorkCalendar) -> float:
    opens = timedelta(hours=calendar.day_start.hour, minutes=calendar.day_start.minute)
    closes = timedelta(hours=calendar.day_end.hour, minutes=calendar.day_end.minute)
    return (closes - opens) / timedelta(hours=1)
