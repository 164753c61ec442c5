"""Reading the text of a /rota command."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rota.commands import COMMANDS
from bot.rota.parse import Command, UsageError, parse_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("show")),
        ("  SHOW 8 ", Command("show", count=8)),
        ("add <@U1> <@U2|bob>  <@U1>", Command("add", ("U1", "U2"))),
        ("swap <@U2> 21 Dec", Command("swap", ("U2",), ("21", "Dec"))),
        ("away tomorrow fri <@W9>", Command("away", ("W9",), ("tomorrow", "fri"))),
        ("lead <@U3> Acme Ltd", Command("lead", ("U3",), ("Acme", "Ltd"))),
        ("ical reset", Command("ical", (), ("reset",))),
    ],
)
def test_parse_command(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("show 0", "`show` takes a number of weeks from 1 to 26"),
        ("show ٣", "`show` takes a number"),
        ("add", "`add` takes one or more people"),
        ("add @alice", "I can't read `@alice` as a person"),
        ("add <#C1|general>", "I can't read `<#C1|general>` as a person"),
        ("remove <@U1> <@U2>", "`remove` takes one person"),
        ("who now", "`who` takes nothing after it."),
        ("ical please", "`ical` takes nothing, or `reset`"),
        ("x" * 500, "I don't know `xxxx"),
    ],
)
def test_parse_command_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_command(text)
    assert str(error.value).startswith(message)
    assert len(str(error.value)) < 300


@given(st.text())
def test_parse_command_never_raises_anything_but_usage_errors(text: str) -> None:
    try:
        command = parse_command(text)
    except UsageError as error:
        assert str(error)
    else:
        # run_command can dispatch every name the parser gives.
        assert command.name in COMMANDS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("group <!subteam^S0614TZR7|@support>", Command("group", words=("S0614TZR7", "support"))),
        ("group <!subteam^S0614TZR7>", Command("group", words=("S0614TZR7", ""))),
        ("group @support", Command("group", words=("support",))),
        ("group OFF", Command("group", words=("off",))),
        ("topic on", Command("topic", words=("on",))),
        ("topic Off", Command("topic", words=("Off",))),
    ],
)
def test_group_and_topic(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("group", "`group` takes a user group picked from Slack's @ menu"),
        ("group @a @b", "`group` takes a user group picked from Slack's @ menu"),
        ("group <#C1>", "I can't read `<#C1>` as a user group."),
        ("topic", "`topic` takes `on` or `off`"),
        ("topic <@U1> on", "`topic` takes `on` or `off`"),
    ],
)
def test_group_and_topic_mistakes(text: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_command(text)
    assert str(raised.value).startswith(message)
