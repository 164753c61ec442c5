"""A fake Slack Web API on a real local port, for tests to point slack_sdk clients at."""

from __future__ import annotations

import copy
import itertools
import json
import socket
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.slack_methods import (
    APP_TOKEN_METHODS,
    AT_LEAST_ONE_OF,
    REQUIRED_ARGS,
    SCOPE_OF,
    TOPIC_MOST,
)

API_PREFIX = "/api/"
RESPONSE_PREFIX = "/response/"
# A kept-alive connection idle this long is closed by the fake, as by any server.
KEEP_ALIVE_S = 5.0
# Arguments Slack takes as JSON-encoded strings in form bodies.
JSON_ARGS = ("blocks", "attachments", "view", "metadata")
TEAM_ID = "T1"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
WORKSPACE_URL = "https://acme.slack.com/"
# Seconds part of the first message ts; later ones count up from here.
FIRST_TS = 1_700_000_000

Json = dict[str, Any]

# The flags users.info gives each kind of person Slack knows.
USER_KINDS: dict[str, Json] = {
    "member": {"is_restricted": False, "is_ultra_restricted": False},
    "guest": {"is_restricted": True, "is_ultra_restricted": False},
    "single-channel-guest": {"is_restricted": True, "is_ultra_restricted": True},
    "external": {"is_restricted": False, "is_ultra_restricted": False, "is_stranger": True},
}


@dataclass(frozen=True)
class SlackCall:
    """One Web API request as the fake received it, and how the fake answered it."""

    method: str
    args: Json
    headers: dict[str, str]  # names lower-cased, since HTTP header names are case-insensitive
    status: int = 200
    error: str | None = None  # the `error` answered with ok false; None when ok

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class ResponseCall:
    """One POST to a response_url."""

    token: str
    body: Json
    # The client's port: posts over one kept-alive connection share it.
    port: int = 0


@dataclass(frozen=True)
class _Fault:
    status: int
    error: str
    retry_after: int | None


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(
        cls, payload: Json, status: int = 200, headers: dict[str, str] | None = None
    ) -> Self:
        return cls(status, json.dumps(payload).encode(), headers=headers or {})

    @classmethod
    def of_text(cls, text: str, status: int = 200) -> Self:
        return cls(status, text.encode(), "text/plain; charset=utf-8")


# Slack's documented limits on a response URL: this many posts, within this long.
RESPONSE_URL_USES = 5
RESPONSE_URL_LIFE_S = 30 * 60


