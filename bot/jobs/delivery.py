"""Sending what a job decided is due: once each, in working time, never to someone away, and
retried when it fails.

A job either sends whole messages (`deliver`) or parts (`deliver_parts`): a recipient's parts
due in one run go out as one message, soonest first, each part still exactly-once by its key.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError

from bot import timefmt
from bot.blocks.bundle import bundle_blocks, bundle_text
from bot.blocks.kit import MAX_BLOCKS
from bot.blocks.text import blocks_as_text
from bot.jobs.base import JobContext, JobReport
from bot.slack.errors import CHANNEL_NOT_FOUND, IS_ARCHIVED, NOT_IN_CHANNEL, error_code
from bot.slack.post import send
from bot.store.nudge_ledger import claim_nudge, mark_sent, release_claim, sent_keys
from bot.store.rota import absences

log = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"

CHANNEL_FIXES = {
    CHANNEL_NOT_FOUND: "the channel is gone or private: invite @Rotabot to it (/invite @Rotabot)",
    NOT_IN_CHANNEL: "Rotabot is not in the channel: invite it with /invite @Rotabot",
    IS_ARCHIVED: "the channel is archived: unarchive it or start the rota in another channel",
}


@dataclass(frozen=True)
class Outgoing:
    """One message a job wants to send; `key` makes it exactly-once."""

    key: str
    # A user id (the message goes to their DM with Rotabot) or a channel id.
    recipient: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Part:
    """One item of a person's message (a promise reminder, a time-box…), exactly-once by `key`."""

    key: str
    recipient: str
    text: str
    blocks: list[dict[str, Any]]
    # Parts are shown soonest first: when the thing they are about is due.
    when: datetime


def deliver(ctx: JobContext, job: str, messages: list[Outgoing]) -> JobReport:
    """Send each message not yet sent; outside working time send nothing and say when."""
    waiting = _outside_working_time(ctx, len(messages))
    if waiting is not None:
        return waiting
    pending, away = _sendable(ctx, messages)
    if ctx.dry_run:
        for message in pending:
            ctx.echo(f"→ {message.recipient} [{message.key}]\n{message_text(message)}\n")
        return JobReport(summary=f"dry run: {len(pending)} message(s) would be sent" + away)
    report = JobReport(summary="")
    for message in pending:
        send_once(ctx, job, message, report)
    report.summary = _sent_summary(report, len(pending)) + away
    return report


def deliver_parts(ctx: JobContext, job: str, parts: list[Part]) -> JobReport:
    """One message per recipient with every part due to them, soonest first; a part that
    would take the message past Slack's 50 blocks waits for the next run."""
    waiting = _outside_working_time(ctx, len(parts))
    if waiting is not None:
        return waiting
    pending, away = _sendable(ctx, parts)
    bundles = bundled(pending)
    if ctx.dry_run:
        for recipient, chosen in bundles:
            keys = ", ".join(part.key for part in chosen)
            ctx.echo(f"→ {recipient} [{keys}]\n{blocks_as_text(_blocks_of(chosen))}\n")
        return JobReport(summary=f"dry run: {len(bundles)} message(s) would be sent" + away)
    report = JobReport(summary="")
    for recipient, chosen in bundles:
        send_bundle(ctx, job, recipient, chosen, report)
    report.summary = _sent_summary(report, len(bundles)) + away
    return report


def bundled(parts: Iterable[Part]) -> list[tuple[str, list[Part]]]:
    """Each recipient's parts, soonest first, as many as fit in one message."""
    by_recipient = sorted(parts, key=lambda part: (part.recipient, part.when, part.key))
    bundles = []
    for recipient, group in groupby(by_recipient, key=lambda part: part.recipient):
        chosen: list[Part] = []
        for part in group:
            if chosen and len(_blocks_of([*chosen, part])) > MAX_BLOCKS:
                break
            chosen.append(part)
        bundles.append((recipient, chosen))
    return bundles


