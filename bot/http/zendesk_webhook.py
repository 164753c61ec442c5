"""POST /zendesk/webhook: Zendesk says a ticket changed; Rotabot re-reads it through the API.

The body only names the ticket: its data always comes from the API, so a forged or replayed
body can never write anything. Zendesk gets its answer before the ticket is read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from bot.http.requests import WebRequest, WebResponse
from bot.services import Services
from bot.tickets.refresh import refresh_ticket
from bot.zendesk.client import ZendeskError

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
MAX_CLOCK_SKEW = timedelta(minutes=5)


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, timestamp + body)), as Zendesk signs a webhook."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_is_valid(
    *, secret: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> bool:
    if not timestamp or not signature:
        return False
    try:
        signed_at = datetime.fromisoformat(timestamp)
    except ValueError:
        return False
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=UTC)
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        return False
    return hmac.compare_digest(webhook_signature(secret, timestamp, body), signature)


def ticket_id_of(body: bytes) -> int | None:
    """The ticket named by a trigger body ({"ticket_id": "123"}) or an event (detail.id)."""
    try:
        payload: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    raw = payload.get("ticket_id")
    if raw is None and isinstance(payload.get("detail"), dict):
        raw = payload["detail"].get("id")
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return raw
    if isinstance(raw, str) and raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    return None


class ZendeskWebhook:
    def __init__(self, services: Services) -> None:
        self.services = services

    def __call__(self, request: WebRequest) -> WebResponse:
        secret = self.services.settings.zendesk_webhook_secret
        if secret is None:
            return WebResponse.text(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "ZENDESK_WEBHOOK_SECRET is not set, so Rotabot cannot verify Zendesk's webhooks: "
                "set it to the webhook's signing secret (Zendesk Admin Center → Webhooks).",
            )
        if not signature_is_valid(
            secret=secret,
            timestamp=request.header(TIMESTAMP_HEADER),
            signature=request.header(SIGNATURE_HEADER),
            body=request.body,
            now=self.services.now(),
        ):
            return WebResponse.text(HTTPStatus.UNAUTHORIZED, "invalid or expired signature")
        ticket_id = ticket_id_of(request.body)
        if ticket_id is None:
            return WebResponse.text(
                HTTPStatus.BAD_REQUEST,
                'expected a JSON body naming a ticket, like {"ticket_id": "{{ticket.id}}"}',
            )
        if self.services.zendesk is None:
            return WebResponse.text(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "ZENDESK_URL is not set, so Rotabot cannot read the ticket.",
            )
        self.services.background.submit(refresh_quietly, self.services, ticket_id)
        return WebResponse.json(HTTPStatus.OK, {"ok": True, "ticket_id": ticket_id})


def refresh_quietly(services: Services, ticket_id: int) -> None:
    """Zendesk already has its answer: a failure is logged, and the next sync catches up."""
    try:
        refresh_ticket(services, ticket_id)
    except ZendeskError as error:
        log.warning("webhook: could not refresh ticket %s: %s", ticket_id, error)
    except Exception:  # nobody waits on this thread: the log is the only place to say it
        log.exception("webhook: refreshing ticket %s failed", ticket_id)
