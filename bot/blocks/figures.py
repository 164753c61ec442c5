"""The per-client figures as a fixed-width table, for the weekly summary and `/rota stats
clients`."""

from __future__ import annotations

from bot.blocks.kit import Block, section
from bot.blocks.models import ClientFigures

MAX_CLIENTS = 20
NAME_WIDTH = 22


def _cell(value: float, hours: bool) -> str:
    if hours:
        return f"{value:.1f}h"
    return f"{value:,.0f}"


def figures_table(figures: ClientFigures) -> str:
    """A code block: one line per client (the busiest first), then the totals."""
    widths = [max(len(title), 5) for title in figures.titles]
    head = "Client".ljust(NAME_WIDTH) + "".join(
        f" {title:>{width}}" for title, width in zip(figures.titles, widths, strict=True)
    )

    def line(name: str, values: list[float]) -> str:
        clipped = name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"
        cells = zip(values, figures.hours, widths, strict=True)
        return clipped.ljust(NAME_WIDTH) + "".join(
            f" {_cell(value, hours):>{width}}" for value, hours, width in cells
        )

    shown = figures.rows[:MAX_CLIENTS]
    lines = [head, *(line(name, values) for name, values in shown)]
    rest = len(figures.rows) - len(shown)
    if rest > 0:
        lines.append(f"…and {rest} more client{'s' if rest != 1 else ''}")
    totals = [sum(values[i] for _, values in figures.rows) for i in range(len(figures.titles))]
    lines.append(line("All clients", totals))
    # Mentions and links are not formatted inside a code block: names show as written.
    return "```" + "\n".join(lines).replace("```", "'''") + "```"


def figures_text(figures: ClientFigures, *, title: str) -> str:
    if not figures.rows:
        return f"{title}: nothing happened on any client's tickets."
    return (
        f"{title}: tickets opened and solved, our public replies, promises kept and missed, "
        "escalations"
        + (", chargeable tickets" if "Chargeable" in figures.titles else "")
        + (", hours in time-boxes" if "Time-box hours" in figures.titles else "")
        + (", time logged in Zendesk" if "Logged" in figures.titles else "")
        + ".\n"
        + figures_table(figures)
    )


def figures_section(figures: ClientFigures, *, title: str) -> list[Block]:
    return [section(figures_text(figures, title=title))]
