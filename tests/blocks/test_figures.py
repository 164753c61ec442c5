"""The per-client table: widths, long names, many clients, hours."""

from __future__ import annotations

from bot.blocks.figures import MAX_CLIENTS, figures_table, figures_text
from bot.blocks.models import ClientFigures


def test_long_names_are_clipped_and_totals_follow() -> None:
    figures = ClientFigures(
        titles=["Opened", "Logged"],
        hours=[False, True],
        rows=[("The Very Long Named Borough Council", [3, 5400 / 3600]), ("Acme", [1, 0.25])],
    )
    assert figures_table(figures) == (
        "```Client                 Opened Logged\n"
        "The Very Long Named B…      3   1.5h\n"
        "Acme                        1   0.2h\n"
        "All clients                 4   1.8h```"
    )


def test_only_the_busiest_clients_are_listed() -> None:
    rows = [(f"Client {n:02}", [float(n)]) for n in range(30, 0, -1)]
    table = figures_table(ClientFigures(titles=["Opened"], hours=[False], rows=rows))
    lines = table.strip("`").split("\n")
    assert len(lines) == 1 + MAX_CLIENTS + 2
    assert lines[-2:] == ["…and 10 more clients", "All clients               465"]


def test_a_quiet_period_says_so() -> None:
    empty = ClientFigures(titles=["Opened"], hours=[False])
    assert figures_text(empty, title="*Last week*") == (
        "*Last week*: nothing happened on any client's tickets."
    )


def test_backticks_in_a_name_cannot_end_the_code_block() -> None:
    figures = ClientFigures(titles=["Opened"], hours=[False], rows=[("a```b", [1.0])])
    assert figures_table(figures).count("```") == 2
