"""HubSpot's answers as leadflow's errors, and the retry policy its rate limits call for.

Errors come out as typed exceptions whose class names the journey's Retry rules match (Lambda
reports the exception class as the error type); a refused write names each refused property with
the value leadflow sent.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self

from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from leadflow.app.ports import (
    HubSpotError,
    HubSpotQuotaExhausted,
    HubSpotRateLimited,
    HubSpotRequiredProperty,
    HubSpotUnavailable,
)
from leadflow.observability import count, logger

# How many 429s one call sits out before the caller's own retry (the journey's Retry, SQS
# redelivery) takes over: each waits for HubSpot's ten-second window, and a Lambda has 30 s.
RATE_LIMIT_WAITS: Final = 2
_VALIDATION_PREFIX: Final = "Property values were not valid: "
# The portal rules 2026-09 enforces on CRM writes: a property required on create (the object's record
# creator settings) and one required when another property has a value. HubSpot answers 400
# VALIDATION_ERROR with one `errors[]` entry per missing property: its `code`, a `message` naming the rule
# ("lead_tier is required because of a conditional property rule based on [hs_lead_status]") and
# `context.propertyName` (https://developers.hubspot.com/changelog/crm-api-write-validation-enforcement).
REQUIRED_CODES: Final = {
    "MISSING_REQUIRED_PROPERTY": "required on create by the portal's record creator settings",
    "MISSING_CONDITIONAL_REQUIRED_PROPERTY": "required by a conditional property rule of the portal",
}
# A batch read's error for ids HubSpot does not have (deleted, merged away, never there).
_NOT_FOUND: Final = "OBJECT_NOT_FOUND"


@dataclass(frozen=True)
class CallBudget:
    """The time one HubSpot call may take, retries and waits included: it must end by `deadline`
    (time.monotonic()), and one attempt takes at most `attempt_s`."""

    deadline: float
    attempt_s: float


# The budget of the HubSpot call running on this thread (None: no limit), read by HubSpotRetry.
CALL_BUDGET: ContextVar[CallBudget | None] = ContextVar("hubspot_call_budget", default=None)


class HubSpotRetry(Retry):
    """urllib3's Retry as HubSpot's rate limits want it.

    Every 429 is counted. A full ten-second window is waited out: HubSpot sends no Retry-After
    on these, but says the window's length and what is left of it in its `X-HubSpot-RateLimit-*`
    headers (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines), so
    the wait is a random part of that window, which spreads the callers out. A spent daily quota
    is not retried at all: nothing changes before it resets.
    """

    # What the next sleep waits, decided when the attempt failed (the rate-limit wait is random).
    _wait: float = 0.0

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if response is not None and response.status == 429:
            count("HubSpotRateLimited")
            limited = sum(1 for h in self.history if h.status == 429)
            if _daily_quota_spent(response) or limited >= RATE_LIMIT_WAITS:
                # With raise_on_status off, urllib3 hands the 429 itself to the client.
                raise MaxRetryError(_pool, url or "", "HubSpot rate limit")  # type: ignore[arg-type]
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        retry._wait = retry._next_wait(response)
        budget = CALL_BUDGET.get()
        if budget is not None and time.monotonic() + retry._wait + budget.attempt_s > budget.deadline:
            # The wait and one more attempt would outlast the function: its caller's retry (the journey's
            # Retry, SQS redelivery) takes over instead of Lambda's timeout.
            raise MaxRetryError(_pool, url or "", "no time left for another attempt")  # type: ignore[arg-type]
        return retry

    def _next_wait(self, response: BaseHTTPResponse | None) -> float:
        if response is not None and self.respect_retry_after_header:
            after = self.get_retry_after(response)
            if after is not None:
                return after
        return self.get_backoff_time()

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait as `increment` decided, so what was checked against the deadline is what is waited."""
        if self._wait > 0:
            time.sleep(self._wait)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        given = super().get_retry_after(response)
        headers = response.headers
        if given is None and response.status == 429 and headers.get("X-HubSpot-RateLimit-Remaining") == "0":
            window_s = int(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds") or 10_000) / 1000
            return random.uniform(window_s / 2, window_s)  # noqa: S311 - spreading retries, not security
        return given


def _daily_quota_spent(response: BaseHTTPResponse) -> bool:
    return response.headers.get("X-HubSpot-RateLimit-Daily-Remaining") == "0"


def hubspot_error(status: int | None, message: str, policy: str = "") -> HubSpotError:
    """The typed error for a HubSpot answer: 429 and 5xx (or no answer at all) are worth retrying,
    a spent daily quota only once it resets."""
    text = f"HubSpot answered {status}" + (f": {message}" if message else "")
    if status == 429:
        if policy == "DAILY":
            count("HubSpotQuotaExhausted")
            return HubSpotQuotaExhausted(text, status)
        return HubSpotRateLimited(text, status)
    if status is None or status == 0 or status >= 500:
        return HubSpotUnavailable(text if status else f"HubSpot unreachable: {message}", status)
    return HubSpotError(text, status)


def translate(exc: Exception, sent: Mapping[str, str] | None = None) -> HubSpotError:
    """The error for an exception the generated client raised; `sent` the properties written, so a
    refusal names each refused one with its value, and a portal rule's refusal the rule."""
    status = getattr(exc, "status", None)
    body = getattr(exc, "body", None)
    answer: dict[str, Any] = {}
    if body:
        try:
            parsed = json.loads(body)
            answer = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            answer = {"message": str(body)[:200]}
    required = required_properties(answer)
    if required is not None:
        return required
    message = refused_properties(str(answer.get("message", "")), sent or {})
    return hubspot_error(status, message or ("" if status else str(exc)), str(answer.get("policyName", "")))


def required_properties(
    answer: Mapping[str, Any], status: int | None = 400
) -> HubSpotRequiredProperty | None:
    """The refusal of a write the portal's rules require more of, naming each missing property and its
    rule; None for any other answer."""
    details = [
        e for e in answer.get("errors") or [] if isinstance(e, dict) and e.get("code") in REQUIRED_CODES
    ]
    if not details:
        return None
    names: list[str] = []
    parts = []
    for detail in details:
        named = (detail.get("context") or {}).get("propertyName") or ["?"]
        names += [str(n) for n in named]
        rule = REQUIRED_CODES[str(detail["code"])]
        parts.append(f"{', '.join(map(str, named))}: {rule}: {detail.get('message', '')} ({detail['code']})")
    message = (
        f"HubSpot answered {status}: the portal's validation rules refuse the write: "
        + "; ".join(parts)
        + ". Set the property in HubSpot's rule or in leadflow's configuration; retrying will not help"
    )
    return HubSpotRequiredProperty(message, tuple(dict.fromkeys(names)), status)


def batch_refusal(
    answer: Mapping[str, Any], sent: Mapping[str, str], missing_ok: bool
) -> HubSpotError | None:
    """The error a batch answer carries for the inputs it did not do, or None. Legacy batches answer
    such errors in a 207, dated ones may in a 200 (`errors`, `numErrors`); either way they are read
    (https://developers.hubspot.com/docs/api-reference/legacy/migration-guide). With `missing_ok`, ids
    HubSpot does not have are no error (a batch read leaves them out)."""
    errors = [e for e in answer.get("errors") or [] if isinstance(e, dict)]
    if missing_ok:
        errors = [e for e in errors if e.get("category") != _NOT_FOUND]
    if not errors:
        return None
    required = required_properties({"errors": [d for e in errors for d in e.get("errors") or [e]]})
    if required is not None:
        return required
    first = errors[0]
    status = 404 if first.get("category") == _NOT_FOUND else _status_of(first)
    messages = "; ".join(refused_properties(str(e.get("message", "")), sent) for e in errors)
    return hubspot_error(status, f"{len(errors)} of the batch refused: {messages}")


def _status_of(error: Mapping[str, Any]) -> int:
    status = str(error.get("status", ""))
    return int(status) if status.isdigit() else 400


def log_warnings(answer: Mapping[str, Any], path: str) -> None:
    """Log the warnings a dated answer may carry (a value HubSpot stored normalized, such as a date it
    moved to midnight): what HubSpot kept differs from what was sent, which is worth knowing."""
    for warning in answer.get("warnings") or []:
        if isinstance(warning, dict):
            count("HubSpotWarnings")
            logger.warning(
                "HubSpot answered with a warning",
                path=path,
                category=warning.get("category"),
                warning=warning.get("message"),
                context=warning.get("context"),
            )


def refused_properties(message: str, sent: Mapping[str, str]) -> str:
    """HubSpot's validation message ("Property values were not valid: [{...}]", its JSON list of
    refusals) as one line per refused property, with the value sent; other messages as they are."""
    if not message.startswith(_VALIDATION_PREFIX):
        return message
    try:
        refusals = json.loads(message.removeprefix(_VALIDATION_PREFIX))
    except ValueError:
        return message
    parts = []
    for refusal in refusals if isinstance(refusals, list) else []:
        name = str(refusal.get("name", "?"))
        value = f"={sent[name]!r}" if name in sent else ""
        parts.append(f"{name}{value}: {refusal.get('message', '')} ({refusal.get('error', '')})")
    return "refused " + "; ".join(parts) if parts else message
