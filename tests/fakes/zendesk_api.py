"""A fake Zendesk Support API on a loopback port, for tests that talk to it over real HTTP."""

from __future__ import annotations

import base64
import binascii
import gzip
import html
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.zendesk_limits import EXPORTS_PER_MINUTE, PLANS, RateLimits

Role = Literal["end-user", "agent", "admin"]
Status = Literal["new", "open", "pending", "hold", "solved", "closed"]
Priority = Literal["urgent", "high", "normal", "low"]

STATUSES: frozenset[str] = frozenset({"new", "open", "pending", "hold", "solved", "closed"})
PRIORITIES: frozenset[str] = frozenset({"urgent", "high", "normal", "low"})

# The real incremental export hides the last minute of changes so concurrent writes settle first.
EXPORT_LAG = timedelta(seconds=60)
EXPORT_MAX_PAGE = 1000
COMMENTS_DEFAULT_PAGE = 100
# show_many takes at most this many ids; the Search API serves at most this many results.
SHOW_MANY_MAX = 100
SEARCH_MAX_RESULTS = 1000
SEARCH_PAGE_MAX = 100
SEARCH_EXPORT_MAX_PAGE = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Sorts after every real ticket id, so a cursor can sit "after everything at this instant".
_AFTER_ALL_IDS = 2**63 - 1
_UPDATABLE_FIELDS = frozenset(
    {
        "subject",
        "status",
        "priority",
        "assignee_id",
        "organization_id",
        "tags",
        "group_id",
        "custom_fields",
    }
)
GROUPS_MAX_PAGE = 100

Position = tuple[int, int]


@dataclass(frozen=True)
class ZendeskRequest:
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None


@dataclass(frozen=True)
class ZendeskWrite:
    ticket_id: int
    body: dict[str, Any]


@dataclass
class _User:
    id: int
    name: str
    email: str
    role: Role
    organization_id: int | None
    tags: list[str] = field(default_factory=list)


@dataclass
class _Organization:
    id: int
    name: str


@dataclass
class _Group:
    id: int
    name: str
    deleted: bool = False


@dataclass
class _Ticket:
    id: int
    subject: str
    status: str
    priority: str | None
    requester_id: int
    assignee_id: int | None
    organization_id: int | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    group_id: int | None = None
    # Custom field id → value; fields of the account a ticket has no value for are None.
    custom_fields: dict[int, Any] = field(default_factory=dict)


@dataclass
class _Comment:
    id: int
    ticket_id: int
    author_id: int
    body: str
    public: bool
    created_at: datetime


@dataclass
class _Event:
    """One ticket audit, as the ticket events export lists it; `comment` is its comment, if any."""

    id: int
    ticket_id: int
    updater_id: int
    created_at: datetime
    changes: dict[str, Any]
    comment: _Comment | None = None


@dataclass
class _Fault:
    path_prefix: str
    method: str | None
    status: int
    remaining: int
    retry_after: int | None
    body: dict[str, Any] | None


@dataclass
class _Response:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class _ApiError(Exception):
    """Ends a request early with a Zendesk-shaped error body."""

    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        super().__init__(error)
        body: dict[str, Any] = {"error": error}
        if description is not None:
            body["description"] = description
        self.response = _Response(status, body)


