"""The Slack Web API client: one place that sets its base URL and its retries, and that
sends its calls over kept-alive connections."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urljoin

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.slack_response import SlackResponse

from bot.kept import Answer, KeptConnections

Sleep = Callable[[float], None]

# Longest Retry-After we wait out inside one call; longer limits fail the call and a
# later run (jobs) or the person (handlers) tries again.
MAX_RETRY_AFTER = 60.0


Retryable = Callable[[HttpResponse | None, Exception | None], bool]


class SleepingRetry(RetryHandler):
    """Retries what `retryable` accepts; its waiting is injectable, so tests never sleep."""

    def __init__(
        self,
        retryable: Retryable,
        *,
        max_retry_count: int,
        sleep: Sleep,
        honour_retry_after: bool = False,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.retryable = retryable
        self.sleep = sleep
        self.honour_retry_after = honour_retry_after

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return self.retryable(response, error)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        if self.honour_retry_after and response is not None:
            self.sleep(retry_after(response))
        else:
            self.sleep(0.5 * 2**state.current_attempt + random.random() / 4)
        state.increment_current_attempt()


def rate_limited(response: HttpResponse | None, error: Exception | None) -> bool:
    return (
        response is not None
        and response.status_code == 429
        and retry_after(response) <= MAX_RETRY_AFTER
    )


def server_error(response: HttpResponse | None, error: Exception | None) -> bool:
    return response is not None and response.status_code >= 500


def connection_error(response: HttpResponse | None, error: Exception | None) -> bool:
    return response is None and isinstance(error, OSError)


def retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                break
    return 1.0


class KeptAliveWebClient(WebClient):
    """slack_sdk's WebClient, its calls sent over connections kept open (bot.kept).

    WebClient opens a new connection for every call (urllib): towards Slack a TCP and a TLS
    handshake, two round trips more per call. `api_call`, the public method every one of
    WebClient's methods calls, is overridden to send the same request (form fields or JSON,
    the token as a bearer header, the client's own headers, its default parameters) and to
    answer the same SlackResponse, retried by the client's own retry handlers as WebClient
    retries. File uploads, Basic auth, absolute URLs, fields that are not plain values and
    proxies go to WebClient's own `api_call`; so do the further pages of a response iterated
    over (slack_sdk fetches those itself).
    """

    def __init__(self, *args: Any, connections: KeptConnections | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.connections = connections or KeptConnections(timeout=float(self.timeout))

    def __deepcopy__(self, memo: dict[int, Any]) -> KeptAliveWebClient:
        # One per process, shared: Bolt deep-copies a request's context for lazy listeners.
        return self

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> SlackResponse:
        if (
            files is not None
            or auth is not None
            or self.proxy is not None
            or self.ssl is not None
            or self.connections.proxied
            or api_method.startswith(("http:", "https:"))
            or not (_plain(data) and _plain(params))
        ):
            return super().api_call(
                api_method,
                http_verb=http_verb,
                files=files,
                data=data,
                params=params,
                json=json,
                headers=headers,
                auth=auth,
            )
        if json is not None and http_verb != "POST":
            raise SlackRequestError(
                "Json data can only be submitted as POST requests. "
                "GET requests should use the 'params' argument."
            )
        token = self.token
        fields: dict[str, Any] | None = None
        if params is not None or data is not None:
            fields = {k: v for k, v in {**(params or {}), **(data or {})}.items() if v is not None}
            fields = {k: _form_value(v) for k, v in {**self.default_params, **fields}.items()}
            token = fields.pop("token", token)
        body_json: dict[str, Any] | None = None
        if json is not None:
            body_json = {**self.default_params, **json}
            token = body_json.pop("token", token)
        sent = {**self.headers, **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if body_json is not None:
            body = _json_dumps(body_json).encode()
            sent["Content-Type"] = "application/json;charset=utf-8"
        else:
            body = urlencode(fields or {}).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        url = urljoin(self.base_url, api_method.lstrip("/"))
        answer = self._send(url, body, sent)
        text = answer.body.decode("utf-8", errors="replace")
        req_args = {
            "headers": sent,
            "data": None,
            "files": None,
            "params": fields,
            "json": body_json,
            "auth": None,
        }
        try:
            parsed = _json_loads(text) if text else {}
        except ValueError:
            flat = "".join(line.strip() for line in text.replace("\r", "\n").split("\n"))
            raise SlackApiError(
                f"Received a response in a non-JSON format: {flat[:100]}",
                {"status": answer.status, "headers": answer.headers, "body": text},
            ) from None
        return SlackResponse(
            client=self,
            http_verb="POST",
            api_url=url,
            req_args=req_args,
            data=parsed,
            headers=answer.headers,
            status_code=answer.status,
        ).validate()

    def _send(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """One call, retried as the client's retry handlers say (WebClient's loop)."""
        state = RetryState()
        request = HttpRequest(method="POST", url=url, headers=dict(headers), data=body)
        while True:
            state.next_attempt_requested = False
            try:
                answer = self.connections.request("POST", url, body, headers)
            except Exception as error:
                self._logger.error(f"Failed to send a request to Slack API server: {error}")
                self._retry_if_asked(state, request, None, error)
                if not state.next_attempt_requested:
                    raise
                continue
            text = answer.body.decode("utf-8", errors="replace")
            response = HttpResponse(
                status_code=answer.status,
                headers={name: [value] for name, value in answer.headers.items()},
                body=_json_loads(text) if text.startswith("{") else {},
                data=answer.body,
            )
            self._retry_if_asked(state, request, response, None)
            if not state.next_attempt_requested:
                return answer

    def _retry_if_asked(
        self,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None,
        error: Exception | None,
    ) -> None:
        for handler in self.retry_handlers:
            if handler.can_retry(state=state, request=request, response=response, error=error):
                handler.prepare_for_next_attempt(
                    state=state, request=request, response=response, error=error
                )
                return


_json_dumps = json.dumps
_json_loads = json.loads


def _plain(values: dict[str, Any] | None) -> bool:
    """Form fields WebClient sends as they are: no lists or objects to serialize."""
    return values is None or not any(isinstance(v, list | dict | tuple) for v in values.values())


def _form_value(value: Any) -> str:
    """As WebClient sends it: booleans as 1 and 0."""
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value)


def make_slack_client(
    *, token: str | None, base_url: str, sleep: Sleep = time.sleep, timeout: int = 10
) -> KeptAliveWebClient:
    return KeptAliveWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            SleepingRetry(connection_error, max_retry_count=2, sleep=sleep),
            SleepingRetry(rate_limited, max_retry_count=3, sleep=sleep, honour_retry_after=True),
            SleepingRetry(server_error, max_retry_count=2, sleep=sleep),
        ],
    )
