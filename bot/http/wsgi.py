"""The HTTP side: a small WSGI app that routes to Bolt and to Rotabot's own endpoints.

Served by waitress (a production, multi-threaded WSGI server) in `rotabot serve`
and `rotabot run`, and by the tests over real HTTP.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.exc import DBAPIError

from bot.after_answer import AfterAnswer
from bot.http import ical_feed as ical
from bot.http.requests import Route, Router, WebRequest, WebResponse
from bot.http.slack_shapes import slack_payload
from bot.http.zendesk_webhook import ZendeskWebhook
from bot.services import Services
from bot.store.changes import one_request, read_with_request
from bot.store.db import check_database, door_engine
from bot.store.slack_requests import (
    check_writable,
    forget_slack_requests,
    is_lock_wait,
    remember_slack_request,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

# The web server's threads: every one may be in the request door at once. Its work is short
# (an ack function has a budget; what follows an ack runs on the work pool), so more threads
# add nothing but turns at the one GIL of the process: at fifty requests at once, 16 threads
# let answers from memory wait behind each other's turns (a mirrored `/ticket`'s p99 368 ms
# against 80 ms with 8, paired on one PostgreSQL database; bare Bolt's ack p99 57 against 46
# ms), while the merged reads of tickets Zendesk must give got no slower. They also run quick
# work after their answers, and while such work is held up the server has a thread more for
# each such (bot.after_answer.AfterAnswer).
HTTP_THREADS = 8

MAX_BODY = 1_000_000

# Slack refuses a signature more than five minutes from its timestamp, and so do we.
SIGNATURE_WINDOW = timedelta(minutes=5)

JSON = "application/json"

# Whether a request with this signature, signed then, is seen for the first time.
FirstTime = Callable[[str, datetime], bool]


class SlackEndpoint:
    """POST /slack/events: verify the signature, check the shape, refuse replays, then Bolt."""

    def __init__(self, bolt: App, signing_secret: str, *, first_time: FirstTime) -> None:
        self.bolt = bolt
        self.verifier = SignatureVerifier(signing_secret)
        self.first_time = first_time

    def __call__(self, request: WebRequest) -> WebResponse:
        # Change counts read by the door (with the request, in one statement) serve this
        # request's remembered answers in this thread, and no other request's.
        with one_request():
            return self.handle(request)

    def handle(self, request: WebRequest) -> WebResponse:
        signed_at = self.signed_at(request)
        if signed_at is None:
            return WebResponse.text(HTTPStatus.UNAUTHORIZED, "invalid or expired signature")
        payload = slack_payload(request.body, request.header("content-type") or "")
        if payload is None:
            return WebResponse.text(HTTPStatus.BAD_REQUEST, "not a Slack request")
        if "ssl_check" in payload:
            # Slack checking the certificate, signed: answered here. Bolt's own answer checks
            # the deprecated verification token when SLACK_VERIFICATION_TOKEN is set, and
            # refuses the request when the token matches.
            return WebResponse(HTTPStatus.OK)
        # Slack's own retry of an event: its event id decides (bot.app), not its signature.
        retry = request.header("x-slack-retry-num") and payload.get("type") == "event_callback"
        signature = request.header("x-slack-signature") or ""
        if not retry and not self.first_time(signature, signed_at):
            log.info("acknowledged a replayed Slack request without handling it again")
            return WebResponse(HTTPStatus.OK)
        sent: dict[str, str | Sequence[str]] = {**request.headers, "content-type": JSON}
        bolt_request = BoltRequest(
            body=bolt_body(request, payload), query=request.query, headers=sent
        )
        response = self.bolt.dispatch(bolt_request)
        headers = {name: ", ".join(values) for name, values in response.headers.items()}
        return WebResponse(response.status, response.body, headers)

    def signed_at(self, request: WebRequest) -> datetime | None:
        """When Slack signed the request, if the signature is Slack's and recent; else None."""
        stamp = request.header("x-slack-request-timestamp") or ""
        signature = request.header("x-slack-signature") or ""
        # Malformed headers and bodies are a forgery like any other, not an error of ours.
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
            return None
        if not signature.isascii():
            return None
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if not self.verifier.is_valid(body, stamp, signature):
            return None
        return datetime.fromtimestamp(int(stamp), UTC)


