"""The Slack Web API client: one place that sets its base URL and its retries."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

Sleep = Callable[[float], None]

# Longest Retry-After we wait out inside one call; longer limits fail the call and a
# later run (jobs) or the person (handlers) tries again.
MAX_RETRY_AFTER = 60.0


class _SleepingRetry(RetryHandler):
    """A retry handler whose waiting is injectable, so tests never sleep for real."""

    def __init__(self, *, max_retry_count: int, sleep: Sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep

    def wait_before(self, state: RetryState, response: HttpResponse | None) -> float:
        return float(0.5 * 2**state.current_attempt + random.random() / 4)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self.sleep(self.wait_before(state, response))
        state.increment_current_attempt()


class RateLimitRetry(_SleepingRetry):
    """HTTP 429: wait exactly as long as Slack's Retry-After asks."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and retry_after(response) <= MAX_RETRY_AFTER
        )

    def wait_before(self, state: RetryState, response: HttpResponse | None) -> float:
        return retry_after(response) if response is not None else 1.0


class ServerErrorRetry(_SleepingRetry):
    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code >= 500


class ConnectionRetry(_SleepingRetry):
    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is None and isinstance(error, OSError)


def retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                break
    return 1.0


def make_slack_client(
    *, token: str | None, base_url: str, sleep: Sleep = time.sleep, timeout: int = 10
) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionRetry(max_retry_count=2, sleep=sleep),
            RateLimitRetry(max_retry_count=3, sleep=sleep),
            ServerErrorRetry(max_retry_count=2, sleep=sleep),
        ],
    )
