"""The one Zendesk Support API client: API-token auth, retries, and errors as sentences.

Only the endpoints of DESIGN.md §7. Every failure becomes a `ZendeskError` whose message
is a sentence a person can act on.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.settings import Settings
from bot.zendesk.connections import Connections

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Json = dict[str, Any]

# A Retry-After longer than this fails the call; the next sync run (or the person) retries.
MAX_RETRY_AFTER = 60.0
# Rate limits are waited out at most this many times in one call.
MAX_RATE_LIMIT_WAITS = 5
# 5xx answers and connection errors: this many retries, waiting 1, 2, 4 … seconds.
MAX_RETRIES = 3
SHOW_MANY_LIMIT = 100
EXPORT_PAGE_SIZE = 1000


class ZendeskError(Exception):
    """Zendesk could not do what was asked; str() is a sentence for a person."""


class ZendeskNotConfigured(ZendeskError):
    """ZENDESK_URL (and its credentials) are not set."""

    def __init__(self) -> None:
        super().__init__(
            "Zendesk is not connected to Rotabot yet: whoever runs Rotabot needs to set "
            "ZENDESK_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN"
        )


class ZendeskNotFound(ZendeskError):
    """404: the record does not exist (or the token cannot see it)."""


class ZendeskNotAllowed(ZendeskError):
    """401 or 403: the credentials are wrong, or lack the permission."""


class ZendeskBadCredentials(ZendeskNotAllowed):
    """401: the email or API token is wrong (403 means the user lacks a permission)."""


class ZendeskRateLimited(ZendeskError):
    """429 for longer than Rotabot is willing to wait."""


class ZendeskUnavailable(ZendeskError):
    """5xx or no connection, after the retries."""


class ZendeskRejected(ZendeskError):
    """400/422: Zendesk understood the request and refused it (e.g. a closed ticket)."""


@dataclass(frozen=True)
class ExportPage:
    tickets: list[Json]
    users: list[Json]
    organizations: list[Json]
    after_cursor: str | None
    end_of_stream: bool


def _retry_after(response: httpx.Response) -> float:
    raw = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return MAX_RETRY_AFTER


def _description(response: httpx.Response) -> str:
    """Zendesk's own words about a refused request, as one short phrase."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    details = body.get("details")
    if isinstance(details, dict):
        messages = [
            str(item.get("description"))
            for items in details.values()
            if isinstance(items, list)
            for item in items
            if isinstance(item, dict) and item.get("description")
        ]
        if messages:
            return "; ".join(messages)
    for key in ("description", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            return str(value["message"])
    return f"HTTP {response.status_code}"


class ZendeskClient:
    def __init__(
        self,
        *,
        base_url: str,
        email: str,
        token: str,
        timeout: float = 30.0,
        sleep: Sleep = time.sleep,
        export_page_size: int = EXPORT_PAGE_SIZE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.sleep = sleep
        self.export_page_size = export_page_size
        self.timeout = timeout
        self._email, self._token = email, token
        # The API token as a ready-made header: httpx's auth flow, run on every request, costs
        # a sync reading 50k tickets' comments a few seconds of CPU for the same bytes.
        credentials = base64.b64encode(f"{email}/token:{token}".encode()).decode("ascii")
        self.headers = {"Accept": "application/json", "Authorization": f"Basic {credentials}"}
        self.connections = Connections(
            base_url=self.base_url, timeout=timeout, headers=self.headers, transport=transport
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Sleep = time.sleep
    ) -> ZendeskClient | None:
        if (
            settings.zendesk_url is None
            or settings.zendesk_email is None
            or settings.zendesk_api_token is None
        ):
            return None
        return cls(
            base_url=settings.zendesk_url,
            email=settings.zendesk_email,
            token=settings.zendesk_api_token,
            sleep=sleep,
        )

    def spec(self) -> dict[str, Any]:
        """What it takes to make the same client elsewhere (in a worker process)."""
        return {
            "base_url": self.base_url,
            "email": self._email,
            "token": self._token,
            "timeout": self.timeout,
            "export_page_size": self.export_page_size,
        }

    def close(self) -> None:
        self.connections.close()

    def ticket_url(self, ticket_id: int) -> str:
        """The agent's view of a ticket, for links in Slack."""
        return f"{self.base_url}/agent/tickets/{ticket_id}"

    # --- endpoints ---------------------------------------------------------------------------

    def me(self) -> Json:
        return self._object(self._get("/api/v2/users/me.json", what="the API user"), "user")

    def export_tickets(
        self, *, cursor: str | None = None, start_time: int | None = None
    ) -> ExportPage:
        """One page of the cursor-based incremental export, with users and organizations."""
        params: dict[str, str | int] = {
            "per_page": self.export_page_size,
            "include": "users,organizations",
        }
        if cursor is not None:
            params["cursor"] = cursor
        elif start_time is not None:
            params["start_time"] = start_time
        else:
            raise ValueError("the incremental export needs a cursor or a start_time")
        body = self._get(
            "/api/v2/incremental/tickets/cursor.json", params=params, what="the ticket export"
        )
        return ExportPage(
            tickets=self._list(body, "tickets"),
            users=self._list(body, "users"),
            organizations=self._list(body, "organizations"),
            after_cursor=body.get("after_cursor")
            if isinstance(body.get("after_cursor"), str)
            else None,
            end_of_stream=bool(body.get("end_of_stream", True)),
        )

    def ticket(self, ticket_id: int) -> Json:
        body = self._get(f"/api/v2/tickets/{ticket_id}.json", what=f"ticket {ticket_id}")
        return self._object(body, "ticket")

    def comments(self, ticket_id: int) -> list[Json]:
        """Every comment of a ticket, oldest first, following the pages."""
        comments: list[Json] = []
        page = 1
        while True:
            body = self._get(
                f"/api/v2/tickets/{ticket_id}/comments.json",
                params={"page": page, "per_page": 100},
                what=f"the comments of ticket {ticket_id}",
            )
            comments.extend(self._list(body, "comments"))
            if not body.get("next_page"):
                return comments
            page += 1

    def users(self, ids: Iterable[int]) -> list[Json]:
        return self._show_many("/api/v2/users/show_many.json", "users", ids)

    def organizations(self, ids: Iterable[int]) -> list[Json]:
        return self._show_many("/api/v2/organizations/show_many.json", "organizations", ids)

    def user_by_email(self, email: str) -> Json | None:
        """The Zendesk user with this email (None: nobody has it)."""
        body = self._get(
            "/api/v2/users/search.json",
            params={"query": f"email:{email}"},
            what="the user search",
        )
        wanted = email.strip().lower()
        found = [u for u in self._list(body, "users") if str(u.get("email", "")).lower() == wanted]
        return found[0] if found else None

    def groups(self) -> list[Json]:
        """Every group of agents, following the pages."""
        groups: list[Json] = []
        page = 1
        while True:
            body = self._get(
                "/api/v2/groups.json", params={"page": page, "per_page": 100}, what="the groups"
            )
            groups.extend(self._list(body, "groups"))
            if not body.get("next_page"):
                return groups
            page += 1

    def update_ticket(self, ticket_id: int, changes: Json) -> Json:
        body = self._request(
            "PUT",
            f"/api/v2/tickets/{ticket_id}.json",
            json={"ticket": changes},
            what=f"ticket {ticket_id}",
        )
        return self._object(body, "ticket")

    def search_tickets(self, *, updated_after: datetime, page: int) -> tuple[list[Json], bool]:
        """One page of tickets updated after a time, oldest first, through the Search API.

        The fallback for agent tokens, which may not use the incremental export.
        Returns the tickets and whether another page follows.
        """
        stamp = updated_after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = self._get(
            "/api/v2/search.json",
            params={
                "query": f"type:ticket updated>{stamp}",
                "sort_by": "updated_at",
                "sort_order": "asc",
                "page": page,
            },
            what="the ticket search",
        )
        results = self._list(body, "results")
        tickets = [result for result in results if result.get("result_type") == "ticket"]
        return tickets, bool(body.get("next_page"))

    # --- plumbing ----------------------------------------------------------------------------

    def _show_many(self, path: str, key: str, ids: Iterable[int]) -> list[Json]:
        wanted = sorted(set(ids))
        found: list[Json] = []
        for start in range(0, len(wanted), SHOW_MANY_LIMIT):
            chunk = wanted[start : start + SHOW_MANY_LIMIT]
            body = self._get(path, params={"ids": ",".join(map(str, chunk))}, what=f"some {key}")
            found.extend(self._list(body, key))
        return found

    @staticmethod
    def _list(body: Json, key: str) -> list[Json]:
        value = body.get(key)
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

    @staticmethod
    def _object(body: Json, key: str) -> Json:
        value = body.get(key)
        if not isinstance(value, dict):
            raise ZendeskUnavailable(
                f"Zendesk answered without a {key}; try again in a few minutes"
            )
        return value

    def _get(self, path: str, *, what: str, params: dict[str, Any] | None = None) -> Json:
        return self._request("GET", path, params=params, what=what)

    def _request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        json: Json | None = None,
    ) -> Json:
        failures = 0
        rate_limited = 0
        while True:
            try:
                # The query is encoded here once: cheaper than httpx merging params each time.
                url = f"{path}?{urlencode(params)}" if params else path
                with self.connections.client() as client:
                    response = client.request(method, url, json=json)
            except httpx.TransportError as error:
                failures += 1
                if failures > MAX_RETRIES:
                    raise ZendeskUnavailable(
                        f"Zendesk is not answering ({type(error).__name__}); "
                        "try again in a few minutes"
                    ) from error
                self._back_off(failures, f"{method} {path}: {error!r}")
                continue
            status = response.status_code
            if status == 429:
                wait = _retry_after(response)
                rate_limited += 1
                if wait > MAX_RETRY_AFTER or rate_limited > MAX_RATE_LIMIT_WAITS:
                    raise ZendeskRateLimited(
                        f"Zendesk is rate-limiting Rotabot (asked to wait {wait:.0f} s); "
                        "try again in a minute"
                    )
                log.info("Zendesk rate limit on %s %s: waiting %.0f s", method, path, wait)
                self.sleep(wait)
                continue
            if status >= 500:
                failures += 1
                if failures > MAX_RETRIES:
                    raise ZendeskUnavailable(
                        f"Zendesk is not answering (HTTP {status}); try again in a few minutes"
                    )
                self._back_off(failures, f"{method} {path}: HTTP {status}")
                continue
            return self._answer(response, what, changing=method != "GET")

    def _back_off(self, failures: int, why: str) -> None:
        wait = float(2 ** (failures - 1))
        log.warning("Zendesk call failed (%s); retrying in %.0f s", why, wait)
        self.sleep(wait)

    def _answer(self, response: httpx.Response, what: str, *, changing: bool) -> Json:
        status = response.status_code
        if status == 404:
            raise ZendeskNotFound(f"Zendesk says {what} does not exist")
        if status == 401:
            raise ZendeskBadCredentials(
                "Zendesk refused Rotabot's credentials (401): "
                "check ZENDESK_EMAIL and ZENDESK_API_TOKEN"
            )
        if status == 403:
            raise ZendeskNotAllowed(
                f"Zendesk does not allow Rotabot's user to read or change {what} (403)"
            )
        if status >= 400:
            request = "change" if changing else "request"
            raise ZendeskRejected(f"Zendesk refused the {request}: {_description(response)}")
        try:
            body = response.json()
        except ValueError:
            raise ZendeskUnavailable(
                f"Zendesk answered HTTP {status} without JSON; try again in a few minutes"
            ) from None
        if not isinstance(body, dict):
            raise ZendeskUnavailable("Zendesk answered with an unexpected shape")
        return body
