"""One module per Slack surface; each has `register(app)`."""

from slack_bolt import App

from bot.handlers import (
    digest_actions,
    escalation,
    help_actions,
    home,
    promise_actions,
    rota_actions,
    rota_command,
    ticket_actions,
    ticket_command,
    timeboxes,
)


def register_all(app: App) -> None:
    """Wire every surface's handlers into the Bolt app.

    Bolt tries listeners in the order they were registered, and trying one costs about as
    much as reading a remembered answer: the commands people use most come first."""
    for module in (
        rota_command,
        ticket_command,
        ticket_actions,
        rota_actions,
        home,
        promise_actions,
        digest_actions,
        escalation,
        timeboxes,
        help_actions,
    ):
        module.register(app)
