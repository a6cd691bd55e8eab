"""Outside evidence for scoring (conversation replies, intent surges, product usage), verified and queued.

Tools sign the raw body with the shared signals secret; the lead-events function stores the
signals and rescores their contacts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow.app.ports import EventQueue
from leadflow.app.refusals import MalformedRequest, Unauthenticated, enqueue_or_try_later
from leadflow.core.signals import ContactSignal
from leadflow.observability import count, logger
from leadflow.webhooks.signature import SignatureError, SignedRequest, verify_leadflow
from leadflow.webhooks.validation import describe


class SignalsBody(BaseModel):
    """The request body: up to 100 signals, each about one HubSpot contact (or company)."""

    model_config = ConfigDict(extra="forbid")

    signals: Annotated[list[ContactSignal], Field(min_length=1, max_length=100)]


class SignalsIntake:
    """The signals use case."""

    def __init__(self, secret: Callable[[], str], queue: EventQueue, now_ms: Callable[[], int]) -> None:
        self._secret = secret
        self._queue = queue
        self._now_ms = now_ms

    def receive(self, request: SignedRequest) -> dict[str, object]:
        """Verify and queue the signals; how many were accepted."""
        try:
            verify_leadflow(request, self._secret(), self._now_ms())
        except SignatureError as exc:
            logger.warning("rejected signals", reason=str(exc))
            raise Unauthenticated(f"invalid signature: {exc}") from None
        try:
            body = SignalsBody.model_validate_json(request.body)
        except ValidationError as exc:
            raise MalformedRequest(f"invalid signals body at {describe(exc)}") from None
        enqueue_or_try_later(lambda: self._queue.send(signals=body.signals), "signals")
        count("SignalsReceived", len(body.signals))
        return {"accepted": len(body.signals)}
