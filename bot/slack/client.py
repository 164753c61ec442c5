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


def make_slack_client(
    *, token: str | None, base_url: str, sleep: Sleep = time.sleep, timeout: int = 10
) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            SleepingRetry(connection_error, max_retry_count=2, sleep=sleep),
            SleepingRetry(rate_limited, max_retry_count=3, sleep=sleep, honour_retry_after=True),
            SleepingRetry(server_error, max_retry_count=2, sleep=sleep),
        ],
    )
