"""Promises our agents make in public replies: reading them from what the sync just read.

The phrase rules live here, as readable tables; the times they name are read by text.py.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.agents import slack_user_for
from bot.promises.owners import person_on_support
from bot.promises.text import TIME_EXPRESSION, resolve_time
from bot.services import Services
from bot.store import promises as store
from bot.store.promises import Promise
from bot.store.zendesk_people import AGENT_ROLES, user_roles
from bot.worktime import WorkCalendar
from bot.zendesk.mirror import ZendeskRead
from bot.zendesk.values import parse_zendesk_time

log = logging.getLogger(__name__)

# Only recent replies are read for promises: an old comment re-read by a first sync is history.
DETECTION_WINDOW = timedelta(days=3)

# Who is promising: we, in the future tense. A promise is ours only when we say it.
PROMISER = (
    r"(?:i|we)(?:'ll|’ll| will| shall|'m going to|’m going to| am going to|'re going to"
    r"|’re going to| are going to| aim to| expect to| plan to| hope to)"
)
# What they promise: to tell the client something, or to come back to the ticket.
PROMISE_VERBS = (
    r"(?:update|get back to|come back to|let (?:you|them) know|be in touch|follow up|report back"
    r"|send (?:you |over )?(?:an? )?(?:update|reply|response)|reply|respond|check (?:in|back)"
    r"|have (?:an? )?(?:update|answer|news|more information)|look (?:at|into)|work on|investigate"
    r"|pick (?:this|it) up|revisit|circle back|write back|give (?:you )?an update|confirm)"
)
PROMISE_PHRASES = [
    re.compile(rf"\b{PROMISER}(?: \w+){{0,2}}? {PROMISE_VERBS}\b", re.IGNORECASE),
    re.compile(
        r"\b(?:you(?:'ll|’ll| will| should| can)|please) (?:expect|hear from (?:us|me)|receive)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bexpect (?:an?|our|my) (?:update|reply|response|answer)\b", re.IGNORECASE),
    re.compile(r"\b(?:i|we) will be in touch\b", re.IGNORECASE),
]
# Sentences that look like promises but are not ours to keep.
NOT_PROMISES = [
    re.compile(r"\?\s*$"),  # a question asks, it does not promise
    re.compile(r"^\s*(?:if|when|once|should)\b", re.IGNORECASE),  # conditional on the client
    re.compile(r"\b(?:could|can|would) you\b", re.IGNORECASE),
    re.compile(r"\bplease (?:let us know|update us|get back to us)\b", re.IGNORECASE),
]
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class DetectedPromise:
    due: datetime
    sentence: str
    expression: str


@dataclass(frozen=True)
class Detected:
    ticket_id: int
    comment_id: int
    author: int
    written_at: datetime
    sentence: str
    due: datetime


@dataclass(frozen=True)
class Found:
    """A promise detected in a reply, with the Slack person who made it (None: not matched)."""

    detected: Detected
    owner: str | None


def detect_in_replies(services: Services, read: ZendeskRead) -> list[Promise]:
    """Record the promises our agents made in the public replies just read from Zendesk.

    Never raises: a reply it cannot read is logged and the rest are still recorded.
    """
    found = find_promises(services, read)
    if not found:
        return []
    with services.session() as session:
        return record_promises(
            session=session, calendar=services.calendar, found=found, now=services.now()
        )


def find_promises(services: Services, read: ZendeskRead) -> list[Found]:
    """The promises in the replies read, not yet recorded, each with its Slack owner.

    Asks Slack (who wrote it) with no session open; the people must already be mirrored.
    Never raises: a bad comment must not stop the sync that read it.
    """
    try:
        found = _promises_in(services, read)
    except Exception:
        log.exception("could not read promises in the replies just synced")
        return []
    return [Found(item, slack_user_for(services, item.author)) for item in found]


def record_promises(
    *, session: Session, calendar: WorkCalendar, found: list[Found], now: datetime
) -> list[Promise]:
    """Record what `find_promises` found, in the caller's transaction; a reply whose promise
    is already recorded (by the webhook, or an earlier run) is skipped."""
    recorded = []
    for item in found:
        detected = item.detected
        owner = item.owner or person_on_support(session, calendar, "", now)
        if owner is None:
            log.info("nobody to hold the promise in comment %s", detected.comment_id)
            continue
        try:
            with session.begin_nested():
                promise = store.add_promise(
                    session=session,
                    ticket_id=detected.ticket_id,
                    owner=owner,
                    due_at=detected.due,
                    made_at=detected.written_at,
                    note=detected.sentence[:300],
                    source=store.FROM_REPLY,
                    created_by="zendesk",
                    created_at=now,
                    comment_id=detected.comment_id,
                )
        except IntegrityError:
            continue  # the webhook and the sync read the same reply at once
        recorded.append(promise)
    return recorded


def _promises_in(services: Services, read: ZendeskRead) -> list[Detected]:
    now = services.now()
    # Only recent public replies can hold a promise: the rest need no query at all.
    recent = []
    for ticket_id, ticket_comments in read.comments.items():
        for comment in ticket_comments:
            if (
                not comment.get("public", False)
                or comment.get("author_id") is None
                or comment.get("id") is None
            ):
                continue
            created = parse_zendesk_time(comment.get("created_at"))
            if created is not None and now - created <= DETECTION_WINDOW:
                recent.append((ticket_id, comment, created))
    # The text first: most replies promise nothing, and then nothing need be read.
    promising = []
    for ticket_id, comment, created in recent:
        body = str(comment.get("plain_body") or comment.get("body") or "")
        detected = detect_promise(body, now=created, calendar=services.calendar)
        if detected is not None and detected.due > now:
            promising.append(
                Detected(
                    ticket_id,
                    int(comment["id"]),
                    int(comment["author_id"]),
                    created,
                    detected.sentence,
                    detected.due,
                )
            )
    if not promising:
        return []
    with services.session() as session:
        roles = user_roles(session=session, user_ids={item.author for item in promising})
        by_agents = [item for item in promising if roles.get(item.author) in AGENT_ROLES]
        known = store.comments_with_promises(
            session=session, comment_ids=[item.comment_id for item in by_agents]
        )
    return [item for item in by_agents if item.comment_id not in known]


def detect_promise(body: str, *, now: datetime, calendar: WorkCalendar) -> DetectedPromise | None:
    """The promise of an update in one of our public replies, if it makes one with a time."""
    for sentence in SENTENCE_END.split(body):
        sentence = sentence.strip()
        if not sentence or any(rule.search(sentence) for rule in NOT_PROMISES):
            continue
        phrase = next((m for rule in PROMISE_PHRASES if (m := rule.search(sentence))), None)
        if phrase is None:
            continue
        for match in TIME_EXPRESSION.finditer(sentence):
            if match.start() < phrase.start():
                continue
            expression = match.group(0)
            due = resolve_time(" ".join(expression.lower().split()), now=now, calendar=calendar)
            if due is not None and due > now:
                return DetectedPromise(due=due, sentence=sentence, expression=expression)
    return None
