"""The fake Zendesk's rate limits: per-minute budgets on its own clock, as the real one keeps.

Zendesk counts requests per account per minute (200 on Team, 400 on Growth and Professional,
700 on Enterprise, 2,500 with High Volume) and, separately, incremental export calls (10 a
minute, 30 with High Volume). Every answer carries X-Rate-Limit, X-Rate-Limit-Remaining,
ratelimit-limit, ratelimit-remaining and ratelimit-reset; a request over the budget gets 429
with Retry-After (seconds to the end of the minute). The window is the clock's minute, so a
test that moves the fake's clock moves the windows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

PLANS: dict[str, int] = {
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "high-volume": 2500,
}
EXPORTS_PER_MINUTE = 10
EXPORT_PREFIX = "/api/v2/incremental/"


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str]


@dataclass
class RateLimits:
    requests_per_minute: int = PLANS["team"]
    exports_per_minute: int = EXPORTS_PER_MINUTE
    used: dict[tuple[str, int], int] = field(default_factory=dict)
    # An injected 429 (a spike elsewhere on the account): everything is refused until then.
    blocked_until: float = 0.0
    refused: int = 0

    def check(self, path: str, now: datetime) -> Verdict:
        """Count one request; say whether it is allowed, with the headers every answer carries."""
        stamp = now.timestamp()
        minute = int(stamp // 60)
        reset = max(1, math.ceil((minute + 1) * 60 - stamp))
        account = self.used.get(("account", minute), 0)
        exports = self.used.get(("export", minute), 0)
        is_export = path.startswith(EXPORT_PREFIX)
        over = account >= self.requests_per_minute or (
            is_export and exports >= self.exports_per_minute
        )
        # Retry-After: until the minute resets when its budget is spent; until a block ends
        # when one holds (a spike elsewhere); the later of the two when both.
        retry_after = reset if over else 0
        if stamp < self.blocked_until:
            over = True
            retry_after = max(retry_after, math.ceil(self.blocked_until - stamp))
            reset = max(reset, math.ceil(self.blocked_until - stamp))
        if not over:
            account += 1
            self.used[("account", minute)] = account
            if is_export:
                self.used[("export", minute)] = exports + 1
        remaining = max(0, self.requests_per_minute - account)
        headers = {
            "X-Rate-Limit": str(self.requests_per_minute),
            "X-Rate-Limit-Remaining": str(remaining),
            "ratelimit-limit": str(self.requests_per_minute),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
        }
        if over:
            self.refused += 1
            headers["Retry-After"] = str(retry_after)
        return Verdict(not over, headers)

    def block(self, now: datetime, seconds: int) -> None:
        self.blocked_until = max(self.blocked_until, now.timestamp() + seconds)
