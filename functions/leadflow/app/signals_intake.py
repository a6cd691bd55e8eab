"""Outside evidence for scoring (conversation replies, intent surges, product usage), verified and queued.

Tools sign the raw body with the shared signals secret; the lead-events function stores the
signals and rescores their contacts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from leadflow.app.ports import EventQueue
from leadflow.app.refusals import MalformedRequest, Unauthenticated, enqueue_or_try_later
from leadflow.core.clock import Clock, utcnow
from leadflow.core.signals import ContactSignal, intake
from leadflow.observability import count, logger
from leadflow.webhooks.json_body import JsonBodyError, read_json
from leadflow.webhooks.signature import SignatureError, SignedRequest, verify_leadflow
from leadflow.webhooks.validation import describe

# Each company an account-level signal names costs the lead-events function one HubSpot contact search
# (HubSpot takes four a second), so one request names at most this many.
MAX_COMPANIES: Final = 10


class SignalsBody(BaseModel):
    """The request body: up to 100 signals, each about one HubSpot contact (or company)."""

    model_config = ConfigDict(extra="forbid")

    signals: Annotated[list[ContactSignal], Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _few_companies(self) -> Self:
        companies = {s.company_id for s in self.signals if s.company_id}
        if len(companies) > MAX_COMPANIES:
            raise ValueError(
                f"{len(companies)} companies in one request; at most {MAX_COMPANIES} (each account-level "
                "signal searches HubSpot for the company's contacts): send the rest in further requests"
            )
        return self


class SignalsIntake:
    """The signals use case."""

    def __init__(
        self,
        secret: Callable[[], str],
        queue: EventQueue,
        now_ms: Callable[[], int],
        clock: Clock = utcnow,
    ) -> None:
        self._secret = secret
        self._queue = queue
        self._now_ms = now_ms
        self._clock = clock

    def receive(self, request: SignedRequest) -> dict[str, object]:
        """Verify and queue the signals; how many were accepted."""
        try:
            verify_leadflow(request, self._secret(), self._now_ms())
        except SignatureError as exc:
            logger.warning("rejected signals", reason=str(exc))
            raise Unauthenticated(f"invalid signature: {exc}") from None
        try:
            body = SignalsBody.model_validate(read_json(request.body), context=intake(self._clock()))
        except JsonBodyError as exc:
            raise MalformedRequest(f"invalid signals body: {exc}") from None
        except ValidationError as exc:
            raise MalformedRequest(f"invalid signals body at {describe(exc)}") from None
        enqueue_or_try_later(lambda: self._queue.send(signals=body.signals), "signals")
        count("SignalsReceived", len(body.signals))
        return {"accepted": len(body.signals)}
