"""Listeners that ack first and work after (Bolt's lazy listeners), and what their failures do."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.services import services_of
from bot.store.slack_events import forget_slack_event

log = logging.getLogger(__name__)

SORRY = (
    ":warning: Sorry, something went wrong on Rotabot's side, so that may not have finished. "
    "Please check, then try again in a minute; if it keeps happening, tell whoever runs Rotabot."
)

# What a lazy listener needs, besides its own arguments, to report its failure.
FOR_REPORTING = ("body", "client", "context")


def acknowledge(ack: Ack) -> None:
    """The ack of a listener whose work all runs after it."""
    ack()


def after_ack(work: Callable[..., None]) -> Callable[..., None]:
    """`work` as a lazy listener that reports its failure the way a failing ack does.

    Bolt runs a lazy listener on the App's listener_executor once the ack has been sent, and
    only logs what it raises; the person would never hear of it.
    """
    names = inspect.getfullargspec(work).args

    def reported(**kwargs: Any) -> None:
        try:
            work(**{name: kwargs[name] for name in names})
        except Exception as error:
            report_failure(error, kwargs["body"], kwargs["client"], kwargs["context"])

    # Bolt passes a listener the arguments its signature names.
    reported.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for name in [*names, *(n for n in FOR_REPORTING if n not in names)]
        ]
    )
    reported.__name__ = getattr(work, "__name__", "after_ack")
    return reported


def report_failure(
    error: Exception, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Log the error and tell the person in Slack; a failed event is left for Slack's retry."""
    log.error("error handling a Slack request: %s", error, exc_info=error)
    if body.get("type") == "event_callback" and isinstance(body.get("event_id"), str):
        # Let Slack's retry of this event run again rather than be skipped as a duplicate.
        services = services_of(context)
        with services.session() as session:
            forget_slack_event(session=session, event_id=body["event_id"])
    response_url = body.get("response_url")
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    try:
        if isinstance(response_url, str):
            WebhookClient(response_url, timeout=5).send(text=SORRY, response_type="ephemeral")
        elif isinstance(user, str) and body.get("type") != "event_callback":
            client.chat_postMessage(channel=user, text=SORRY)
    except Exception as send_error:  # the person may miss the apology, but the log has it
        log.warning("could not tell the person about the error: %s", send_error)
