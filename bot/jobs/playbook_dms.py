"""The `commitments` job's parts besides promise reminders: time-boxes past their hours, help
reminders and unanswered help. Each source gives its due items with their ledger keys; here
they become parts of the person's one message for the run."""

from __future__ import annotations

from bot.blocks.help import part_name as help_part
from bot.blocks.help import reminder_blocks, reminder_text, unanswered_blocks, unanswered_text
from bot.blocks.kit import Block
from bot.blocks.parts import named_part
from bot.blocks.timeboxes import part_name as timebox_part
from bot.blocks.timeboxes import timebox_dm_blocks, timebox_dm_text
from bot.helping.due import REMINDER, due_help
from bot.jobs.base import JobContext
from bot.jobs.delivery import Part
from bot.timeboxes.due import due_timeboxes
from bot.timeboxes.track import end_timeboxes_of_solved_tickets


def playbook_parts(ctx: JobContext) -> list[Part]:
    services, now = ctx.services, ctx.now
    calendar = services.calendar
    with services.session() as session:
        if not ctx.dry_run:
            end_timeboxes_of_solved_tickets(session, now)
        timeboxes = due_timeboxes(session, now, calendar=calendar, settings=services.settings)
        helps = due_help(session, now, calendar=calendar, settings=services.settings)
    parts = [
        Part(
            key=item.key,
            recipient=item.recipient,
            text=timebox_dm_text(item.note),
            blocks=named_part(timebox_part(item.note.timebox_id), timebox_dm_blocks(item.note)),
            when=now,
        )
        for item in timeboxes
    ]
    for item in helps:
        reminder = item.kind == REMINDER
        blocks: list[Block] = (
            reminder_blocks(item.view, calendar, now=now)
            if reminder
            else unanswered_blocks(item.view, calendar, now=now)
        )
        parts.append(
            Part(
                key=item.key,
                recipient=item.recipient,
                text=reminder_text(item.view) if reminder else unanswered_text(item.view),
                blocks=named_part(help_part(item.view.request_id), blocks),
                when=item.view.starts_at if reminder else now,
            )
        )
    return parts