def _blocks_of(parts: list[Part]) -> list[dict[str, Any]]:
    return bundle_blocks([part.blocks for part in parts])


def _outside_working_time(ctx: JobContext, count: int) -> JobReport | None:
    calendar = ctx.services.calendar
    if calendar.is_working_time(ctx.now):
        return None
    resume = calendar.next_working_time(ctx.now)
    return JobReport(
        summary=f"outside working time: {count} message(s) wait until "
        f"{timefmt.instant(resume, calendar.tz)}"
    )


Message = TypeVar("Message", Outgoing, Part)


def _sendable(ctx: JobContext, messages: list[Message]) -> tuple[list[Message], str]:
    """The messages not yet sent, less those to someone away today (they wait until the person
    is back, or until the job gives them to someone else), and a note of who is away."""
    today = ctx.services.calendar.today(ctx.now)
    recipients = sorted({message.recipient for message in messages})
    with ctx.services.session() as session:
        already = sent_keys(session=session, keys=[message.key for message in messages])
        away = {
            absence.user_id
            for absence in absences(session=session, user_ids=recipients, first=today, last=today)
        }
    pending = [message for message in messages if message.key not in already]
    held = sorted({message.recipient for message in pending if message.recipient in away})
    note = f"; {', '.join(held)} away today: theirs wait" if held else ""
    return [message for message in pending if message.recipient not in away], note


def _sent_summary(report: JobReport, due: int) -> str:
    return f"sent {report.sent} of {due} due message(s)" + (
        f"; {len(report.problems)} problem(s)" if report.problems else ""
    )


def message_text(message: Outgoing) -> str:
    return blocks_as_text(message.blocks) if message.blocks else message.text


def send_once(ctx: JobContext, job: str, message: Outgoing, report: JobReport) -> None:
    if not _claim(ctx, job, message.recipient, message.key):
        return
    _send_claimed(ctx, job, message.recipient, [message.key], message.text, message.blocks, report)


def send_bundle(
    ctx: JobContext, job: str, recipient: str, parts: list[Part], report: JobReport
) -> None:
    """Claim each part by its own key; the ones claimed go out together, as one message."""
    claimed = [part for part in parts if _claim(ctx, job, recipient, part.key)]
    if not claimed:
        return
    text = bundle_text([part.text for part in claimed])
    keys = [part.key for part in claimed]
    _send_claimed(ctx, job, recipient, keys, text, _blocks_of(claimed), report)


def _claim(ctx: JobContext, job: str, recipient: str, key: str) -> bool:
    services = ctx.services
    with services.session() as session:
        return claim_nudge(
            session=session,
            key=key,
            job=job,
            recipient=recipient,
            worker=WORKER_ID,
            # The real time, not `--at`: other workers judge a claim's staleness by it.
            now=services.now(),
        )


def _send_claimed(
    ctx: JobContext,
    job: str,
    recipient: str,
    keys: list[str],
    text: str,
    blocks: list[dict[str, Any]],
    report: JobReport,
) -> None:
    services = ctx.services
    try:
        sent = send(services.slack, channel=recipient, text=text, blocks=blocks or None)
    except (SlackApiError, OSError) as error:
        problem = explain_send_failure(recipient, error_code(error) or str(error))
        log.warning("%s: %s", job, problem)
        report.problems.append(problem)
        with services.session() as session:
            for key in keys:
                release_claim(session=session, key=key, error=problem)
        return
    with services.session() as session:
        for key in keys:
            mark_sent(
                session=session, key=key, channel=sent.channel, ts=sent.ts, now=services.now()
            )
    report.sent += 1


def explain_send_failure(recipient: str, code: str) -> str:
    fix = CHANNEL_FIXES.get(code)
    if fix is not None:
        return f"could not post to <#{recipient}>: {fix}; will retry at the next run"
    return f"could not send to {recipient} ({code}); will retry at the next run"
