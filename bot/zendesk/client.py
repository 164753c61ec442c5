"""The one Zendesk Support API client: API-token auth, retries, and errors as sentences.

Only the endpoints of DESIGN.md §7. Every failure becomes a `ZendeskError` whose message
is a sentence a person can act on.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.settings import Settings
from bot.zendesk.call_terms import CallTerms
from bot.zendesk.coalesce import Coalescer
from bot.zendesk.comment_reads import CommentReads
from bot.zendesk.connections import TRANSPORT_ERRORS, Connections, Reply
from bot.zendesk.errors import (
    ZendeskBadCredentials,
    ZendeskError,
    ZendeskNotAllowed,
    ZendeskNotConfigured,
    ZendeskNotFound,
    ZendeskPageTooBig,
    ZendeskRateLimited,
    ZendeskRejected,
    ZendeskUnavailable,
    answer_body,
    items_in,
    object_in,
)
from bot.zendesk.limiter import Limiter, OutOfTime
from bot.zendesk.pages import EventsPage, ExportPage, SearchPage

# The errors are the client's, raised by its calls; callers import them from here.
__all__ = [
    "EventsPage",
    "ExportPage",
    "SearchPage",
    "ZendeskBadCredentials",
    "ZendeskClient",
    "ZendeskError",
    "ZendeskNotAllowed",
    "ZendeskNotConfigured",
    "ZendeskNotFound",
    "ZendeskPageTooBig",
    "ZendeskRateLimited",
    "ZendeskRejected",
    "ZendeskUnavailable",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Json = dict[str, Any]

# A call with no deadline of its own (a webhook, a card) waits this long for the budget at most.
PATIENCE = 60.0
# 5xx answers and connection errors: this many retries, waiting 1, 2, 4 … seconds.
MAX_RETRIES = 3
SHOW_MANY_LIMIT = 100
EXPORT_PAGE_SIZE = 1000
EXPORT_PREFIX = "/api/v2/incremental/"


def _retry_after(response: Reply) -> float:
    raw = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return PATIENCE


class ZendeskClient(CallTerms):
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
        limiter: Limiter | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter or Limiter(
            requests_per_minute=100, exports_per_minute=10, sleep=sleep
        )
        self.sleep = self.limiter.sleep
        self.export_page_size = export_page_size
        # Each thread's terms for its calls: its deadline (the sync's next run), if any.
        super().__init__()
        # Webhooks' and cards' ticket reads, merged while one is in flight.
        self.ticket_reads: Coalescer[Any] = Coalescer(batch=SHOW_MANY_LIMIT)
        self.timeout = timeout
        # Tickets read with their comments, several tickets' comments at once.
        self.comment_reads = CommentReads(self)
        # The API token as a ready-made header: httpx's auth flow, run on every request, costs
        # a sync reading 50k tickets' comments a few seconds of CPU for the same bytes.
        credentials = base64.b64encode(f"{email}/token:{token}".encode()).decode("ascii")
        self.headers = {
            "Accept": "application/json",
            "Authorization": f"Basic {credentials}",
            "User-Agent": "rotabot",
        }
        self.connections = Connections(
            base_url=self.base_url, timeout=timeout, headers=self.headers, transport=transport
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.time,
        limiter: Limiter | None = None,
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
            export_page_size=settings.zendesk_page_size,
            limiter=limiter
            or Limiter(
                requests_per_minute=settings.zendesk_requests_per_minute,
                exports_per_minute=settings.zendesk_exports_per_minute,
                clock=clock,
                sleep=sleep,
            ),
        )

    def prepay(self, calls: int) -> bool:
        """Claim `calls` calls of the budget together, for calls about to be made at once
        (each inside `prepaid`, on any thread): on PostgreSQL one round trip to the shared
        budget instead of one per call. Only if they all fit now: False, and nothing claimed,
        when they do not (or when fewer than two), and each call then claims its own, waiting
        or giving up on its own as it would have."""
        return calls >= 2 and self.limiter.acquire_now(calls)

    def close(self) -> None:
        self.comment_reads.close()
        self.connections.close()

    def ticket_url(self, ticket_id: int) -> str:
        """The agent's view of a ticket, for links in Slack."""
        return f"{self.base_url}/agent/tickets/{ticket_id}"

    # --- endpoints ---------------------------------------------------------------------------

    def me(self) -> Json:
        return object_in(self._get("/api/v2/users/me.json", what="the API user"), "user")

    def export_tickets(
        self,
        *,
        cursor: str | None = None,
        start_time: int | None = None,
        per_page: int | None = None,
    ) -> ExportPage:
        """One page of the cursor-based incremental export, with users, organizations and
        ticket metrics."""
        params: dict[str, str | int] = {
            "per_page": per_page or self.export_page_size,
            "include": "users,organizations,metric_sets",
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
            tickets=items_in(body, "tickets"),
            users=items_in(body, "users"),
            organizations=items_in(body, "organizations"),
            metric_sets=items_in(body, "metric_sets"),
            after_cursor=body.get("after_cursor")
            if isinstance(body.get("after_cursor"), str)
            else None,
            end_of_stream=bool(body.get("end_of_stream", True)),
        )

    def ticket_events(self, *, start_time: int, per_page: int | None = None) -> EventsPage:
        """One page of the incremental ticket events export, comments included."""
        body = self._get(
            "/api/v2/incremental/ticket_events.json",
            params={
                "start_time": start_time,
                "include": "comment_events",
                "per_page": per_page or self.export_page_size,
            },
            what="the ticket events export",
        )
        end_time = body.get("end_time")
        return EventsPage(
            events=items_in(body, "ticket_events"),
            end_time=end_time if isinstance(end_time, int) else None,
            end_of_stream=bool(body.get("end_of_stream", True)),
        )

    def tickets(self, ids: Iterable[int]) -> list[Json]:
        """Several tickets at once (100 a call); deleted ones are missing from the answer."""
        return self._show_many("/api/v2/tickets/show_many.json", "tickets", ids)

    def ticket(self, ticket_id: int) -> Json:
        body = self._get(f"/api/v2/tickets/{ticket_id}.json", what=f"ticket {ticket_id}")
        return object_in(body, "ticket")

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
            comments.extend(items_in(body, "comments"))
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
        found = [u for u in items_in(body, "users") if str(u.get("email", "")).lower() == wanted]
        return found[0] if found else None

    def groups(self) -> list[Json]:
        """Every group of agents, following the pages."""
        groups: list[Json] = []
        page = 1
        while True:
            body = self._get(
                "/api/v2/groups.json", params={"page": page, "per_page": 100}, what="the groups"
            )
            groups.extend(items_in(body, "groups"))
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
        return object_in(body, "ticket")

    def search_tickets(
        self, *, updated_after: datetime, after: str | None = None, page_size: int | None = None
    ) -> SearchPage:
        """One page of tickets updated after a time, through the export search (cursor pages,
        no 1,000-result cap): the fallback for agent tokens, which may not use the exports."""
        stamp = updated_after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params: dict[str, str | int] = {
            "query": f"type:ticket updated>{stamp}",
            "filter[type]": "ticket",
            "page[size]": page_size or self.export_page_size,
        }
        if after is not None:
            params["page[after]"] = after
        body = self._get("/api/v2/search/export", params=params, what="the ticket search")
        results = items_in(body, "results")
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        assert isinstance(meta, dict)
        cursor = meta.get("after_cursor")
        return SearchPage(
            tickets=[r for r in results if r.get("result_type", "ticket") == "ticket"],
            after_cursor=cursor if isinstance(cursor, str) else None,
            has_more=bool(meta.get("has_more")),
        )

    def count_tickets(self, *, updated_after: datetime) -> int:
        """How many tickets changed after a time (one search call; counts are not capped)."""
        stamp = updated_after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = self._get(
            "/api/v2/search.json",
            params={"query": f"type:ticket updated>{stamp}", "per_page": 1},
            what="the ticket count",
        )
        count = body.get("count")
        return count if isinstance(count, int) else 0

    # --- plumbing ----------------------------------------------------------------------------

    def _show_many(self, path: str, key: str, ids: Iterable[int]) -> list[Json]:
        wanted = sorted(set(ids))
        found: list[Json] = []
        for start in range(0, len(wanted), SHOW_MANY_LIMIT):
            chunk = wanted[start : start + SHOW_MANY_LIMIT]
            what = f"{key.rstrip('s')} {chunk[0]}" if len(chunk) == 1 else f"some {key}"
            body = self._get(path, params={"ids": ",".join(map(str, chunk))}, what=what)
            found.extend(items_in(body, key))
        return found

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
        deadline = self.current_deadline()
        if deadline is None:
            deadline = self.limiter.clock() + PATIENCE
        export = path.startswith(EXPORT_PREFIX)
        # The query is encoded here once, not again at each retry.
        url = f"{path}?{urlencode(params)}" if params else path
        prepaid = self._take_prepaid()
        while True:
            try:
                if prepaid:
                    prepaid = False  # the first attempt only: a retry is another call
                    self.limiter.hold_off(deadline=deadline)
                else:
                    self.limiter.acquire(export=export, deadline=deadline)
            except OutOfTime as late:
                raise ZendeskRateLimited(
                    f"Zendesk is rate-limiting Rotabot (it may call again in {late.wait:.0f} s); "
                    "try again in a few minutes"
                ) from None
            try:
                response = self.connections.send(method, url, json_body=json, compressed=export)
            except TRANSPORT_ERRORS as error:
                failures += 1
                if failures > MAX_RETRIES:
                    raise ZendeskUnavailable(
                        f"Zendesk is not answering ({type(error).__name__}); "
                        "try again in a few minutes"
                    ) from error
                self._back_off(failures, f"{method} {path}: {error!r}")
                continue
            self.limiter.observe(response.headers)
            status = response.status_code
            if status == 429:
                self.limiter.pause(_retry_after(response))
                continue
            if status == 504 and export:
                raise ZendeskPageTooBig(
                    f"Zendesk took too long to prepare {what} (HTTP 504); a smaller page may do"
                )
            if status >= 500:
                failures += 1
                if failures > MAX_RETRIES:
                    raise ZendeskUnavailable(
                        f"Zendesk is not answering (HTTP {status}); try again in a few minutes"
                    )
                self._back_off(failures, f"{method} {path}: HTTP {status}")
                continue
            return answer_body(response, what, changing=method != "GET")

    def _back_off(self, failures: int, why: str) -> None:
        wait = float(2 ** (failures - 1))
        log.warning("Zendesk call failed (%s); retrying in %.0f s", why, wait)
        self.sleep(wait)