def zendesk_time(moment: datetime) -> str:
    """Zendesk's timestamp format: UTC, whole seconds, a trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _encode_cursor(position: Position) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}|{position[1]}".encode()).decode()


def _decode_cursor(cursor: str) -> Position:
    try:
        micros, ticket_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return int(micros), int(ticket_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _ApiError(400, "InvalidPaginationParameter", f"Invalid cursor {cursor!r}") from None


def _int_param(query: dict[str, str], name: str, default: int, *, maximum: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _ApiError(400, "InvalidValue", f"{name} must be an integer") from None
    if value < 1:
        raise _ApiError(400, "InvalidValue", f"{name} must be positive")
    return min(value, maximum)


def _ids_param(query: dict[str, str]) -> list[int]:
    raw = query.get("ids", "")
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise _ApiError(400, "InvalidValue", "ids must be comma-separated integers") from None
    if len(ids) > SHOW_MANY_MAX:
        raise _ApiError(400, "InvalidValue", f"ids takes at most {SHOW_MANY_MAX} ids")
    return ids


def _not_found() -> _ApiError:
    return _ApiError(404, "RecordNotFound", "Not found")


def _invalid(field_name: str, message: str) -> _ApiError:
    error = _ApiError(422, "RecordInvalid", "Record validation errors")
    error.response.body["details"] = {field_name: [{"description": message}]}
    return error


class FakeZendesk:
    """Zendesk Support's REST API, the parts Rotabot uses, backed by in-memory records."""

    def __init__(
        self,
        *,
        email: str = "bot@example.com",
        token: str = "zd-token",
        me_id: int = 9000,
        me_name: str = "Rotabot",
        page_size: int = EXPORT_MAX_PAGE,
        now: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        plan: str = "team",
        exports_per_minute: int = EXPORTS_PER_MINUTE,
    ) -> None:
        self.email = email
        self.token = token
        self.me_id = me_id
        self.page_size = page_size
        self._now = now or (lambda: datetime.now(UTC))
        self._sleep = sleep
        # One lock for records and logs: handler threads and the test thread share them.
        self._lock = threading.RLock()
        self._users: dict[int, _User] = {me_id: _User(me_id, me_name, email, "admin", None)}
        self._organizations: dict[int, _Organization] = {}
        self._groups: dict[int, _Group] = {}
        self._ticket_fields: set[int] = set()
        self._tickets: dict[int, _Ticket] = {}
        self._comments: list[_Comment] = []
        self._next_comment_id = 1
        self._requests: list[ZendeskRequest] = []
        self._writes: list[ZendeskWrite] = []
        # Answers sent gzip-compressed, as asked (see _Handler).
        self.compressed_answers = 0
        self._faults: list[_Fault] = []
        self._delays: dict[str, float] = {}
        self._events: list[_Event] = []
        # Export pages bigger than this time out (504), as big pages sometimes do on Zendesk.
        self._largest_page: int | None = None
        self.limits = RateLimits(PLANS[plan], exports_per_minute)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeZendesk:
        if self._server is not None:
            raise RuntimeError("FakeZendesk is already running")
        server = self._server = _Server(("127.0.0.1", 0), _Handler, self)
        # A short poll keeps stop() quick: shutdown waits for the loop's next wake-up.
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.02),
            name="fake-zendesk",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeZendesk:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeZendesk is not running: call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def now(self) -> datetime:
        return _aware(self._now(), "the fake's clock")

    # --- building data -----------------------------------------------------------------------

    def add_user(
        self,
        id: int,
        *,
        name: str,
        email: str,
        role: Role = "agent",
        organization_id: int | None = None,
        tags: Iterable[str] = (),
    ) -> None:
        with self._lock:
            # Zendesk keeps tags lower case, without spaces.
            kept = [tag.lower().replace(" ", "_") for tag in tags]
            self._users[id] = _User(id, name, email, role, organization_id, kept)

    def add_ticket_field(self, id: int) -> None:
        """A custom ticket field of the account (e.g. a time-tracking app's "time spent")."""
        with self._lock:
            self._ticket_fields.add(id)

    def add_organization(self, id: int, *, name: str) -> None:
        with self._lock:
            self._organizations[id] = _Organization(id, name)

    def add_group(self, id: int, *, name: str, deleted: bool = False) -> None:
        with self._lock:
            self._groups[id] = _Group(id, name, deleted)

    def add_ticket(
        self,
        id: int,
        *,
        subject: str,
        requester_id: int,
        status: Status = "open",
        priority: Priority | None = "normal",
        assignee_id: int | None = None,
        organization_id: int | None = None,
        tags: Iterable[str] = (),
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        description: str | None = None,
        custom_fields: dict[int, Any] | None = None,
    ) -> None:
        """A new ticket; a `description` is its first comment, by the requester, in the same
        audit as the ticket's creation (as Zendesk records it)."""
        created = self.now() if created_at is None else _aware(created_at, "created_at")
        updated = created if updated_at is None else _aware(updated_at, "updated_at")
        with self._lock:
            self._tickets[id] = _Ticket(
                id=id,
                subject=subject,
                status=status,
                priority=priority,
                requester_id=requester_id,
                assignee_id=assignee_id,
                organization_id=organization_id,
                tags=list(tags),
                created_at=created,
                updated_at=updated,
                custom_fields=self._checked_fields(custom_fields or {}),
            )
            first = None
            if description is not None:
                first = _Comment(
                    self._next_comment_id, id, requester_id, description, True, created
                )
                self._next_comment_id += 1
                self._comments.append(first)
            self._add_event(id, requester_id, created, {"status": status}, first)

    def _checked_fields(self, values: dict[int, Any]) -> dict[int, Any]:
        unknown = set(values) - self._ticket_fields
        if unknown:
            raise ValueError(f"no ticket fields {sorted(unknown)}: add_ticket_field first")
        return dict(values)

    def add_comment(
        self,
        ticket_id: int,
        *,
        author_id: int,
        body: str,
        public: bool = True,
        created_at: datetime | None = None,
    ) -> int:
        """Adds a comment without touching the ticket's updated_at; returns the comment id."""
        created = self.now() if created_at is None else _aware(created_at, "created_at")
        with self._lock:
            if ticket_id not in self._tickets:
                raise KeyError(f"no ticket {ticket_id}")
            comment_id = self._next_comment_id
            self._next_comment_id += 1
            comment = _Comment(comment_id, ticket_id, author_id, body, public, created)
            self._comments.append(comment)
            self._add_event(ticket_id, author_id, created, {}, comment)
            return comment_id

    def update_ticket(self, id: int, *, updated_at: datetime | None = None, **fields: Any) -> None:
        """Changes fields as an agent would; updated_at moves to the given or current time."""
        unknown = set(fields) - _UPDATABLE_FIELDS
        if unknown:
            raise ValueError(
                f"cannot update {sorted(unknown)}; allowed: {sorted(_UPDATABLE_FIELDS)}"
            )
        moment = self.now() if updated_at is None else _aware(updated_at, "updated_at")
        with self._lock:
            ticket = self._tickets[id]
            for name, value in fields.items():
                if name == "custom_fields":
                    value = ticket.custom_fields | self._checked_fields(value)
                setattr(ticket, name, list(value) if name == "tags" else value)
            ticket.updated_at = moment
            self._add_event(id, self.me_id, moment, dict(fields))

    def delete_ticket(self, id: int) -> None:
        """Deletes a ticket: the export lists it once more with status "deleted", then 404s."""
        moment = self.now()
        with self._lock:
            ticket = self._tickets[id]
            ticket.status, ticket.updated_at = "deleted", moment
            self._add_event(id, self.me_id, moment, {"status": "deleted"})

    def merge_ticket(self, source: int, *, into: int) -> None:
        """Merges `source` into `into` as Zendesk does: the source is closed, tagged
        closed_by_merge, and both get an internal note."""
        moment = self.now()
        with self._lock:
            ticket = self._tickets[source]
            ticket.status, ticket.updated_at = "closed", moment
            ticket.tags = [*ticket.tags, "closed_by_merge"]
            self._add_event(source, self.me_id, moment, {"status": "closed"})
        self.add_comment(
            source,
            author_id=self.me_id,
            body=f"Request merged into #{into}",
            public=False,
            created_at=moment,
        )
        self.add_comment(
            into,
            author_id=self.me_id,
            body=f"Request #{source} was merged into this request",
            public=False,
            created_at=moment,
        )

    def time_out_pages_over(self, size: int | None) -> None:
        """Export requests asking for more than `size` records answer 504; None stops it."""
        with self._lock:
            self._largest_page = size

    def _add_event(
        self,
        ticket_id: int,
        updater_id: int,
        moment: datetime,
        changes: dict[str, Any],
        comment: _Comment | None = None,
    ) -> None:
        with self._lock:
            event_id = len(self._events) + 1
            self._events.append(_Event(event_id, ticket_id, updater_id, moment, changes, comment))

    def set_me_role(self, role: Role) -> None:
        with self._lock:
            self._users[self.me_id].role = role

    # --- inspecting state --------------------------------------------------------------------

    def ticket(self, id: int) -> dict[str, Any]:
        """The ticket as GET /api/v2/tickets/{id}.json would return it."""
        with self._lock:
            return self._ticket_json(self._tickets[id])

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        """All of a ticket's comments, oldest first, in API shape."""
        with self._lock:
            return [self._comment_json(c) for c in self._ticket_comments(ticket_id)]

    @property
    def requests(self) -> list[ZendeskRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_prefix: str) -> list[ZendeskRequest]:
        with self._lock:
            return [r for r in self._requests if r.path.startswith(path_prefix)]

    @property
    def writes(self) -> list[ZendeskWrite]:
        with self._lock:
            return list(self._writes)

    def clear(self) -> None:
        """Forgets recorded requests and writes; records, faults and delays stay."""
        with self._lock:
            self._requests.clear()
            self._writes.clear()

    # --- fault injection ---------------------------------------------------------------------

    def fail(
        self,
        path_prefix: str,
        *,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        body: dict[str, Any] | None = None,
        method: str | None = None,
    ) -> None:
        """The next `times` requests under path_prefix (and method, if given) get `status`."""
        with self._lock:
            self._faults.append(
                _Fault(path_prefix, method and method.upper(), status, times, retry_after, body)
            )

    def delay(self, path_prefix: str, seconds: float) -> None:
        """Requests under path_prefix wait `seconds` before answering; 0 removes the delay."""
        with self._lock:
            if seconds > 0:
                self._delays[path_prefix] = seconds
            else:
                self._delays.pop(path_prefix, None)

    # --- request handling --------------------------------------------------------------------

    def _handle(
        self, method: str, target: str, authorization: str | None, raw_body: bytes
    ) -> _Response:
        parts = urlsplit(target)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body: dict[str, Any] | None = None
        body_error = False
        if raw_body:
            try:
                parsed = json.loads(raw_body)
            except ValueError:
                body_error = True
            else:
                body = parsed if isinstance(parsed, dict) else None
                body_error = body is None
        with self._lock:
            self._requests.append(ZendeskRequest(method, path, query, body))
            pause = sum(s for prefix, s in self._delays.items() if path.startswith(prefix))
            verdict = self.limits.check(path, self.now())
            fault = self._take_fault(method, path) if verdict.allowed else None
            if fault is not None and fault.status == 429:
                # A spike elsewhere on the account: everyone waits out its Retry-After.
                self.limits.block(self.now(), int(fault.headers.get("Retry-After", "60")))
        if pause:
            self._sleep(pause)
        response = fault or self._answer(
            method, path, query, body, body_error, authorization, verdict
        )
        response.headers = verdict.headers | response.headers
        return response

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: dict[str, Any] | None,
        body_error: bool,
        authorization: str | None,
        verdict: Any,
    ) -> _Response:
        if not verdict.allowed:
            return _Response(
                429,
                {
                    "error": "APIRateLimitExceeded",
                    "description": "Number of allowed API requests per minute exceeded",
                },
            )
        if authorization != self._expected_authorization():
            return _Response(401, {"error": "Couldn't authenticate you"})
        if body_error:
            return _Response(
                400, {"error": "InvalidJSON", "description": "Body is not a JSON object"}
            )
        try:
            with self._lock:
                return self._route(method, path, query, body)
        except _ApiError as error:
            return error.response

    def _take_fault(self, method: str, path: str) -> _Response | None:
        for fault in self._faults:
            if path.startswith(fault.path_prefix) and fault.method in (None, method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                headers = (
                    {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
                )
                body = fault.body or {"error": HTTPStatus(fault.status).phrase}
                return _Response(fault.status, body, headers)
        return None

    def _expected_authorization(self) -> str:
        pair = f"{self.email}/token:{self.token}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    def _route(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any] | None
    ) -> _Response:
        if method == "GET":
            if path == "/api/v2/incremental/tickets/cursor.json":
                return self._export_tickets(query)
            if path == "/api/v2/incremental/ticket_events.json":
                return self._export_events(query)
            if path == "/api/v2/users/show_many.json":
                users = [self._users[i] for i in _ids_param(query) if i in self._users]
                return _Response(200, {"users": [self._user_json(u) for u in users]})
            if path == "/api/v2/organizations/show_many.json":
                orgs = [
                    self._organizations[i] for i in _ids_param(query) if i in self._organizations
                ]
                return _Response(200, {"organizations": [self._org_json(o) for o in orgs]})
            if path == "/api/v2/tickets/show_many.json":
                tickets = [
                    self._tickets[i]
                    for i in _ids_param(query)
                    if i in self._tickets and self._tickets[i].status != "deleted"
                ]
                return _Response(200, {"tickets": [self._ticket_json(t) for t in tickets]})
            if path == "/api/v2/search/export":
                return self._search_export(query)
            if path == "/api/v2/users/me.json":
                return _Response(200, {"user": self._user_json(self._users[self.me_id])})
            if path == "/api/v2/search.json":
                return self._search(query)
            if path == "/api/v2/users/search.json":
                return self._search_users(query)
            if path == "/api/v2/groups.json":
                return self._list_groups(query)
            if match := re.fullmatch(r"/api/v2/tickets/(\d+)/comments\.json", path):
                return self._list_comments(int(match[1]), query)
            if match := re.fullmatch(r"/api/v2/tickets/(\d+)\.json", path):
                return _Response(200, {"ticket": self._ticket_json(self._find_ticket(match[1]))})
        if method == "PUT" and (match := re.fullmatch(r"/api/v2/tickets/(\d+)\.json", path)):
            return self._update_ticket(self._find_ticket(match[1]), body)
        raise _ApiError(404, "InvalidEndpoint", f"Not found: {method} {path}")

    def _find_ticket(self, raw_id: str) -> _Ticket:
        ticket = self._tickets.get(int(raw_id))
        if ticket is None or ticket.status == "deleted":
            raise _not_found()
        return ticket

    def _export_tickets(self, query: dict[str, str]) -> _Response:
        if self._users[self.me_id].role != "admin":
            return _Response(403, {"error": "Forbidden"})
        per_page = _int_param(query, "per_page", self.page_size, maximum=EXPORT_MAX_PAGE)
        self._check_page_size(per_page)
        if "cursor" in query:
            position = _decode_cursor(query["cursor"])
        elif "start_time" in query:
            try:
                start = int(query["start_time"])
            except ValueError:
                raise _ApiError(400, "InvalidValue", "start_time must be a unix time") from None
            # -1 sorts before every ticket id, so tickets updated exactly at start_time count.
            position = (start * 1_000_000, -1)
        else:
            raise _ApiError(400, "InvalidPaginationParameter", "start_time or cursor is required")
        cutoff = self.now() - EXPORT_LAG
        page = self._exported_after(position, cutoff, per_page)
        end_of_stream = len(page) < per_page
        if end_of_stream:
            # Everything up to the cutoff has been seen, so the next export resumes from there.
            next_position = max(position, (_micros(cutoff), _AFTER_ALL_IDS))
        else:
            next_position = (_micros(page[-1].updated_at), page[-1].id)
        after_cursor = _encode_cursor(next_position)
        follow = {"cursor": after_cursor}
        follow.update({k: query[k] for k in ("per_page", "include") if k in query})
        payload: dict[str, Any] = {
            "tickets": [
                self._ticket_json(t) | {"generated_timestamp": int(t.updated_at.timestamp())}
                for t in page
            ],
            "after_cursor": after_cursor,
            "before_cursor": None,
            "after_url": f"{self.url}/api/v2/incremental/tickets/cursor.json?{urlencode(follow)}",
            "before_url": None,
            "end_of_stream": end_of_stream,
        }
        includes = {part.strip() for part in query.get("include", "").split(",")}
        if "users" in includes:
            user_ids = {
                uid for t in page for uid in (t.requester_id, t.assignee_id) if uid is not None
            }
            payload["users"] = [
                self._user_json(self._users[uid]) for uid in sorted(user_ids) if uid in self._users
            ]
        if "organizations" in includes:
            org_ids = {t.organization_id for t in page if t.organization_id is not None}
            payload["organizations"] = [
                self._org_json(self._organizations[oid])
                for oid in sorted(org_ids)
                if oid in self._organizations
            ]
        if "metric_sets" in includes:
            payload["metric_sets"] = [self._metric_set_json(t) for t in page]
        return _Response(200, payload)

    def _check_page_size(self, per_page: int) -> None:
        if self._largest_page is not None and per_page > self._largest_page:
            raise _ApiError(504, "GatewayTimeout", "The page took too long to prepare")

    def _exported_after(self, position: Position, cutoff: datetime, limit: int) -> list[_Ticket]:
        """Up to `limit` tickets changed by `cutoff` and after `position`, in export order."""
        changed = sorted(
            (t for t in self._tickets.values() if t.updated_at <= cutoff),
            key=lambda t: (t.updated_at, t.id),
        )
        return [t for t in changed if (_micros(t.updated_at), t.id) > position][:limit]

    def _list_comments(self, ticket_id: int, query: dict[str, str]) -> _Response:
        self._find_ticket(str(ticket_id))
        page = _int_param(query, "page", 1, maximum=2**31)
        per_page = _int_param(query, "per_page", COMMENTS_DEFAULT_PAGE, maximum=100)
        comments = self._ticket_comments(ticket_id)
        start = (page - 1) * per_page
        base = f"{self.url}/api/v2/tickets/{ticket_id}/comments.json"

        def page_url(number: int) -> str:
            return f"{base}?{urlencode({'page': number, 'per_page': per_page})}"

        return _Response(
            200,
            {
                "comments": [self._comment_json(c) for c in comments[start : start + per_page]],
                "next_page": page_url(page + 1) if start + per_page < len(comments) else None,
                "previous_page": page_url(page - 1) if page > 1 else None,
                "count": len(comments),
            },
        )

    def _update_ticket(self, ticket: _Ticket, body: dict[str, Any] | None) -> _Response:
        changes = (body or {}).get("ticket")
        if not isinstance(changes, dict):
            raise _ApiError(400, "InvalidValue", 'Body must be {"ticket": {...}}')
        if ticket.status == "closed":
            raise _invalid("status", "Status: closed prevents ticket update")
        updated = replace(ticket)
        if "status" in changes:
            if changes["status"] not in STATUSES:
                raise _invalid("status", f"Status: {changes['status']!r} is not valid")
            updated.status = changes["status"]
        if "priority" in changes:
            if changes["priority"] is not None and changes["priority"] not in PRIORITIES:
                raise _invalid("priority", f"Priority: {changes['priority']!r} is not valid")
            updated.priority = changes["priority"]
        if "group_id" in changes:
            group = self._groups.get(changes["group_id"]) if changes["group_id"] else None
            if changes["group_id"] is not None and (group is None or group.deleted):
                raise _invalid("group", "Group is invalid")
            updated.group_id = changes["group_id"]
        if "assignee_id" in changes:
            assignee = self._users.get(changes["assignee_id"])
            if changes["assignee_id"] is not None and (
                assignee is None or assignee.role == "end-user"
            ):
                raise _invalid("assignee", "Assignee must be an agent")
            updated.assignee_id = changes["assignee_id"]
        updated.tags = _updated_tags(ticket.tags, changes)
        comment = changes.get("comment")
        if comment is not None and (
            not isinstance(comment, dict) or not str(comment.get("body") or "").strip()
        ):
            raise _invalid("comment", "Comment body can't be blank")
        moment = self.now()
        updated.updated_at = moment
        self._tickets[ticket.id] = updated
        if comment is not None:
            self.add_comment(
                ticket.id,
                author_id=self.me_id,
                body=str(comment["body"]),
                public=bool(comment.get("public", True)),
                created_at=moment,
            )
        self._writes.append(ZendeskWrite(ticket.id, body or {}))
        return _Response(200, {"ticket": self._ticket_json(updated)})

    def _search_users(self, query: dict[str, str]) -> _Response:
        raw = query.get("query", "").strip()
        if not raw:
            raise _ApiError(400, "InvalidValue", "query is required")
        # Only what Rotabot asks: one exact address; Zendesk matches addresses case-insensitively.
        match = re.fullmatch(r"email:(\S+@\S+)", raw)
        if match is None:
            raise _ApiError(
                400, "InvalidQuery", f"FakeZendesk user search does not support {raw!r}"
            )
        wanted = match[1].lower()
        users = [u for u in self._users.values() if u.email.lower() == wanted]
        return _Response(
            200,
            {
                "users": [self._user_json(u) for u in users],
                "next_page": None,
                "previous_page": None,
                "count": len(users),
            },
        )

    def _list_groups(self, query: dict[str, str]) -> _Response:
        page = _int_param(query, "page", 1, maximum=2**31)
        per_page = _int_param(query, "per_page", GROUPS_MAX_PAGE, maximum=GROUPS_MAX_PAGE)
        groups = sorted(self._groups.values(), key=lambda g: g.id)
        start = (page - 1) * per_page
        base = f"{self.url}/api/v2/groups.json"
        more = start + per_page < len(groups)
        return _Response(
            200,
            {
                "groups": [
                    {"id": g.id, "name": g.name, "deleted": g.deleted}
                    for g in groups[start : start + per_page]
                ],
                "next_page": f"{base}?{urlencode({'page': page + 1, 'per_page': per_page})}"
                if more
                else None,
                "previous_page": None,
                "count": len(groups),
            },
        )

    def _search_found(self, raw_query: str) -> list[_Ticket]:
        conditions: list[Callable[[_Ticket], bool]] = []
        for term in raw_query.split():
            if term == "type:ticket":
                continue
            if match := re.fullmatch(r"status:(\w+)", term):
                conditions.append(_status_condition(match[1]))
                continue
            match = re.fullmatch(r"updated(>=|<=|>|<)(.+)", term)
            if match is None:
                raise _ApiError(
                    400, "InvalidQuery", f"FakeZendesk search does not support {term!r}"
                )
            try:
                bound = datetime.fromisoformat(match[2])
            except ValueError:
                raise _ApiError(400, "InvalidQuery", f"Bad date in {term!r}") from None
            bound = bound if bound.tzinfo else bound.replace(tzinfo=UTC)
            conditions.append(_time_condition(match[1], bound))
        # Search never finds deleted tickets.
        return sorted(
            (
                t
                for t in self._tickets.values()
                if t.status != "deleted" and all(check(t) for check in conditions)
            ),
            key=lambda t: (t.updated_at, t.id),
        )

    def _search(self, query: dict[str, str]) -> _Response:
        """Offset pages of at most 100, and never past the 1,000th result (422), as on Zendesk."""
        page = _int_param(query, "page", 1, maximum=2**31)
        per_page = _int_param(query, "per_page", SEARCH_PAGE_MAX, maximum=SEARCH_PAGE_MAX)
        start = (page - 1) * per_page
        if start + per_page > SEARCH_MAX_RESULTS:
            raise _ApiError(
                422,
                "InvalidPaginationParameter",
                f"Search returns at most {SEARCH_MAX_RESULTS} results; use the export search",
            )
        found = self._search_found(query.get("query", ""))
        results = [self._ticket_json(t) | {"result_type": "ticket"} for t in found]
        base = f"{self.url}/api/v2/search.json"

        def page_url(number: int) -> str:
            return f"{base}?{urlencode({'query': query.get('query', ''), 'page': number})}"

        more = start + per_page < len(found) and start + 2 * per_page <= SEARCH_MAX_RESULTS
        return _Response(
            200,
            {
                "results": results[start : start + per_page],
                "next_page": page_url(page + 1) if more else None,
                "previous_page": page_url(page - 1) if page > 1 else None,
                "count": len(found),
            },
        )

    def _search_export(self, query: dict[str, str]) -> _Response:
        """GET /api/v2/search/export: cursor pages over every result, for one type at a time."""
        if query.get("filter[type]") != "ticket":
            raise _ApiError(400, "InvalidValue", "filter[type] is required (ticket)")
        size = _int_param(query, "page[size]", 100, maximum=SEARCH_EXPORT_MAX_PAGE)
        found = self._search_found(query.get("query", ""))
        after = query.get("page[after]")
        if after is not None:
            position = _decode_cursor(after)
            found = [t for t in found if (_micros(t.updated_at), t.id) > position]
        page = found[:size]
        has_more = len(found) > size
        cursor = _encode_cursor((_micros(page[-1].updated_at), page[-1].id)) if page else None
        follow = {k: v for k, v in query.items() if k != "page[after]"}
        return _Response(
            200,
            {
                "results": [self._ticket_json(t) | {"result_type": "ticket"} for t in page],
                "facets": None,
                "meta": {"has_more": has_more, "after_cursor": cursor, "before_cursor": None},
                "links": {
                    "next": f"{self.url}/api/v2/search/export?"
                    + urlencode(follow | {"page[after]": cursor})
                    if has_more and cursor
                    else None,
                    "prev": None,
                },
            },
        )

    def _export_events(self, query: dict[str, str]) -> _Response:
        """GET /api/v2/incremental/ticket_events.json: time-based pages of ticket audits.

        A page ends with every event of its last second, so `end_time` (that second) is the next
        `start_time`, and the events of that second come again: clients must not mind repeats.
        """
        if self._users[self.me_id].role != "admin":
            return _Response(403, {"error": "Forbidden"})
        if "start_time" not in query:
            raise _ApiError(400, "InvalidValue", "start_time is required")
        try:
            start = int(query["start_time"])
        except ValueError:
            raise _ApiError(400, "InvalidValue", "start_time must be a unix time") from None
        per_page = _int_param(query, "per_page", EXPORT_MAX_PAGE, maximum=EXPORT_MAX_PAGE)
        self._check_page_size(per_page)
        cutoff = int((self.now() - EXPORT_LAG).timestamp())
        if start > cutoff:
            raise _ApiError(400, "InvalidValue", "start_time must be more than a minute ago")
        events = self._events_between(start, cutoff, per_page)
        page = events[:per_page]
        if len(events) > per_page:
            last_second = int(page[-1].created_at.timestamp())
            page += [e for e in events[per_page:] if int(e.created_at.timestamp()) == last_second]
        end_of_stream = len(page) == len(events)
        end_time = int(page[-1].created_at.timestamp()) if page else start
        with_comments = "comment_events" in query.get("include", "").split(",")
        follow = {k: v for k, v in query.items() if k != "start_time"} | {"start_time": end_time}
        return _Response(
            200,
            {
                "ticket_events": [self._event_json(e, with_comments) for e in page],
                "next_page": f"{self.url}/api/v2/incremental/ticket_events.json?"
                + urlencode(follow),
                "count": len(page),
                "end_of_stream": end_of_stream,
                "end_time": end_time,
            },
        )

    # --- JSON shapes -------------------------------------------------------------------------

    def _ticket_comments(self, ticket_id: int) -> list[_Comment]:
        mine = [c for c in self._comments if c.ticket_id == ticket_id]
        return sorted(mine, key=lambda c: (c.created_at, c.id))

    def _ticket_json(self, ticket: _Ticket) -> dict[str, Any]:
        comments = self._ticket_comments(ticket.id)
        return {
            "id": ticket.id,
            "url": f"{self.url}/api/v2/tickets/{ticket.id}.json",
            "subject": ticket.subject,
            "raw_subject": ticket.subject,
            "description": comments[0].body if comments else "",
            "status": ticket.status,
            "priority": ticket.priority,
            "type": None,
            "requester_id": ticket.requester_id,
            "submitter_id": ticket.requester_id,
            "assignee_id": ticket.assignee_id,
            "organization_id": ticket.organization_id,
            "group_id": ticket.group_id,
            "tags": list(ticket.tags),
            # Like Zendesk: every custom field of the account, null where the ticket has none.
            "custom_fields": [
                {"id": field_id, "value": ticket.custom_fields.get(field_id)}
                for field_id in sorted(self._ticket_fields)
            ],
            "created_at": zendesk_time(ticket.created_at),
            "updated_at": zendesk_time(ticket.updated_at),
            "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        }

    def _comment_json(self, comment: _Comment) -> dict[str, Any]:
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in comment.body.split("\n\n"))
        return {
            "id": comment.id,
            "type": "Comment",
            "author_id": comment.author_id,
            "body": comment.body,
            "html_body": f'<div class="zd-comment" dir="auto">{paragraphs}</div>',
            "plain_body": comment.body,
            "public": comment.public,
            "attachments": [],
            "created_at": zendesk_time(comment.created_at),
        }

    def _events_between(self, start: int, cutoff: int, per_page: int) -> list[_Event]:
        """Events from second `start` to `cutoff`, in export order; at least the first
        `per_page` and every other event of the last one's second."""
        return sorted(
            (e for e in self._events if start <= int(e.created_at.timestamp()) <= cutoff),
            key=lambda e: (int(e.created_at.timestamp()), e.id),
        )

    def _event_json(self, event: _Event, with_comments: bool) -> dict[str, Any]:
        children: list[dict[str, Any]] = [
            {
                "id": event.id * 10 + n,
                "event_type": "Create" if n == 0 and name == "status" else "Change",
                "field_name": name,
                "value": value,
            }
            for n, (name, value) in enumerate(event.changes.items())
        ]
        if with_comments and event.comment is not None:
            children.append(self._comment_json(event.comment) | {"event_type": "Comment"})
        return {
            "id": event.id,
            "ticket_id": event.ticket_id,
            "updater_id": event.updater_id,
            "timestamp": int(event.created_at.timestamp()),
            "created_at": zendesk_time(event.created_at),
            "event_type": "Audit",
            "via": "Web form",
            "child_events": children,
        }

    def _metric_set_json(self, ticket: _Ticket) -> dict[str, Any]:
        comments = self._ticket_comments(ticket.id)
        requester = [c for c in comments if c.author_id == ticket.requester_id]
        agents = [
            c
            for c in comments
            if c.public
            and self._users.get(c.author_id, None) is not None
            and self._users[c.author_id].role != "end-user"
        ]
        return {
            "ticket_id": ticket.id,
            "created_at": zendesk_time(ticket.created_at),
            "updated_at": zendesk_time(ticket.updated_at),
            "requester_updated_at": zendesk_time(requester[-1].created_at) if requester else None,
            "assignee_updated_at": zendesk_time(agents[-1].created_at) if agents else None,
            "latest_comment_added_at": zendesk_time(comments[-1].created_at) if comments else None,
            "replies": len(agents),
        }

    def _user_json(self, user: _User) -> dict[str, Any]:
        return {
            "id": user.id,
            "url": f"{self.url}/api/v2/users/{user.id}.json",
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "organization_id": user.organization_id,
            "tags": list(user.tags),
            "active": True,
            "suspended": False,
        }

    def _org_json(self, organization: _Organization) -> dict[str, Any]:
        return {
            "id": organization.id,
            "url": f"{self.url}/api/v2/organizations/{organization.id}.json",
            "name": organization.name,
        }


def _tag_list(raw: Any, field_name: str) -> list[str]:
    """Zendesk takes tags as a list or a space-separated string; it keeps them lower case."""
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list) or not all(isinstance(tag, str) for tag in raw):
        raise _invalid(field_name, f"{field_name} must be a list of tags")
    return [part.lower() for tag in raw for part in tag.split()]


