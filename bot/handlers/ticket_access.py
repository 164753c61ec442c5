"""Every listener that shows or acts on a ticket first checks who asked (bot.access)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk.webhook import WebhookClient

from bot.access import asker_of, ticket_refusal
from bot.listeners import after_ack
from bot.services import services_of
from bot.slack.post import post

# What the check needs from Bolt, besides the arguments the listener itself names.
NEEDS = ("body", "context")


def for_ticket_people(work: Callable[..., None]) -> Callable[..., None]:
    """`work` as a lazy listener (see after_ack) run only for people who may see tickets;
    anyone else is told who may, and nothing is done. The check asks Slack: it runs after
    the ack."""
    names = inspect.getfullargspec(work).args

    def checked(**kwargs: Any) -> None:
        body: dict[str, Any] = kwargs["body"]
        context: BoltContext = kwargs["context"]
        services = services_of(context)
        refusal = ticket_refusal(services, asker_of(body))
        if refusal is None:
            work(**{name: kwargs[name] for name in names})
            return
        response_url = body.get("response_url")
        if isinstance(response_url, str):
            WebhookClient(response_url, timeout=5).send(
                text=refusal, response_type="ephemeral", replace_original=False
            )
            return
        asker = asker_of(body)
        if asker is not None:  # a modal or the App Home: the answer goes to their DM
            post(services.slack, channel=asker.user_id, text=refusal)

    # Bolt passes a listener the arguments its signature names.
    checked.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for name in [*names, *(n for n in NEEDS if n not in names)]
        ]
    )
    checked.__name__ = getattr(work, "__name__", "for_ticket_people")
    return after_ack(checked)
