"""Sending what a job decided is due: once each, in working time, and retried when it fails."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import timefmt
from bot.blocks.text import blocks_as_text
from bot.jobs.base import JobContext, JobReport
from bot.slack.errors import CHANNEL_NOT_FOUND, IS_ARCHIVED, NOT_IN_CHANNEL, error_code
from bot.slack.post import send
from bot.store.nudge_ledger import claim_nudge, mark_sent, release_claim, sent_keys

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


def deliver(ctx: JobContext, job: str, messages: list[Outgoing]) -> JobReport:
    """Send each message not yet sent; outside working time send nothing and say when."""
    services = ctx.services
    calendar = services.calendar
    if not calendar.is_working_time(ctx.now):
        resume = calendar.next_working_time(ctx.now)
        return JobReport(
            summary=f"outside working time: {len(messages)} message(s) wait until "
            f"{timefmt.instant(resume, calendar.tz)}"
        )
    with services.session() as session:
        already = sent_keys(session=session, keys=[message.key for message in messages])
    pending = [message for message in messages if message.key not in already]
    if ctx.dry_run:
        for message in pending:
            ctx.echo(f"→ {message.recipient} [{message.key}]\n{message_text(message)}\n")
        return JobReport(summary=f"dry run: {len(pending)} message(s) would be sent")
    report = JobReport(summary="")
    for message in pending:
        send_once(ctx, job, message, report)
    report.summary = f"sent {report.sent} of {len(pending)} due message(s)" + (
        f"; {len(report.problems)} problem(s)" if report.problems else ""
    )
    return report


def message_text(message: Outgoing) -> str:
    return blocks_as_text(message.blocks) if message.blocks else message.text


def send_once(ctx: JobContext, job: str, message: Outgoing, report: JobReport) -> None:
    services = ctx.services
    with services.session() as session:
        claimed = claim_nudge(
            session=session,
            key=message.key,
            job=job,
            recipient=message.recipient,
            worker=WORKER_ID,
            # The real time, not `--at`: other workers judge a claim's staleness by it.
            now=services.now(),
        )
    if not claimed:
        return
    try:
        sent = send(
            services.slack,
            channel=message.recipient,
            text=message.text,
            blocks=message.blocks or None,
        )
    except (SlackApiError, OSError) as error:
        problem = explain_send_failure(message.recipient, error_code(error) or str(error))
        log.warning("%s: %s", job, problem)
        report.problems.append(problem)
        with services.session() as session:
            release_claim(session=session, key=message.key, error=problem)
        return
    with services.session() as session:
        mark_sent(
            session=session,
            key=message.key,
            channel=sent.channel,
            ts=sent.ts,
            now=services.now(),
        )
    report.sent += 1


def explain_send_failure(recipient: str, code: str) -> str:
    fix = CHANNEL_FIXES.get(code)
    if fix is not None:
        return f"could not post to <#{recipient}>: {fix}; will retry at the next run"
    return f"could not send to {recipient} ({code}); will retry at the next run"