class FakeSlack:
    """Slack's Web API and response URLs, served over HTTP from a background thread.

    Every call is recorded; calls Slack itself would reject as malformed (unknown
    method, missing argument, broken JSON) also land in `protocol_errors`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._calls: list[SlackCall] = []
        self._responses: list[ResponseCall] = []
        # Slack's limits on a response URL: five posts, within 30 minutes of the request.
        self._response_issued: dict[str, float] = {}
        self._response_uses: defaultdict[str, int] = defaultdict(int)
        # Posts Slack would refuse by those limits: (token, reason).
        self.refused_responses: list[tuple[str, str]] = []
        # What the response URL limits are timed by; a test may move it.
        self.clock: Callable[[], float] = time.monotonic
        self._protocol_errors: list[str] = []
        self._overrides: dict[str, Json] = {}
        self._faults: defaultdict[str, deque[_Fault]] = defaultdict(deque)
        self._users: dict[str, Json] = {}
        self._channels: dict[str, Json] = {}
        self._topics: dict[str, str] = {}
        self._usergroups: dict[str, Json] = {}
        self._free_plan = False
        self._missing_scopes: set[str] = set()
        self._ts_counter = itertools.count(1)
        self._view_counter = itertools.count(1)
        # Socket Mode: each app-level token apps.connections.open accepts, and what hands out
        # its URLs (one Socket Mode server per app).
        self._socket_apps: dict[str, Callable[[], str]] = {}
        self._answers: dict[str, Callable[[Json], Json]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": lambda _: {"ok": True, "message_ts": self._next_ts()},
            "chat.update": self._update_message,
            "chat.delete": lambda a: {"ok": True, "channel": a.get("channel"), "ts": a.get("ts")},
            "chat.getPermalink": self._permalink,
            "conversations.open": self._open_conversation,
            "conversations.info": self._conversation_info,
            "conversations.members": self._conversation_members,
            "users.info": self._user_info,
            "users.lookupByEmail": self._lookup_by_email,
            "users.list": self._list_users,
            "usergroups.list": self._list_usergroups,
            "usergroups.users.list": self._usergroup_users,
            "usergroups.users.update": self._update_usergroup_users,
            "conversations.setTopic": self._set_topic,
            "views.open": self._view,
            "views.push": self._view,
            "views.update": self._view,
            "views.publish": self._view,
        }

    # Lifecycle

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("FakeSlack is already started")
        self._server = _Server(self)
        # A short poll interval so stop() returns promptly at each test's teardown.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-slack",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_open_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
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
        """Base URL for `WebClient(base_url=...)`."""
        return f"{self._origin()}{API_PREFIX}"

    @property
    def connections_opened(self) -> int:
        """Client connections accepted so far (a kept-alive one counts once)."""
        return 0 if self._server is None else self._server.connections_opened

    def close_idle_connections(self) -> None:
        """Close every client connection now, as Slack's servers close idle kept-alive ones."""
        if self._server is not None:
            self._server.close_open_connections()

    def response_url(self, token: str = "r1") -> str:
        """A response_url to put in an interactive payload; posts to it land in `responses`.

        As Slack's, it takes RESPONSE_URL_USES posts within RESPONSE_URL_LIFE_S of being
        handed out (here: of this call); past either, a post is refused (404)."""
        with self._lock:
            self._response_issued.setdefault(token, self.clock())
        return f"{self._origin()}{RESPONSE_PREFIX}{token}"

    def _origin(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    # Setup

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        email: str | None = None,
        is_bot: bool = False,
        tz: str = "Europe/London",
        real_name: str | None = None,
        kind: str = "member",
        team_id: str = TEAM_ID,
    ) -> None:
        """Register a user for users.info, users.lookupByEmail and users.list.

        `kind` is one of Slack's kinds of people: a full "member", a multi-channel "guest"
        (is_restricted), a "single-channel-guest" (is_restricted and is_ultra_restricted), or
        an "external" person from another organization in a shared channel (is_stranger,
        with `team_id` their own workspace's).
        """
        if kind not in USER_KINDS:
            raise ValueError(f"kind must be one of {', '.join(USER_KINDS)}, not {kind!r}")
        user = _user(user_id, name=name, email=email, is_bot=is_bot, tz=tz, real_name=real_name)
        user.update(USER_KINDS[kind], team_id=team_id)
        with self._lock:
            self._users[user_id] = user

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str,
        members: tuple[str, ...] = (),
        ext_shared: bool = False,
    ) -> None:
        """Register a channel for conversations.info and conversations.members; `ext_shared`
        is a Slack Connect channel, shared with another organization."""
        with self._lock:
            self._channels[channel_id] = {
                "id": channel_id,
                "name": name,
                "members": list(members),
                "is_ext_shared": ext_shared,
            }

    def serve_socket_mode(self, new_url: Callable[[], str], *, app_token: str) -> None:
        """Answer apps.connections.open for `app_token` with a URL from `new_url`
        (FakeSocketMode.new_url); other app-level tokens are invalid_auth."""
        with self._lock:
            self._socket_apps[app_token] = new_url

    def add_usergroup(self, group_id: str, *, handle: str, users: tuple[str, ...] = ()) -> None:
        """Register a user group (Slack's "subteam") for the usergroups.* methods."""
        with self._lock:
            self._usergroups[group_id] = {
                "id": group_id,
                "team_id": TEAM_ID,
                "is_usergroup": True,
                "name": handle.title(),
                "handle": handle,
                "date_delete": 0,
                "users": list(users),
            }

    def usergroup_users(self, group_id: str) -> list[str]:
        with self._lock:
            return list(self._usergroups[group_id]["users"])

    def edit_usergroup(self, group_id: str, users: tuple[str, ...]) -> None:
        """Someone changes the group's members by hand in Slack."""
        with self._lock:
            self._usergroups[group_id]["users"] = list(users)

    def free_plan(self) -> None:
        """The workspace is on Slack's free plan, which has no user groups."""
        with self._lock:
            self._free_plan = True

    def without_scope(self, scope: str) -> None:
        """The app was installed without this scope: methods needing it answer missing_scope."""
        with self._lock:
            self._missing_scopes.add(scope)

    def topic(self, channel_id: str) -> str:
        with self._lock:
            return self._topics.get(channel_id, "")

    def edit_topic(self, channel_id: str, topic: str) -> None:
        """Someone in the channel sets its topic by hand."""
        with self._lock:
            self._topics[channel_id] = topic

    def respond(self, method: str, payload: Json) -> None:
        """Answer every later call of `method` with `payload` instead of the default."""
        _check_known(method)
        with self._lock:
            self._overrides[method] = copy.deepcopy(payload)

    def fail(
        self,
        method: str,
        *,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail; normal answers resume afterwards.

        A 200 needs an `error` (answered as ok false); other statuses default to
        Slack's errors for them, and `retry_after` adds a Retry-After header.
        """
        _check_known(method)
        if status == 200 and error is None:
            raise ValueError("a 200 fault needs an error, e.g. error='channel_not_found'")
        default = "ratelimited" if status == 429 else "fatal_error"
        fault = _Fault(status, error or default, retry_after)
        with self._lock:
            self._faults[method].extend([fault] * times)

    def clear(self) -> None:
        """Forget recorded calls, responses and protocol errors (setup stays)."""
        with self._lock:
            self._calls.clear()
            self._responses.clear()
            self._protocol_errors.clear()

    # Inspection

    @property
    def calls(self) -> list[SlackCall]:
        with self._lock:
            return list(self._calls)

    @property
    def responses(self) -> list[ResponseCall]:
        with self._lock:
            return list(self._responses)

    @property
    def protocol_errors(self) -> list[str]:
        with self._lock:
            return list(self._protocol_errors)

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def last(self, method: str) -> SlackCall:
        calls = self.calls
        matching = [call for call in calls if call.method == method]
        if not matching:
            called = ", ".join(dict.fromkeys(call.method for call in calls)) or "none"
            raise AssertionError(f"no {method} call was made; methods called: {called}")
        return matching[-1]

    def responses_to(self, token: str) -> list[ResponseCall]:
        return [response for response in self.responses if response.token == token]

    def messages_to(self, channel_or_user: str) -> list[SlackCall]:
        """Successful chat.postMessage calls to a channel, or to a user's DM."""
        target = _conversation_id(channel_or_user)
        return [
            call
            for call in self.calls_to("chat.postMessage")
            if call.ok and _conversation_id(str(call.args.get("channel"))) == target
        ]

    def assert_no_protocol_errors(self) -> None:
        errors = self.protocol_errors
        if errors:
            listed = "\n  ".join(errors)
            raise AssertionError(f"calls Slack would reject as malformed:\n  {listed}")

    @staticmethod
    def texts(source: SlackCall | ResponseCall | Mapping[str, Any]) -> str:
        """All text of a message or view, its `text` first, then everything in its blocks."""
        return "\n".join(_texts(_root(source)))

    @staticmethod
    def find_button(source: SlackCall | ResponseCall | Mapping[str, Any], label: str) -> Json:
        """The button element whose visible label is `label`, anywhere in the blocks."""
        buttons = [node for node in _dicts(_root(source)) if node.get("type") == "button"]
        for button in buttons:
            if _label(button) == label:
                return button
        present = ", ".join(repr(_label(button)) for button in buttons) or "none"
        raise AssertionError(f"no button labelled {label!r}; buttons present: {present}")

    # Serving

    def _answer_api(self, method: str, query: str, body: bytes, headers: dict[str, str]) -> _Reply:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            args = _parse_args(query, body, content_type)
        except ValueError:
            args = {}
            problem: tuple[str, Json] | None = (
                "body is not valid JSON",
                {"ok": False, "error": "invalid_json"},
            )
        else:
            problem = self._protocol_problem(method, args)
        with self._lock:
            status, reply_headers = 200, {}
            if (auth_error := _auth_error(method, headers, args, self._socket_apps)) is not None:
                payload: Json = {"ok": False, "error": auth_error}
            elif problem is not None:
                self._protocol_errors.append(f"{method}: {problem[0]}")
                payload = problem[1]
            elif self._faults.get(method):
                fault = self._faults[method].popleft()
                status = fault.status
                payload = {"ok": False, "error": fault.error}
                if fault.retry_after is not None:
                    reply_headers["Retry-After"] = str(fault.retry_after)
            elif method in self._overrides:
                payload = copy.deepcopy(self._overrides[method])
            elif method == "apps.connections.open":
                payload = self._open_connection(args, _token(args, headers))
            else:
                payload = self._answers.get(method, lambda _: {"ok": True})(args)
            error = None if payload.get("ok") is True else str(payload.get("error"))
            self._calls.append(SlackCall(method, args, headers, status, error))
        return _Reply.of_json(payload, status, reply_headers)

    def show_ack_reply(self, token: str, body: Json) -> None:
        """What Slack does with a slash command's ack that carries a message: it shows it to
        the person, as it would a post to the command's response_url (recorded the same way)."""
        with self._lock:
            self._responses.append(ResponseCall(token, body))

    def _answer_response_url(self, token: str, body: bytes, *, port: int = 0) -> _Reply:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        with self._lock:
            if not isinstance(parsed, dict):
                self._protocol_errors.append(f"response_url {token}: body is not a JSON object")
                return _Reply.of_text("invalid_payload", 400)
            issued = self._response_issued.get(token)
            refusal = None
            if issued is not None and self.clock() - issued > RESPONSE_URL_LIFE_S:
                refusal = "expired_url"
            elif self._response_uses[token] >= RESPONSE_URL_USES:
                refusal = "used_url"
            if refusal is not None:
                self.refused_responses.append((token, refusal))
                return _Reply.of_text(refusal, 404)
            self._response_uses[token] += 1
            self._responses.append(ResponseCall(token, parsed, port))
        return _Reply.of_text("ok")

    def _protocol_problem(self, method: str, args: Json) -> tuple[str, Json] | None:
        """Why Slack would reject this call as malformed: (description, answer), or None."""
        if method not in REQUIRED_ARGS:
            return "unknown method", {"ok": False, "error": "unknown_method"}
        for name in JSON_ARGS:
            if isinstance(args.get(name), str):
                try:
                    args[name] = json.loads(args[name])
                except ValueError:
                    return f"{name} is not valid JSON", {"ok": False, "error": f"invalid_{name}"}
        if method in MESSAGE_METHODS and (wrong := _blocks_problem(args.get("blocks"))):
            answer = {
                "ok": False,
                "error": "invalid_blocks",
                "response_metadata": {"messages": [f"[ERROR] {wrong}"]},
            }
            return wrong, answer
        missing = sorted(name for name in REQUIRED_ARGS[method] if not _present(args, name))
        alternatives = AT_LEAST_ONE_OF.get(method, frozenset())
        if alternatives and not any(_present(args, name) for name in alternatives):
            missing.append("one of " + ", ".join(sorted(alternatives)))
        if not missing:
            return None
        messages = [f"[ERROR] missing required field: {name}" for name in missing]
        answer = {
            "ok": False,
            "error": "invalid_arguments",
            "response_metadata": {"messages": messages},
        }
        return "; ".join(message.removeprefix("[ERROR] ") for message in messages), answer

    # Default answers; called with the lock held.

    def _next_ts(self) -> str:
        micros = next(self._ts_counter) * 100
        return f"{FIRST_TS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _open_connection(self, args: Json, token: str) -> Json:
        return {"ok": True, "url": self._socket_apps[token]()}

    def _auth_test(self, args: Json) -> Json:
        return {
            "ok": True,
            "url": WORKSPACE_URL,
            "team": "Acme",
            "user": "rotabot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _post_message(self, args: Json) -> Json:
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
            "ts": ts,
        }
        return {
            "ok": True,
            "channel": _conversation_id(str(args["channel"])),
            "ts": ts,
            "message": message,
        }

    def _update_message(self, args: Json) -> Json:
        return {
            "ok": True,
            "channel": _conversation_id(str(args["channel"])),
            "ts": args["ts"],
            "text": args.get("text", ""),
        }

    def _permalink(self, args: Json) -> Json:
        channel, ts = args["channel"], str(args["message_ts"])
        permalink = f"{WORKSPACE_URL}archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _open_conversation(self, args: Json) -> Json:
        users = _id_list(args.get("users"))
        channel_id = _conversation_id(users[0]) if users else str(args["channel"])
        return {"ok": True, "channel": {"id": channel_id}}

    def _conversation_info(self, args: Json) -> Json:
        channel_id = str(args.get("channel", ""))
        known = self._channels.get(channel_id)
        name = known["name"] if known else channel_id.lower()
        shared = bool(known and known["is_ext_shared"])
        channel = {
            "id": channel_id,
            "name": name,
            "is_member": True,
            "is_shared": shared,
            "is_ext_shared": shared,
            "topic": {"value": self._topics.get(channel_id, ""), "creator": "", "last_set": 0},
        }
        return {"ok": True, "channel": channel}

    def _conversation_members(self, args: Json) -> Json:
        known = self._channels.get(str(args.get("channel", "")))
        members = list(known["members"]) if known else []
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _user_info(self, args: Json) -> Json:
        user_id = args.get("user")
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        user = self._users.get(user_id) or _user(
            user_id, name=user_id.lower(), email=f"{user_id.lower()}@example.com"
        )
        return {"ok": True, "user": copy.deepcopy(user)}

    def _lookup_by_email(self, args: Json) -> Json:
        email = str(args["email"]).lower()
        for user in self._users.values():
            if str(user["profile"].get("email", "")).lower() == email:
                return {"ok": True, "user": copy.deepcopy(user)}
        return {"ok": False, "error": "users_not_found"}

    def _list_users(self, args: Json) -> Json:
        members = copy.deepcopy(list(self._users.values()))
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _refusal(self, method: str, channel: str = "") -> Json | None:
        """Slack's answer when the workspace's plan or the app's scopes do not allow `method`."""
        if method.startswith("usergroups.") and self._free_plan:
            return {"ok": False, "error": "paid_teams_only"}
        needed = SCOPE_OF.get(method, ())
        if method == "conversations.setTopic":
            needed = needed[1:] if channel.startswith("G") else needed[:1]
        missing = [scope for scope in needed if scope in self._missing_scopes]
        if missing:
            return {"ok": False, "error": "missing_scope", "needed": ",".join(missing)}
        return None

    def _list_usergroups(self, args: Json) -> Json:
        if refused := self._refusal("usergroups.list"):
            return refused
        groups = []
        for group in self._usergroups.values():
            listed = {k: v for k, v in group.items() if k != "users"}
            listed["user_count"] = len(group["users"])
            groups.append(copy.deepcopy(listed))
        return {"ok": True, "usergroups": groups}

    def _usergroup_users(self, args: Json) -> Json:
        if refused := self._refusal("usergroups.users.list"):
            return refused
        group = self._usergroups.get(str(args["usergroup"]))
        if group is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(group["users"])}

    def _update_usergroup_users(self, args: Json) -> Json:
        if refused := self._refusal("usergroups.users.update"):
            return refused
        group = self._usergroups.get(str(args["usergroup"]))
        if group is None:
            return {"ok": False, "error": "no_such_subteam"}
        users = _id_list(args.get("users"))
        # Slack refuses to empty a group (usergroups.disable does that) ...
        if not users:
            return {"ok": False, "error": "no_users_provided"}
        # ... and to hold bots or guests.
        for user_id in users:
            user = self._users.get(user_id, {})
            if user.get("is_ultra_restricted"):
                return {"ok": False, "error": "single_channel_guests_cannot_be_added"}
            if user.get("is_bot") or user.get("is_restricted") or user.get("is_stranger"):
                return {"ok": False, "error": "invalid_users"}
        group["users"] = list(dict.fromkeys(users))
        listed = {k: v for k, v in group.items() if k != "users"}
        return {"ok": True, "usergroup": {**copy.deepcopy(listed), "users": list(group["users"])}}

    def _set_topic(self, args: Json) -> Json:
        channel_id = str(args["channel"])
        if "topic" not in args:
            self._protocol_errors.append("conversations.setTopic: missing topic")
            return {"ok": False, "error": "invalid_arguments"}
        if refused := self._refusal("conversations.setTopic", channel_id):
            return refused
        topic = str(args["topic"])
        if len(topic) > TOPIC_MOST:
            return {"ok": False, "error": "too_long"}
        self._topics[channel_id] = topic
        return {
            "ok": True,
            "channel": {"id": channel_id, "topic": {"value": topic, "creator": BOT_USER_ID}},
        }

    def _view(self, args: Json) -> Json:
        number = next(self._view_counter)
        given = args.get("view")
        view = copy.deepcopy(given) if isinstance(given, dict) else {}
        view_id = args.get("view_id") or f"V{number:08d}"
        view.update(id=view_id, team_id=TEAM_ID, hash=f"{FIRST_TS}.{number:08d}")
        return {"ok": True, "view": view}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: a burst of new connections past that has its
    # handshakes dropped and retried by the client's kernel a second later, a stall no real
    # service of this size makes its callers wait.
    request_queue_size = 128

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.open_connections: set[socket.socket] = set()
        self.connections_opened = 0
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A kept-alive connection closed under its handler (by the client, or by stop()) is
        # how such connections end, not an error of the fake.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def close_open_connections(self) -> None:
        """Close every client connection, as a server does to idle keep-alive ones."""
        with self.connections_lock:
            connections = list(self.open_connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client closed it first


class _Handler(BaseHTTPRequestHandler):
    # Small answers must leave at once, not wait on the client's delayed ACK.
    disable_nagle_algorithm = True
    # Like Slack: HTTP/1.1, so a client may keep its connection for the next request (urllib
    # asks to close it); one idle this long is closed.
    protocol_version = "HTTP/1.1"
    timeout = KEEP_ALIVE_S

    def setup(self) -> None:
        super().setup()
        server = cast(_Server, self.server)
        with server.connections_lock:
            server.open_connections.add(self.connection)
            server.connections_opened += 1

    def finish(self) -> None:
        server = cast(_Server, self.server)
        with server.connections_lock:
            server.open_connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the fake records what it serves, and test output stays readable."""

    def _serve(self, body: bytes) -> None:
        fake = cast(_Server, self.server).fake
        url = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        if url.path.startswith(API_PREFIX):
            method = url.path.removeprefix(API_PREFIX)
            reply = fake._answer_api(method, url.query, body, headers)
        elif url.path.startswith(RESPONSE_PREFIX) and self.command == "POST":
            token = url.path.removeprefix(RESPONSE_PREFIX)
            reply = fake._answer_response_url(token, body, port=self.client_address[1])
        else:
            reply = _Reply.of_text("not found", 404)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


def _parse_args(query: str, body: bytes, content_type: str) -> Json:
    """Query string arguments merged with the body's, which win; ValueError on bad JSON."""
    args: Json = dict(parse_qsl(query, keep_blank_values=True))
    if content_type == "application/json" and body:
        parsed = json.loads(body)
        if not isinstance(parsed, dict):
            raise ValueError("a JSON body must be an object")
        args.update(parsed)
    elif body:
        args.update(parse_qsl(body.decode(), keep_blank_values=True))
    return args


def _auth_error(
    method: str, headers: dict[str, str], args: Json, app_tokens: Mapping[str, object]
) -> str | None:
    """Slack's error for a missing or wrong kind of token, or None when the token is fine.

    Methods of the app itself (apps.connections.open) take only the app-level token (xapp-);
    every other method a bot token (xoxb-)."""
    token = _token(args, headers)
    if not token:
        return "not_authed"
    if method in APP_TOKEN_METHODS:
        if token.startswith("xoxb-"):
            return "not_allowed_token_type"
        return None if token in app_tokens else "invalid_auth"
    if token.startswith("xapp-"):
        return "not_allowed_token_type"
    return None if token.startswith("xoxb-") else "invalid_auth"


def _token(args: Json, headers: dict[str, str]) -> str:
    authorization = headers.get("authorization", "")
    return authorization.removeprefix("Bearer ").strip() or str(args.get("token") or "")


# Methods whose `blocks` make a message: Slack allows 50 blocks, each block_id once.
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
MAX_MESSAGE_BLOCKS = 50


def _blocks_problem(blocks: Any) -> str | None:
    if not isinstance(blocks, list):
        return None
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        return f"no more than {MAX_MESSAGE_BLOCKS} items allowed [json-pointer:/blocks]"
    seen: set[str] = set()
    for number, block in enumerate(blocks):
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is None:
            continue
        if block_id in seen:
            return f"duplicate block_id {block_id!r} [json-pointer:/blocks/{number}/block_id]"
        seen.add(block_id)
    return None


def _check_known(method: str) -> None:
    if method not in REQUIRED_ARGS:
        raise ValueError(f"{method} is not in REQUIRED_ARGS (tests/fakes/slack_methods.py)")


def _present(args: Json, name: str) -> bool:
    return args.get(name) not in (None, "")


def _conversation_id(channel: str) -> str:
    """Where a post to `channel` lands: a user id means that user's DM, as Slack does."""
    return f"D{channel}" if channel[:1] in ("U", "W") else channel


def _id_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _user(
    user_id: str,
    *,
    name: str,
    email: str | None,
    is_bot: bool = False,
    tz: str = "Europe/London",
    real_name: str | None = None,
) -> Json:
    full_name = real_name or name
    profile: Json = {"display_name": name, "real_name": full_name}
    if email is not None:
        profile["email"] = email
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "real_name": full_name,
        "tz": tz,
        "is_bot": is_bot,
        "deleted": False,
        "profile": profile,
    }


def _root(source: SlackCall | ResponseCall | Mapping[str, Any]) -> Json:
    if isinstance(source, SlackCall):
        return source.args
    if isinstance(source, ResponseCall):
        return source.body
    return dict(source)


def _dicts(node: Any) -> Iterator[Json]:
    """Every dict nested anywhere in `node`, outermost first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _dicts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _dicts(item)


def _texts(node: Any) -> Iterator[str]:
    for found in _dicts(node):
        if isinstance(found.get("text"), str):
            yield found["text"]


def _label(button: Json) -> str | None:
    text = button.get("text")
    return text.get("text") if isinstance(text, dict) else None