def bolt_body(request: WebRequest, payload: dict[str, Any]) -> str:
    """What Bolt is handed: the payload the door parsed, as JSON (Slack's JSON bodies as sent).

    Bolt would parse a form body again, and its parser takes any body with the word "payload"
    in it for an interaction: a command typed as `/ticket promise 101 send the payload spec`,
    or typed in a channel named #payload-team, reached Bolt empty and was answered 404. Parsed
    once, here, a command keeps its words, and a click's form-encoded message is not decoded
    twice.
    """
    if (request.header("content-type") or "").startswith(JSON):
        return request.body.decode("utf-8")
    return json.dumps(payload)


def remembered_signatures(services: Services) -> FirstTime:
    """Signatures already handled: in PostgreSQL, so that every web process knows a replay;
    with SQLite, which serves one process only, in that process's memory."""
    if services.engine.dialect.name == "sqlite":
        return RecentSignatures().first_time
    forgetting = Forgetting(services)
    door = door_engine(services.engine, connections=HTTP_THREADS)

    def first_time(signature: str, signed_at: datetime) -> bool:
        try:
            first = remember_slack_request(door, signature=signature, signed_at=signed_at)
        except DBAPIError as error:
            # Busy or read-only (see /healthz): better handled once more than not at all.
            log.warning("could not check a Slack request for a replay, so handling it: %s", error)
            return True
        forgetting.after(signed_at)
        if first is not None and first.counts is not None:
            read_with_request(first.counts)
        return first is not None

    return first_time


class Forgetting:
    """Forgets the requests no signature window can accept any more, now and then.

    Not at every request: one DELETE a minute per process instead of one per request, so
    requests remembered together do not queue for the same old rows' locks.
    """

    EVERY = timedelta(minutes=1)

    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()
        self._last: datetime | None = None  # the cutoff last forgotten before

    def after(self, signed_at: datetime) -> None:
        # A request signed two windows before this one can never be valid again.
        cutoff = signed_at - 2 * SIGNATURE_WINDOW
        if self._last is not None and cutoff < self._last + self.EVERY:
            return
        if not self._lock.acquire(blocking=False):
            return  # another request of this process is forgetting them
        try:
            if self._last is not None and cutoff < self._last + self.EVERY:
                return
            forget_slack_requests(self.services.engine, before=cutoff)
            self._last = cutoff
        except DBAPIError as error:
            # Old rows stay a little longer: nothing a replay could use.
            log.warning("could not forget old Slack requests; will try again: %s", error)
        finally:
            self._lock.release()


