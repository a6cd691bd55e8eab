"""Why a request is refused: the errors the API use cases raise, mapped to HTTP answers in one place
(`leadflow.handlers.http`)."""

from __future__ import annotations


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
