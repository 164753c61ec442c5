"""Parts of a shared message: a click settles its own part and keeps every other item."""

from __future__ import annotations

from bot.blocks.kit import Block, actions, button, context, section
from bot.blocks.parts import holds_others, named_part, settled_part


def item(name: str) -> list[Block]:
    return named_part(name, [section(f"about {name}"), actions(button("Go", action_id="go"))])


def test_a_part_alone_becomes_the_answer() -> None:
    assert settled_part(item("timebox.3"), "timebox.3", "Stopped.") == [section("Stopped.")]


def test_a_part_beside_another_becomes_one_line_and_the_other_keeps_its_buttons() -> None:
    blocks = [context("*2 reminders*, soonest due first:"), *item("timebox.3"), *item("help.12")]
    assert holds_others(blocks, "timebox.3") and holds_others(blocks, "help.12")
    assert settled_part(blocks, "timebox.3", "Stopped.") == [
        context("*2 reminders*, soonest due first:"),
        {**context("Stopped."), "block_id": "timebox.3.settled"},
        *item("help.12"),
    ]


def test_the_last_open_part_keeps_the_lines_of_those_settled_before() -> None:
    blocks = settled_part([*item("promise.1"), *item("promise.12")], "promise.1", "Kept.")
    assert holds_others(blocks, "promise.12") and not holds_others(blocks, "promise.1")
    assert settled_part(blocks, "promise.12", "Moved.") == [
        {**context("Kept."), "block_id": "promise.1.settled"},
        {**context("Moved."), "block_id": "promise.12.settled"},
    ]
