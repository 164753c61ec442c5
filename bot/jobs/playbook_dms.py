"""The `commitments` job's DMs besides promise reminders: time-boxes past their hours, help
reminders and unanswered help. Each source gives its due items with their ledger keys; here
they become messages."""

from __future__ import annotations

from bot.blocks.help import reminder_blocks, reminder_text, unanswered_blocks, unanswered_text
from bot.blocks.timeboxes import timebox_dm_blocks, timebox_dm_text
from bot.helping.due import REMINDER, due_help
from bot.jobs.base import JobContext
from bot.jobs.delivery import Outgoing
from bot.timeboxes.due import due_timeboxes
from bot.timeboxes.track import end_timeboxes_of_solved_tickets


def playbook_messages(ctx: JobContext) -> list[Outgoing]:
    services, now = ctx.services, ctx.now
    with services.session() as session:
        if not ctx.dry_run:
            end_timeboxes_of_solved_tickets(session, now)
        timeboxes = due_timeboxes(
            session, now, calendar=services.calendar, settings=services.settings
        )
        helps = due_help(session, now, calendar=services.calendar, settings=services.settings)
    calendar = services.calendar
    return [
        Outgoing(
            key=item.key,
            recipient=item.recipient,
            text=timebox_dm_text(item.note),
            blocks=timebox_dm_blocks(item.note),
        )
        for item in timeboxes
    ] + [
        Outgoing(
            key=item.key,
            recipient=item.recipient,
            text=reminder_text(item.view) if item.kind == REMINDER else unanswered_text(item.view),
            blocks=reminder_blocks(item.view, calendar, now=now)
            if item.kind == REMINDER
            else unanswered_blocks(item.view, calendar, now=now),
        )
        for item in helps
    ]
