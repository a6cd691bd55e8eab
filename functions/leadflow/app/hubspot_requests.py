"""Requests HubSpot signs: proven with the app's client secret, or refused as Unauthenticated."""

from __future__ import annotations

from leadflow.app.refusals import Unauthenticated
from leadflow.core.config import SignatureVersion
from leadflow.observability import count, logger
from leadflow.webhooks.signature import SignatureError, SignedRequest, verify


def authenticate(request: SignedRequest, secret: str, now_ms: int, minimum: SignatureVersion) -> str:
    """The signature version that proves the request came from HubSpot (v3, else v2 or v1 when
    `minimum` allows them)."""
    try:
        return verify(request, secret, now_ms, minimum)
    except SignatureError as exc:
        logger.warning("rejected HubSpot request", reason=str(exc))
        count("WebhookRejected")
        raise Unauthenticated(f"invalid signature: {exc}") from None