def _updated_tags(current: list[str], changes: dict[str, Any]) -> list[str]:
    """`tags` replaces the list; `additional_tags` adds and `remove_tags` removes (as
    Zendesk's ticket update does), without duplicates, in first-seen order."""
    tags = _tag_list(changes["tags"], "tags") if "tags" in changes else list(current)
    if "additional_tags" in changes:
        tags += _tag_list(changes["additional_tags"], "additional_tags")
    if "remove_tags" in changes:
        removed = set(_tag_list(changes["remove_tags"], "remove_tags"))
        tags = [tag for tag in tags if tag not in removed]
    return list(dict.fromkeys(tags))


def _status_condition(wanted: str) -> Callable[[_Ticket], bool]:
    return lambda ticket: ticket.status == wanted


def _time_condition(operator: str, bound: datetime) -> Callable[[_Ticket], bool]:
    comparisons: dict[str, Callable[[datetime], bool]] = {
        ">": lambda moment: moment > bound,
        ">=": lambda moment: moment >= bound,
        "<": lambda moment: moment < bound,
        "<=": lambda moment: moment <= bound,
    }
    compare = comparisons[operator]
    return lambda ticket: compare(ticket.updated_at)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: a burst of new connections past that has its
    # handshakes dropped and retried by the client's kernel a second later, a stall no real
    # service of this size makes its callers wait.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeZendesk
    ) -> None:
        self.fake = fake
        super().__init__(address, handler)


# Answers longer than this are compressed for a client that accepts gzip.
GZIP_OVER = 1024


def _accepts_gzip(header: str | None) -> bool:
    return any(part.split(";")[0].strip() == "gzip" for part in (header or "").split(","))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Small answers must leave at once, not wait on the client's delayed ACK.
    disable_nagle_algorithm = True
    # Idle keep-alive connections must not pin handler threads after a test ends.
    timeout = 10
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        response = self.server.fake._handle(
            self.command, self.path, self.headers.get("Authorization"), raw_body
        )
        payload = json.dumps(response.body).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        if _accepts_gzip(self.headers.get("Accept-Encoding")) and len(payload) > GZIP_OVER:
            # As Zendesk does for a client that asks: the answer compressed on the wire.
            payload = gzip.compress(payload, compresslevel=1)
            self.send_header("Content-Encoding", "gzip")
            self.server.fake.compressed_answers += 1
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read `FakeZendesk.requests` instead of a log."""
