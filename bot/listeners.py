"""Listeners that ack first and work after (Bolt's lazy listeners), and what their failures do."""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.services import SERVICES_KEY, Services, services_of
from bot.slack.post import post
from bot.slack.responses import message_of
from bot.store.changes import carrying_counts
from bot.store.slack_events import forget_slack_event

log = logging.getLogger(__name__)

SORRY = (
    ":warning: Sorry, something went wrong on Rotabot's side, so that may not have finished. "
    "Please check, then try again in a minute; if it keeps happening, tell whoever runs Rotabot."
)

WORKING = "Working on it…"

# Whether a request's work is quick (acked_then), from its body and context.
Quick = Callable[[dict[str, Any], BoltContext], bool]

# What a lazy listener needs, besides its own arguments, to report its failure.
FOR_REPORTING = ("body", "client", "context")
# What a command's one listener is given, for whichever way it answers (see asking_for).
ARGUMENTS = ("ack", "command", "body", "respond", "context", "client")

# Slack waits 3 s for an ack; an ack function still busy after this many is acked for it.
ACK_BUDGET = 2.5
# Where the app puts its ack budget (tests shorten it), and where a late ack is found.
ACK_BUDGET_KEY = "rotabot_ack_budget"
LATE_KEY = "rotabot_late_ack"


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
        late: LateAck | None = kwargs["context"].get(LATE_KEY)
        if late is not None and not late.finished_in(kwargs["context"]):
            return  # the ack function failed after its budget, and that has been reported
        try:
            with services_of(kwargs["context"]).turns.taking():
                work(**{name: kwargs[name] for name in names})
        except Exception as error:
            report_failure(error, kwargs["body"], kwargs["client"], kwargs["context"])

    return asking_for(reported, [*names, *(n for n in FOR_REPORTING if n not in names)], work)


def acked_then(listener: Callable[..., None], *, quick: Quick | None = None) -> Callable[..., None]:
    """An ack function that acks at once, then hands `listener` (an `after_ack` listener)
    the request's own arguments on the work pool: a lazy listener, without Bolt's copy.

    For a lazy listener Bolt parses the raw request again and deep-copies all of it (a click's
    body holds the whole message it was clicked on, a card's every block): about a tenth of a
    card click's CPU. Nothing changes the request once its ack function has returned, so the
    work can share it.

    `quick`: whether this request's work asks only the database and Slack (never Zendesk),
    decided from its body as it is acked; such work the web thread may run once the ack is
    sent, when it can (bot.after_answer.AfterAnswer).
    """
    names = [name for name in inspect.signature(listener).parameters if name != "ack"]
    asked = [*names, *(name for name in ("body", "context") if name not in names)]

    def ack_function(**kwargs: Any) -> None:
        kwargs["ack"]()
        given = {name: kwargs[name] for name in names}
        # The change counts read with the request serve the work too (bot.store.changes).
        work = carrying_counts(lambda: listener(**given))
        services = services_of(kwargs["context"])
        if not (
            quick is not None
            and services.after_answer.answering_here()
            and is_quick(quick, kwargs["body"], kwargs["context"])
            and services.after_answer.offer(work)
        ):
            services.executor.submit(work)

    return asking_for(ack_function, ["ack", *asked], listener)


def is_quick(quick: Quick, body: dict[str, Any], context: BoltContext) -> bool:
    """`quick`'s answer; False if it could not tell (the work pool takes any work)."""
    try:
        return quick(body, context)
    except Exception as error:
        log.warning("could not tell whether work is quick, so it goes to the pool: %s", error)
        return False


def asking_for(
    listener: Callable[..., Any], names: list[str], like: Callable[..., Any]
) -> Callable[..., Any]:
    """`listener`, named like `like`, with a signature naming `names`: Bolt passes a listener
    the arguments its signature names."""
    listener.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in names]
    )
    listener.__name__ = getattr(like, "__name__", "listener")
    return listener


class HeldAck(Ack):
    """The ack an ack function is given on another thread: kept until the request decides."""

    def __init__(self) -> None:
        super().__init__()
        self.call: tuple[tuple[Any, ...], dict[str, Any]] | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        self.call = (args, kwargs)
        return super().__call__(*args, **kwargs)