class RecentSignatures:
    """The signatures of the last two signature windows, in memory (one process's door)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # In the order seen, which is the order Slack signed them in, give or take a moment.
        self._seen: OrderedDict[str, datetime] = OrderedDict()

    def first_time(self, signature: str, signed_at: datetime) -> bool:
        with self._lock:
            if signature in self._seen:
                return False
            oldest = signed_at - 2 * SIGNATURE_WINDOW
            while self._seen and next(iter(self._seen.values())) < oldest:
                self._seen.popitem(last=False)
            self._seen[signature] = signed_at
            return True


def socket_mode_only(_request: WebRequest) -> WebResponse:
    """Without a signing secret nothing over HTTP can be verified: Slack uses Socket Mode."""
    return WebResponse.text(
        HTTPStatus.NOT_FOUND,
        "Slack requests arrive over Socket Mode here; set SLACK_SIGNING_SECRET to accept them "
        "over HTTP.",
    )


def healthz(services: Services) -> Route:
    def route(_request: WebRequest) -> WebResponse:
        try:
            check_database(services.engine)
        except Exception as error:  # any driver error means "not healthy", never a 500
            log.warning("health check: database unreachable: %s", error)
            return WebResponse.json(
                HTTPStatus.SERVICE_UNAVAILABLE, {"ok": False, "database": "unreachable"}
            )
        try:
            check_writable(services.engine, now=services.now())
        except Exception as error:  # the web process could read but remember nothing
            if isinstance(error, DBAPIError) and is_lock_wait(error):
                # Someone else is writing, which takes a writable database.
                return WebResponse.json(HTTPStatus.OK, {"ok": True, "database": "busy"})
            log.warning("health check: database does not take writes: %s", error)
            return WebResponse.json(
                HTTPStatus.SERVICE_UNAVAILABLE, {"ok": False, "database": "read-only"}
            )
        return WebResponse.json(HTTPStatus.OK, {"ok": True, "database": "ok"})

    return route


class WsgiApp:
    """`after_answer`: where listeners leave quick work for the web thread to run once the
    answer is sent (None: none is taken, as by bare Bolt's benchmark server)."""

    def __init__(self, router: Router, *, after_answer: AfterAnswer | None = None) -> None:
        self.router = router
        self.after_answer = after_answer

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.after_answer is None:
            status, headers, chunks = self.answer(environ)
            start_response(status, headers)
            return chunks
        with self.after_answer.answering() as left:
            try:
                status, headers, chunks = self.answer(environ)
                if not left:
                    start_response(status, headers)
                    return chunks
                # Written now, headers and all, even with an empty body (which a server sends
                # only once the app is done): the work left waits for the answer, not the
                # other way.
                write = start_response(status, headers)
                for chunk in chunks:
                    write(chunk)
            except BaseException:
                # The person may not see the answer; the work left is done all the same.
                self.after_answer.run(left)
                raise
        return ThenRun(partial(self.after_answer.run, left))

    def answer(self, environ: WSGIEnvironment) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        """The answer's status line, headers and body."""
        method = environ.get("REQUEST_METHOD", "GET")
        # HEAD is GET without the body: a body after a HEAD answer would be read by the
        # client as the start of the next answer on a kept-alive connection.
        response = self.handle(environ, "GET" if method == "HEAD" else method)
        body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
        status = HTTPStatus(response.status)
        headers = [*response.headers.items(), ("Content-Length", str(len(body)))]
        return f"{status.value} {status.phrase}", headers, [b""] if method == "HEAD" else [body]

    def handle(self, environ: WSGIEnvironment, method: str) -> WebResponse:
        path = environ.get("PATH_INFO", "/")
        route, params, other_method = self.router.resolve(method, path)
        if route is None:
            if other_method:
                return WebResponse.text(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed")
            return WebResponse.text(HTTPStatus.NOT_FOUND, "not found")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return WebResponse.text(HTTPStatus.BAD_REQUEST, "bad Content-Length")
        if length > MAX_BODY:
            return WebResponse.text(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request too large")
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if "CONTENT_TYPE" in environ:
            headers["content-type"] = environ["CONTENT_TYPE"]
        request = WebRequest(method, path, environ.get("QUERY_STRING", ""), headers, body, params)
        try:
            return route(request)
        except Exception:
            log.exception("unhandled error serving %s %s", method, path)
            return WebResponse.text(
                HTTPStatus.INTERNAL_SERVER_ERROR, "internal error; see the Rotabot log"
            )


class ThenRun:
    """The rest of a WSGI answer already written (nothing), whose close() runs `then`. The
    server calls close() on the web thread that gave the answer, once it is done with it (PEP
    3333): the answer was written through start_response's `write`, which returns once the
    bytes are sent or handed to the server's main loop to send."""

    def __init__(self, then: Callable[[], None]) -> None:
        self.then = then

    def __iter__(self) -> Iterator[bytes]:
        return iter(())

    def close(self) -> None:
        self.then()


def build_router(
    services: Services, bolt: App, *, feed_slots: threading.Semaphore | None = None
) -> Router:
    """`feed_slots`: how many calendar feeds may be served at once (ical.FEED_SLOTS)."""
    router = Router()
    router.add("GET", "/healthz", healthz(services))
    router.add("GET", ical.ROUTE, ical.ical_feed(services, feed_slots))
    secret = services.settings.slack_signing_secret
    if secret:
        endpoint = SlackEndpoint(bolt, secret, first_time=remembered_signatures(services))
        router.add("POST", "/slack/events", endpoint)
    else:
        router.add("POST", "/slack/events", socket_mode_only)
    router.add("POST", "/zendesk/webhook", ZendeskWebhook(services))
    return router
