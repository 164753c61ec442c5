"""Several items due to one person in one run, joined into one message."""

from __future__ import annotations

from bot.blocks.kit import Block, context, divider

# A notification's text names this many items, then counts the rest.
TEXT_ITEMS = 3


def bundle_blocks(items: list[list[Block]]) -> list[Block]:
    """One item as it is; several under a line that counts them, soonest first, divided."""
    if len(items) <= 1:
        return [block for item in items for block in item]
    blocks: list[Block] = [context(f"*{len(items)} reminders*, soonest due first:")]
    for number, item in enumerate(items):
        if number:
            blocks.append(divider())
        blocks += item
    return blocks


def bundle_text(texts: list[str]) -> str:
    """The notification's text: the item's own, or the first few of several and a count."""
    if len(texts) == 1:
        return texts[0]
    shown = " · ".join(texts[:TEXT_ITEMS])
    more = len(texts) - TEXT_ITEMS
    return f"{len(texts)} reminders: {shown}" + (f" · and {more} more" if more > 0 else "")