class LateAck:
    """An ack function that outlived its budget: the lazy listeners wait for it to finish."""

    def __init__(self, context: BoltContext, before: set[str]) -> None:
        self.context = context
        self.before = before
        self.done = threading.Event()
        self.failed = False

    def __deepcopy__(self, memo: dict[int, Any]) -> LateAck:
        # Bolt deep-copies the context for each lazy listener; they must share this one.
        return self

    def finished_in(self, context: BoltContext) -> bool:
        """Wait for the ack function; copy what it left for the lazy listeners into `context`.
        False when it failed."""
        self.done.wait()
        if self.failed:
            return False
        for key, value in self.context.items():
            if key not in self.before:
                context[key] = value
        return True


def within_budget(ack_function: Callable[..., None]) -> Callable[..., None]:
    """`ack_function` on a worker thread, with the request waiting for it a limited time.

    Bolt runs an ack function before it answers Slack, and Slack gives up after 3 s. One
    still busy after the app's budget is acked with "Working on it…"; its own answer then
    follows through the response_url (a modal's errors, by DM), its failure as the apology.
    """
    names = inspect.getfullargspec(ack_function).args

    def timed(**kwargs: Any) -> None:
        ack: Ack = kwargs["ack"]
        context: BoltContext = kwargs["context"]
        body: dict[str, Any] = kwargs["body"]
        # The ack function writes into its own copy, so Bolt can copy the real one meanwhile.
        own = BoltContext(dict(context))
        held = HeldAck()
        lock = threading.Lock()
        finished = threading.Event()
        outcome: dict[str, Any] = {}
        late: list[LateAck] = []

        def run() -> None:
            try:
                given = {"ack": held, "context": own}
                with services_of(context).turns.taking():
                    ack_function(**{name: given.get(name, kwargs[name]) for name in names})
            except Exception as error:
                outcome["error"] = error
            with lock:
                finished.set()
                if late:
                    answer_late(late[0], held, outcome.get("error"), body, kwargs["client"])

        services_of(context).executor.submit(carrying_counts(run))
        finished.wait(float(context.get(ACK_BUDGET_KEY, ACK_BUDGET)))
        with lock:
            if finished.is_set():
                if "error" in outcome:
                    raise outcome["error"]
                for key, value in own.items():
                    if key not in context:
                        context[key] = value
                if held.call is not None:
                    ack(*held.call[0], **held.call[1])
                return
            late.append(LateAck(own, set(context)))
            context[LATE_KEY] = late[0]
            if held.call is not None:
                ack(*held.call[0], **held.call[1])
                held.call = None
            elif body.get("type") == "view_submission":
                ack()
            else:
                ack(text=WORKING, response_type="ephemeral")

    return asking_for(
        timed, [*names, *(n for n in ("ack", *FOR_REPORTING) if n not in names)], ack_function
    )


def answer_late(
    late: LateAck,
    held: HeldAck,
    error: Exception | None,
    body: dict[str, Any],
    client: WebClient,
) -> None:
    """Deliver what a late ack function said (or the apology for its failure)."""
    try:
        if error is not None:
            late.failed = True
            report_failure(error, body, client, late.context)
        elif held.call is not None and held.response is not None and held.response.body:
            deliver_ack(json.loads(held.response.body), body, client, late.context)
    except Exception as failure:  # the lazy listeners must not wait forever
        log.error("could not deliver a late answer: %s", failure, exc_info=failure)
    finally:
        late.done.set()


def deliver_ack(
    answer: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """An ack's message through the response_url; a modal's errors, by DM."""
    response_url = body.get("response_url")
    user = (body.get("user") or {}).get("id")
    if answer.get("response_action") == "errors" and isinstance(user, str):
        for error in (answer.get("errors") or {}).values():
            post(client, channel=user, text=str(error))
    elif isinstance(response_url, str) and ("text" in answer or "blocks" in answer):
        post_to_response_url(
            context,
            response_url,
            message_of(
                text=answer.get("text") or "",
                blocks=answer.get("blocks"),
                response_type=answer.get("response_type") or "ephemeral",
            ),
        )


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
            post_to_response_url(
                context, response_url, message_of(text=SORRY, response_type="ephemeral")
            )
        elif isinstance(user, str) and body.get("type") != "event_callback":
            post(client, channel=user, text=SORRY)
    except Exception as send_error:  # the person may miss the apology, but the log has it
        log.warning("could not tell the person about the error: %s", send_error)


def post_to_response_url(context: BoltContext, url: str, message: dict[str, Any]) -> None:
    """Through the process's kept connections; before the services are in the context (an
    error that early), through slack_sdk's WebhookClient."""
    services = context.get(SERVICES_KEY)
    if isinstance(services, Services):
        services.responses.post(url, message)
    else:
        WebhookClient(url, timeout=5).send_dict(message)
