"""HubSpot's API rate limits on the stand-in: the rolling ten-second window per app, the search API's
per-second limit and the daily quota, with HubSpot's 429 bodies and rate-limit headers.

From https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines: 100 requests
per 10 seconds per app on Free and Starter, 190 on Professional and Enterprise; 250,000 a day on
Free and Starter, 625,000 on Professional, 1,000,000 on Enterprise, reset "at midnight based on your
time zone setting"; the `X-HubSpot-RateLimit-*` headers; "message and policyName will indicate which
limit you hit". The search endpoints are exempt from the ten-second window
(`x-hubspot-rate-limit-exemptions: ["ten-secondly"]` in HubSpot's CRM search specs) and take "four
requests per second" (https://developers.hubspot.com/changelog/crm-search-api-rate-limit-increase).
HubSpot documents no Retry-After on these 429s, so the stand-in sends none. The 429 bodies are
HubSpot's documented daily one and the ten-second and search ones real portals answer.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class RateLimitPlan:
    """One private app's limits in one portal (Professional by default)."""

    per_ten_seconds: int = 190
    search_per_second: int = 4
    daily: int = 625_000
    time_zone: str = "UTC"
    # HubSpot's window is ten seconds; a test may shorten it (the headers say how long it is).
    window_s: float = 10.0


@dataclass(frozen=True)
class Refusal:
    """A 429 HubSpot would answer: its body and headers."""

    body: dict[str, Any]
    headers: dict[str, str]


class RateLimiter:
    """Counts requests against a plan. The windows run on the wall clock (they limit how fast requests
    really come); the day is HubSpot's clock's, so advancing the local clock past midnight resets it."""

    def __init__(
        self,
        plan: RateLimitPlan,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self._searches: deque[float] = deque()
        self._day: date | None = None
        self._used_today = 0
        self.refused: dict[str, int] = {"TEN_SECONDLY_ROLLING": 0, "SECONDLY": 0, "DAILY": 0}

    def admit(self, search: bool) -> tuple[Refusal | None, dict[str, str]]:
        """Count one request: the 429 to answer instead (None: serve it), and the headers either way."""
        with self._lock:
            now = self._monotonic()
            self._roll_day()
            _expire(self._window, now - self.plan.window_s)
            _expire(self._searches, now - 1.0)
            policy = self._exceeded(search)
            if policy is None:
                self._used_today += 1
                (self._searches if search else self._window).append(now)
            headers = self._headers()
            if policy is None:
                return None, headers
            self.refused[policy] += 1
            return Refusal(RATE_LIMIT_BODIES[policy] | {"correlationId": str(uuid.uuid4())}, headers), headers

    def _exceeded(self, search: bool) -> str | None:
        if self._used_today >= self.plan.daily:
            return "DAILY"
        if search:
            return "SECONDLY" if len(self._searches) >= self.plan.search_per_second else None
        return "TEN_SECONDLY_ROLLING" if len(self._window) >= self.plan.per_ten_seconds else None

    def _roll_day(self) -> None:
        today = self._clock().astimezone(ZoneInfo(self.plan.time_zone)).date()
        if today != self._day:
            self._day, self._used_today = today, 0

    def _headers(self) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Daily": str(self.plan.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.plan.daily - self._used_today)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.plan.window_s * 1000)),
            "X-HubSpot-RateLimit-Max": str(self.plan.per_ten_seconds),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.plan.per_ten_seconds - len(self._window))),
        }


def _expire(times: deque[float], before: float) -> None:
    while times and times[0] <= before:
        times.popleft()


RATE_LIMIT_BODIES: Final[dict[str, dict[str, Any]]] = {
    "TEN_SECONDLY_ROLLING": {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "policyName": "TEN_SECONDLY_ROLLING",
        "groupName": "publicapi:private-app-api-calls-ten-secondly",
    },
    "SECONDLY": {
        "status": "error",
        "message": "You have reached your secondly limit.",
        "errorType": "RATE_LIMIT",
        "policyName": "SECONDLY",
        "category": "RATE_LIMITS",
    },
    "DAILY": {
        "status": "error",
        "message": "You have reached your daily limit.",
        "errorType": "RATE_LIMIT",
        "policyName": "DAILY",
    },
}
