"""The HTTP side: a small WSGI app that routes to Bolt and to Rotabot's own endpoints.

Served by waitress (a production, multi-threaded WSGI server) in `rotabot serve`
and `rotabot run`, and by the tests over real HTTP.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.http import ical_feed as ical
from bot.http.requests import Route, Router, WebRequest, WebResponse
from bot.http.zendesk_webhook import ZendeskWebhook
from bot.services import Services
from bot.store.db import check_database

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000


def looks_like_slack(body: bytes, content_type: str) -> bool:
    """True for the payload shapes Slack sends: events JSON, commands and interactivity forms."""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if content_type.startswith("application/json"):
        try:
            payload = json.loads(decoded)
        except ValueError:
            return False
        return isinstance(payload, dict) and isinstance(payload.get("type"), str)
    form = parse_qs(decoded)
    if "command" in form or "ssl_check" in form:
        return True
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            return False
        return isinstance(payload, dict) and isinstance(payload.get("type"), str)
    return False


class SlackEndpoint:
    """POST /slack/events: verify the signature, check the shape, then hand to Bolt."""

    def __init__(self, bolt: App, signing_secret: str) -> None:
        self.bolt = bolt
        self.verifier = SignatureVerifier(signing_secret)

    def __call__(self, request: WebRequest) -> WebResponse:
        if not self.verifier.is_valid_request(request.body, request.headers):
            return WebResponse.text(HTTPStatus.UNAUTHORIZED, "invalid or expired signature")
        if not looks_like_slack(request.body, request.header("content-type") or ""):
            return WebResponse.text(HTTPStatus.BAD_REQUEST, "not a Slack request")
        bolt_request = BoltRequest(
            body=request.body.decode("utf-8"),
            query=request.query,
            headers={name: [value] for name, value in request.headers.items()},
        )
        response = self.bolt.dispatch(bolt_request)
        headers = {name: ", ".join(values) for name, values in response.headers.items()}
        return WebResponse(response.status, response.body, headers)


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
        return WebResponse.json(HTTPStatus.OK, {"ok": True, "database": "ok"})

    return route


class WsgiApp:
    def __init__(self, router: Router) -> None:
        self.router = router

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self.handle(environ)
        body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
        status = HTTPStatus(response.status)
        headers = [*response.headers.items(), ("Content-Length", str(len(body)))]
        start_response(f"{status.value} {status.phrase}", headers)
        return [body]

    def handle(self, environ: WSGIEnvironment) -> WebResponse:
        method = environ.get("REQUEST_METHOD", "GET")
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


def build_router(
    services: Services, bolt: App, *, feed_slots: threading.Semaphore | None = None
) -> Router:
    """`feed_slots`: how many calendar feeds may be served at once (ical.FEED_SLOTS)."""
    router = Router()
    router.add("GET", "/healthz", healthz(services))
    router.add("GET", ical.ROUTE, ical.ical_feed(services, feed_slots))
    secret = services.settings.slack_signing_secret
    router.add("POST", "/slack/events", SlackEndpoint(bolt, secret) if secret else socket_mode_only)
    router.add("POST", "/zendesk/webhook", ZendeskWebhook(services))
    return router
