"""One module per Slack surface; each has `register(app)`."""

from slack_bolt import App


def register_all(app: App) -> None:
    """Wire every surface's handlers into the Bolt app."""
