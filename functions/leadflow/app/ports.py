"""The ports: what the use cases ask of the outside world, as typing.Protocol classes.

The adapters (`leadflow.adapters`) implement them against HubSpot, DynamoDB, Step Functions,
SQS and the notification channels; the fast test tier implements them in memory. The use
cases import only these, so their logic never needs a socket to be tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from leadflow.core.journey_record import (
    InputKind,
    JourneyFields,
    JourneyKey,
    JourneyRecord,
    JourneyStatus,
    WaitKind,
)
from leadflow.core.routing import Owner, RotationLedger
from leadflow.core.signals import ContactSignal, Signal
from leadflow.core.workflow_outcome import CallbackCompletion
from leadflow.webhooks.events import WebhookEvent
from leadflow.webhooks.workflow_records import WorkflowRecord

Properties = dict[str, str | None]


class HubSpotError(Exception):
    """HubSpot refused a request for a reason retrying will not fix; `status` is its HTTP answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def not_found(self) -> bool:
        """HubSpot has no such record (deleted, merged away, or never there)."""
        return self.status == 404


class HubSpotRateLimited(HubSpotError):
    """HubSpot answered 429: retry after a pause (the journey's Retry matches this class name)."""


class HubSpotBusy(HubSpotRateLimited):
    """leadflow's own HubSpot budget is spoken for longer than the caller may wait: nothing was sent
    (the journey's Retry of this class name tries again soon, and more often than after a 429)."""


class HubSpotQuotaExhausted(HubSpotRateLimited):
    """HubSpot's daily API quota is spent: nothing succeeds before it resets (at midnight in the portal's
    time zone), so the work waits for that instead of burning retries (its own Retry in the journey)."""


class HubSpotUnavailable(HubSpotError):
    """HubSpot answered 5xx or the connection failed: retry with backoff."""


class AwsUnavailable(Exception):
    """An AWS call was throttled or failed on AWS's side after the SDK's own retries: retry later (the
    journey's Retry matches this class name)."""


class HubSpotRequiredProperty(HubSpotError):
    """A write the portal's own rules refuse: a property its admin made required on create, or required
    when another property has a value (2026-09's enforcement of those rules,
    https://developers.hubspot.com/changelog/crm-api-write-validation-enforcement). Retrying cannot fix
    it; the portal's rules or leadflow's configuration must change. `properties` are the ones missing."""

    def __init__(self, message: str, properties: tuple[str, ...], status: int | None = 400) -> None:
        super().__init__(message, status)
        self.properties = properties


@dataclass(frozen=True)
class NewTask:
    """A to-do for an owner on a contact's timeline, due at `due_at` (created in a batch)."""

    contact_id: str
    owner_id: str
    subject: str
    body: str
    due_at: datetime


@dataclass(frozen=True)
class NewNote:
    """A note on a contact's timeline, written at `at` (created in a batch)."""

    contact_id: str
    body: str
    at: datetime


