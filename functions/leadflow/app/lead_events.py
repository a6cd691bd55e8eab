"""One SQS batch of the lead-events queue, message by message.

Every message's fate is its own: done; failed, to be delivered again (a contact HubSpot would not
update, an outage); set aside in the dead-letter queue with the reason when it can never succeed
(a body that is no lead-events message, or work that fails alone while the rest of the batch
succeeds, `app.intake.isolation`); or, when its account-level signals do not fit this batch's
HubSpot searches, queued again for a later batch. The callback completions of blocked workflows are
done whatever the rest of the batch does.

Setting a poison message aside at once, rather than failing it until SQS's redrive moves it after
its fifth receive, spares its four next batches a split (and their extra HubSpot calls), and keeps
the reason with the message, where whoever reads the dead-letter queue looks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from leadflow.app.intake import IntakeResult, LeadIntake
from leadflow.app.ports import (
    DeadLetter,
    DeadLetters,
    EventQueue,
    HubSpot,
    HubSpotQuotaExhausted,
)
from leadflow.app.workflow_callbacks import complete_callbacks
from leadflow.core.signals import ContactSignal
from leadflow.core.workflow_outcome import CallbackCompletion
from leadflow.observability import count, logger
from leadflow.webhooks.events import WebhookEvent
from leadflow.webhooks.workflow_records import WorkflowRecord

# Companies whose contacts one batch searches for (HubSpot's search API takes four requests a second,
# https://developers.hubspot.com/changelog/crm-search-api-rate-limit-increase): about five seconds.
MAX_ACCOUNTS: Final = 20
# How long a message whose companies did not fit waits before it is tried again.
DEFER_S: Final = 30
# A late message (`IntakeResult.late_message_ids`) is sent again with no delay: its MQLs wait for it.
LATE_DELAY_S: Final = 0


@dataclass(frozen=True)
class Message:
    """One message of the batch: its body and what it carries, or why it carries nothing leadflow reads."""

    id: str
    body: str
    events: Sequence[WebhookEvent] = ()
    signals: Sequence[ContactSignal] = ()
    records: Sequence[WorkflowRecord] = ()
    completions: Sequence[CallbackCompletion] = ()
    problem: str | None = None

    @property
    def companies(self) -> set[str]:
        """The companies its account-level signals name."""
        return {s.company_id for s in self.signals if s.company_id}


@dataclass
class Handled:
    """What the batch did: the intake's result, the messages SQS must deliver again, those set aside
    (by id, with why), those queued again for a later batch for their account signals, and those
    queued again because the batch had no time left to start their journeys."""

    result: IntakeResult
    failed: list[str] = field(default_factory=list)
    set_aside: dict[str, str] = field(default_factory=dict)
    deferred: int = 0
    late: int = 0


class LeadEvents:
    """The lead-events use case over one SQS batch."""

    def __init__(
        self, intake: LeadIntake, hubspot: HubSpot, queue: EventQueue, dead_letters: DeadLetters
    ) -> None:
        self._intake = intake
        self._hubspot = hubspot
        self._queue = queue
        self._dead_letters = dead_letters

    def handle(self, messages: Sequence[Message], time_left_ms: Callable[[], int]) -> Handled:
        """Do every message's work; what became of each."""
        poison = {m.id: m.problem for m in messages if m.problem is not None}
        now, later = _admit([m for m in messages if m.problem is None])
        result, found = self._intake_work(now, time_left_ms)
        poison |= found
        failed = list(result.failed_message_ids)
        failed += complete_callbacks(
            self._hubspot, [(m.id, c) for m in now if m.id not in poison for c in m.completions]
        )
        settled = set(failed) | poison.keys()
        late = [m for m in now if m.id in result.late_message_ids and m.id not in settled]
        failed += self._send_again(late, LATE_DELAY_S)
        failed += self._defer(later)
        failed += self._set_aside(
            [DeadLetter(m.id, m.body, poison[m.id]) for m in messages if m.id in poison]
        )
        return Handled(result, list(dict.fromkeys(failed)), poison, len(later), len(late))

    def _intake_work(
        self, messages: Sequence[Message], time_left_ms: Callable[[], int]
    ) -> tuple[IntakeResult, dict[str, str]]:
        events = [(m.id, e) for m in messages for e in m.events]
        signals = [(m.id, s) for m in messages for s in m.signals]
        records = [(m.id, r) for m in messages for r in m.records]
        try:
            isolated = self._intake.process_isolated(events, signals, records, time_left_ms)
        except HubSpotQuotaExhausted:
            # Nothing succeeds before the quota resets: the whole batch waits for it (the handler parks it).
            carrying = [m for m, _ in events + signals + records]
            return IntakeResult(failed_message_ids=list(dict.fromkeys(carrying)), quota_exhausted=True), {}
        return isolated.result, isolated.poison

    def _defer(self, messages: Sequence[Message]) -> list[str]:
        """Queue again, for a later batch, the messages whose companies this batch has no searches left for;
        those the queue does not take come back as failures."""
        if not messages:
            return []
        failed = self._send_again(messages, DEFER_S)
        logger.info(
            "account signals wait for a later batch",
            messages=len(messages) - len(failed),
            companies_per_batch=MAX_ACCOUNTS,
        )
        count("AccountSignalsDeferred", len(messages) - len(failed))
        return failed

    def _send_again(self, messages: Sequence[Message], delay_s: int) -> list[str]:
        """Queue messages again as new ones, delivered after `delay_s` (their own receives start anew, so
        waiting never walks them to the dead-letter queue); the ids of those the queue did not take, which
        come back as failures."""
        if not messages:
            return []
        queued = self._queue.resend({m.id: m.body for m in messages}, delay_s)
        return [m.id for m in messages if m.id not in queued]

    def _set_aside(self, letters: Sequence[DeadLetter]) -> list[str]:
        """Send poison messages to the dead-letter queue; those it does not take fail (SQS's redrive moves
        them after their last receive)."""
        if not letters:
            return []
        for letter in letters:
            logger.error(
                "message set aside: it can never succeed", message_id=letter.message_id, reason=letter.reason
            )
        refused = self._dead_letters.set_aside(letters)
        count("PoisonMessages", len(letters) - len(refused))
        return refused


def _admit(messages: Sequence[Message]) -> tuple[list[Message], list[Message]]:
    """The messages this batch does, in order, while their companies fit its searches; and the others.
    The first message that names companies is always done, so every message is done in time."""
    companies: set[str] = set()
    now: list[Message] = []
    later: list[Message] = []
    for message in messages:
        wanted = companies | message.companies
        if companies and len(wanted) > MAX_ACCOUNTS:
            later.append(message)
            continue
        companies = wanted
        now.append(message)
    return now, later
