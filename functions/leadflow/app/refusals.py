"""Why a request is refused: the errors the API use cases raise, mapped to HTTP answers in one place
(`leadflow.handlers.http`)."""

from __future__ import annotations

from collections.abc import Callable

from leadflow.app.ports import EnqueueError, HubSpotError, HubSpotRateLimited, HubSpotUnavailable
from leadflow.observability import logger


class RequestRefused(Exception):
    """A request leadflow does not act on; the message says why (never a secret)."""


class Unauthenticated(RequestRefused):
    """The request is not provably from who it claims to be (answered 401, nothing changes)."""


class MalformedRequest(RequestRefused):
    """The request can never be accepted as it is: the message names what is wrong (400)."""


class TooLarge(RequestRefused):
    """The body is larger than leadflow takes (413)."""


class TryLater(RequestRefused):
    """Nothing was accepted, but the same request can succeed later (503, so the sender retries)."""


class RefusedByHubSpot(RequestRefused):
    """HubSpot refused what the request needs and would refuse it again: the record is gone, or the
    portal will not take a value (422: HubSpot stops retrying, and the workflow shows the error)."""


def hubspot_refusal(exc: HubSpotError) -> RequestRefused:
    """How a request that met a HubSpot error is answered: later (a rate limit, an outage), or never."""
    if isinstance(exc, HubSpotRateLimited | HubSpotUnavailable):
        return TryLater("HubSpot is busy or unavailable; retry later")
    return RefusedByHubSpot(f"HubSpot refused: {exc}")


def enqueue_or_try_later(send: Callable[[], object], what: str) -> None:
    """Run a queue write; when the queue refuses it, TryLater naming `what`, so the sender retries."""
    try:
        send()
    except EnqueueError as exc:
        logger.error("enqueue failed; the sender will retry", error=str(exc))
        raise TryLater(f"{what} could not be queued; retry later") from None