class HubSpot(Protocol):
    """The CRM: contacts, companies, owners, tasks, notes, deals and leads."""

    def read_contacts(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        """Contacts' properties by id; unknown ids are left out."""
        ...

    def read_companies(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        """Companies' properties by id; unknown ids are left out."""
        ...

    def contacts_where(self, prop: str, value: str, limit: int = 1000) -> list[str]:
        """Ids of the contacts whose property equals a value."""
        ...

    def update_contacts(self, updates: Mapping[str, Mapping[str, str]]) -> None:
        """Write properties to many contacts."""
        ...

    def update_contact(self, contact_id: str, properties: Mapping[str, str]) -> None:
        """Write properties to one contact."""
        ...

    def list_owners(self, fresh: bool = False) -> list[Owner]:
        """Every owner of the portal (cached unless `fresh`)."""
        ...

    def create_task(
        self,
        contact_id: str,
        owner_id: str,
        subject: str,
        body: str,
        due_at: datetime,
        lead_id: str | None = None,
    ) -> str:
        """A to-do for the owner on the contact's (and lead's) timeline, due at `due_at`; its id."""
        ...

    def create_tasks(self, tasks: Mapping[str, NewTask]) -> dict[str, str]:
        """Many to-dos at once, keyed by the caller; the ids of those HubSpot created, by the same keys
        (one HubSpot refused is left out)."""
        ...

    def create_notes(self, notes: Mapping[str, NewNote]) -> dict[str, str]:
        """Many notes at once, keyed by the caller; the ids of those HubSpot created, by the same keys."""
        ...

    def complete_task(self, task_id: str) -> None:
        """Mark a task completed."""
        ...

    def reschedule_task(self, task_id: str, due_at: datetime) -> None:
        """Move a task's due date."""
        ...

    def open_deal_owner(self, company_id: str) -> str | None:
        """The owner of the company's most recent open deal, if any."""
        ...

    def deal_of_journey(self, contact_id: str, journey_id: str) -> str | None:
        """The contact's deal stamped with this journey, if one exists."""
        ...

    def create_deal(
        self,
        contact_id: str,
        company_id: str | None,
        properties: Mapping[str, str],
        lead_id: str | None = None,
    ) -> str:
        """A deal associated with the contact (and its company and lead); its id."""
        ...

    def create_note(self, contact_id: str, body: str, at: datetime, lead_id: str | None = None) -> str:
        """A note on the contact's (and lead's) timeline; its id."""
        ...

    def read_leads(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        """Leads' properties by id; unknown ids are left out."""
        ...

    def lead_of_journey(self, contact_id: str, journey_id: str) -> str | None:
        """The contact's lead stamped with this journey, if one exists."""
        ...

    def create_lead(self, contact_id: str, company_id: str | None, properties: Mapping[str, str]) -> str:
        """A lead of the contact (its primary contact) and of its company; its id."""
        ...

    def update_lead(self, lead_id: str, properties: Mapping[str, str]) -> None:
        """Write properties to one lead."""
        ...

    def complete_callback(self, callback_id: str, output_fields: Mapping[str, str]) -> bool:
        """Let a blocked workflow action go on with these outputs; False when HubSpot refuses it for good
        (the block expired, or it was completed already)."""
        ...


class JourneyStore(Protocol):
    """Journey records, and the task tokens and inputs their waits exchange."""

    def journey(self, key: JourneyKey) -> JourneyRecord | None:
        """One journey's record."""
        ...

    def latest_journey(self, contact_id: str) -> JourneyRecord | None:
        """The contact's most recent journey."""
        ...

    def record_journey(
        self, key: JourneyKey, status: JourneyStatus, at: datetime, fields: JourneyFields
    ) -> JourneyRecord:
        """A transition: the status, its first time and the fields; a final status drops the wait.

        Returns the record as the transition left it (atomically: a workflow joining at the same
        moment is either in its callbacks or refused).
        """
        ...

    def remember(self, key: JourneyKey, fields: JourneyFields) -> None:
        """Fields without a transition (what a retried step must reuse)."""
        ...

    def set_task_token(
        self, key: JourneyKey, token: str, kind: WaitKind, expires_at: float | None
    ) -> str | None:
        """Register the token a wait of `kind` waits on; returns the input of that kind kept for it."""
        ...

    def claim_task_token(self, key: JourneyKey, token: str) -> bool:
        """Clear the token if it still is `token` (exactly one claimer wins)."""
        ...

    def restore_task_token(self, key: JourneyKey, token: str) -> None:
        """Give back a claimed token whose resume failed, unless the journey waits on another by now."""
        ...

    def park(self, key: JourneyKey, kind: InputKind, input_json: str, now: float) -> str | None:
        """Keep an input until the journey acts on it; the token of a live wait for it, if any."""
        ...

    def claim_callback(self, callback_id: str, key: JourneyKey, work: str | None = None) -> CallbackClaim:
        """Tie a blocked workflow action to a journey, once, with the work it sets out to do (JSON); the
        first claim's journey and its work not yet done."""
        ...

    def callback_journey(self, callback_id: str) -> CallbackClaim | None:
        """The journey a workflow action was tied to, and the work not yet done, if it was tied."""
        ...

    def callback_work_done(self, callback_id: str) -> None:
        """The work a workflow action's claim set out to do is done: a retry of the action does none."""
        ...

    def join(self, key: JourneyKey, callback_id: str) -> bool:
        """Add a blocked workflow action to the journey's callbacks, unless the journey has ended."""
        ...

    def drop_callbacks(self, key: JourneyKey, callback_ids: Iterable[str]) -> None:
        """Forget callbacks once their completion is on its way."""
        ...


class RoutingLedger(RotationLedger, Protocol):
    """The shared counters routing needs: each team's turn counter and its reps' standings in the
    rotation, and the reps' daily caps (`core.routing.RotationLedger` says what each method does)."""


class SignalStore(Protocol):
    """Each contact's signals."""

    def load_signals(self, contact_ids: Iterable[str]) -> dict[str, list[Signal]]:
        """Stored signals by contact, deduplicated, newest first."""
        ...

    def add_signals(self, contact_id: str, signals: Iterable[Signal]) -> None:
        """Append signals to a contact's list."""
        ...


class DeliveryLedger(Protocol):
    """The webhook events and workflow records already done (HubSpot delivers some twice)."""

    def seen_events(self, keys: Iterable[str]) -> set[str]:
        """Which of these dedupe keys were done already."""
        ...

    def remember_events(self, keys: Iterable[str]) -> None:
        """Record dedupe keys as done."""
        ...


class JourneyEngine(Protocol):
    """The journey state machine."""

    def start(self, name: str, payload_json: str) -> bool:
        """Start the named execution; False when it exists already."""
        ...

    def resume(self, token: str, output_json: str) -> bool:
        """Complete a waiting task; False when nobody waits on the token any more."""
        ...

    def fail(self, token: str, error: str, cause: str) -> bool:
        """Fail a waiting task; False when nobody waits on the token any more."""
        ...

    def failed_state(self, execution_arn: str) -> str | None:
        """The state whose failure the execution is handling."""
        ...


@dataclass(frozen=True)
class CallbackClaim:
    """A blocked workflow action's tie to a journey: the journey, and the work (JSON) its first request
    set out to do (stamp the contact, start the journey) and has not confirmed done, for a retry to redo."""

    key: JourneyKey
    work: str | None = None


@dataclass(frozen=True)
class ReceivedMessage:
    """A message as the lead-events function received it: enough to hold it back, or send it again."""

    message_id: str
    receipt_handle: str
    body: str
    first_received_ms: int  # SQS's ApproximateFirstReceiveTimestamp (epoch ms)


class EnqueueError(RuntimeError):
    """The queue did not accept every event; the caller answers 5xx so the sender retries."""


class EventQueue(Protocol):
    """The lead-events queue between the API and the lead-events function."""

    def send(
        self,
        events: Sequence[WebhookEvent] = (),
        signals: Sequence[ContactSignal] = (),
        records: Sequence[WorkflowRecord] = (),
        completions: Sequence[CallbackCompletion] = (),
    ) -> int:
        """Enqueue events, signals, workflow records and callback completions; the send calls made."""
        ...

    def park(self, messages: Sequence[ReceivedMessage], seconds: int, now_ms: int) -> set[str]:
        """Keep received messages out of sight for `seconds`, within what SQS allows each of them; the ids
        of those sent again as new messages instead (their receipt is done with: delete the original)."""
        ...

    def resend(self, bodies: Mapping[str, str], delay_s: int) -> set[str]:
        """Queue messages again as new messages (bodies by message id), seen after `delay_s` (at most
        900); the ids of those the queue took."""
        ...


@dataclass(frozen=True)
class DeadLetter:
    """A message that can never succeed, and why."""

    message_id: str
    body: str
    reason: str


class DeadLetters(Protocol):
    """Where messages that can never succeed are set aside, to be read (and sent again once fixed)."""

    def set_aside(self, letters: Sequence[DeadLetter]) -> list[str]:
        """Set the letters aside; the ids of those that could not be (they must fail instead)."""
        ...


class Notifier(Protocol):
    """Escalation and failure notifications (best effort: never raises)."""

    def send(self, subject: str, text: str) -> dict[str, bool]:
        """Notify every configured channel; whether each succeeded."""
        ...
