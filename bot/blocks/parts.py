"""Items that share one message: each item's blocks are named after it (`promise.12.0`,
`timebox.3.1`), so a click on one item's button settles only that item."""

from __future__ import annotations

from bot.blocks.kit import Block, context, section

# The end of the block_id of the line a settled part leaves behind.
SETTLED = ".settled"


def named_part(name: str, blocks: list[Block]) -> list[Block]:
    """`blocks` named as the part `name` of a message."""
    return [{**block, "block_id": f"{name}.{number}"} for number, block in enumerate(blocks)]


def _in_part(block: Block, name: str) -> bool:
    return str(block.get("block_id", "")).startswith(f"{name}.")


def _other_item(block: Block, name: str) -> bool:
    """Another item's buttons, or the line another item was settled with."""
    if _in_part(block, name):
        return False
    return block.get("type") == "actions" or str(block.get("block_id", "")).endswith(SETTLED)


def holds_others(blocks: list[Block], name: str) -> bool:
    """Whether a message holding the part `name` also carries other items, open or settled."""
    ours = any(_in_part(b, name) and b.get("type") == "actions" for b in blocks)
    return ours and any(_other_item(b, name) for b in blocks)


def settled_part(blocks: list[Block], name: str, text: str) -> list[Block]:
    """A message after its part `name` was settled: that part's blocks become one line of
    `text`; a message about that part alone becomes `text`."""
    if not holds_others(blocks, name):
        return [section(text)]
    settled: list[Block] = []
    for block in blocks:
        if not _in_part(block, name):
            settled.append(block)
        elif not any(_in_part(done, name) for done in settled):
            settled.append({**context(text), "block_id": f"{name}{SETTLED}"})
    return settled
