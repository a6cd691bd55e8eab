"""In-memory stand-ins for every port, keeping the real semantics: the fast tier runs the use cases on them.

- FakeHubSpot answers from the HubSpot stand-in's own store (`StandInStore`), with no HTTP in
  between, so it refuses what the stand-in refuses (forward-only lifecycle stages, unknown owners,
  missing pipelines, tasks without hs_timestamp) and builds records the way the real adapter does;
- FakeStore keeps journey records, tokens, cursors, caps and signals with DynamoDB's semantics
  (atomic counters, conditional claims, a final transition dropping the wait's token and inputs);
  `tests/contracts` runs the same checks against it and the DynamoDB adapter;
- FakeEngine starts executions idempotently by name and resumes only tokens somebody waits on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow.adapters.hubspot import (
    DEAL_OWNER_PROPERTIES,
    DEAL_TO_COMPANY,
    DEAL_TO_CONTACT,
    DEAL_TO_LEAD,
    LEAD_TO_COMPANY,
    LEAD_TO_CONTACT,
    NOTE_TO_CONTACT,
    NOTE_TO_LEAD,
    TASK_TO_CONTACT,
    TASK_TO_LEAD,
    associations,
    hubspot_ms,
    latest_open_deal_owner,
    note_input,
    note_properties,
    task_input,
    task_properties,
)
from leadflow.adapters.hubspot_errors import hubspot_error, refused_properties
from leadflow.adapters.state_store import MAX_SIGNALS
from leadflow.app.ports import (
    CallbackClaim,
    EnqueueError,
    HubSpotError,
    HubSpotRateLimited,
    HubSpotUnavailable,
    NewNote,
    NewTask,
    Properties,
    ReceivedMessage,
)
from leadflow.core.journey_record import (
    InputKind,
    JourneyFields,
    JourneyKey,
    JourneyRecord,
    JourneyStatus,
    WaitKind,
)
from leadflow.core.lifecycle import Prop
from leadflow.core.routing import InMemoryLedger, Owner, Standing
from leadflow.core.signals import ContactSignal, Signal, unique
from leadflow.core.workflow_outcome import CallbackCompletion
from leadflow.webhooks.events import WebhookEvent
from leadflow.webhooks.workflow_records import WorkflowRecord
from leadflow_cli.hubspot_standin import StandInError, StandInStore
from leadflow_cli.hubspot_standin.automation import Automation


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        """Move time forward (`advance(hours=4)`)."""
        self.at += timedelta(**delta)
        return self.at


class FakeHubSpot:
    """The HubSpot port over the stand-in's store: HubSpot's rules, no sockets."""

    def __init__(self, store: StandInStore | None = None) -> None:
        self.crm = store or StandInStore()
        # The stand-in's custom workflow action state: blocked executions and their callbacks.
        self.automation = Automation(self.crm.clock)
        self.calls: list[str] = []
        self._failures: dict[str, list[Exception]] = {}

    def fail_next(self, method: str, error: Exception) -> None:
        """Make the next call of `method` raise `error` (after doing nothing)."""
        self._failures.setdefault(method, []).append(error)

    def _call(self, method: str, work: Callable[[], Any], sent: Mapping[str, str] | None = None) -> Any:
        self.calls.append(method)
        queued = self._failures.get(method)
        if queued:
            raise queued.pop(0)
        try:
            return work()
        except StandInError as exc:
            raise hubspot_error(exc.status, refused_properties(str(exc), sent or {})) from exc

    def _read(self, kind: str, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        # HubSpot answers every read with these as well, asked for or not.
        wanted = sorted(set(properties) | {"hs_object_id", "createdate", "lastmodifieddate"})
        found: dict[str, Properties] = {}
        for object_id in sorted(set(ids), key=int):
            if self.crm.has_object(kind, object_id):
                props = self.crm.get_object(kind, object_id)["properties"]
                found[object_id] = {p: props.get(p) for p in wanted}
        return found

    def read_contacts(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        wanted = {*properties, Prop.MERGED_IDS}
        return dict(self._call("read_contacts", lambda: self._read("contacts", ids, wanted)))

    def read_companies(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        return dict(self._call("read_companies", lambda: self._read("companies", ids, properties)))

    def contacts_where(self, prop: str, value: str, limit: int = 1000) -> list[str]:
        query = [[{"propertyName": prop, "operator": "EQ", "value": value}]]
        found = self._call("contacts_where", lambda: self.crm.search("contacts", query))
        return [str(r["id"]) for r in found][:limit]

    def update_contacts(self, updates: Mapping[str, Mapping[str, str]]) -> None:
        wanted = {c: dict(p) for c, p in updates.items() if p}
        if wanted:
            sent = {k: v for props in wanted.values() for k, v in props.items()}
            self._call("update_contacts", lambda: self._update_batch(wanted), sent)

    def _update_batch(self, updates: dict[str, dict[str, str]]) -> None:
        missing = [c for c in updates if not self.crm.has_object("contacts", c)]
        if missing:
            # A batch naming a contact that does not exist is refused whole, as HubSpot does.
            raise StandInError(
                400, "VALIDATION_ERROR", f"Could not update objects that do not exist: {', '.join(missing)}"
            )
        self.crm.update_objects("contacts", updates, api=True)

    def update_contact(self, contact_id: str, properties: Mapping[str, str]) -> None:
        self._call(
            "update_contact",
            lambda: self.crm.update_object("contacts", contact_id, dict(properties), api=True),
            properties,
        )

    def list_owners(self, fresh: bool = False) -> list[Owner]:
        owners = self._call("list_owners", self.crm.owners)
        return [Owner(str(o["id"]), str(o["email"]).lower(), True) for o in owners]

    def create_task(
        self,
        contact_id: str,
        owner_id: str,
        subject: str,
        body: str,
        due_at: datetime,
        lead_id: str | None = None,
    ) -> str:
        props = task_properties(owner_id, subject, body, due_at)
        links = associations((contact_id, TASK_TO_CONTACT), (lead_id, TASK_TO_LEAD))
        return str(
            self._call("create_task", lambda: self.crm.create_object("tasks", props, links, api=True), props)
        )

    def create_tasks(self, tasks: Mapping[str, NewTask]) -> dict[str, str]:
        inputs = {key: task_input(t) for key, t in tasks.items()}
        return dict(self._call("create_tasks", lambda: self._create_batch("tasks", inputs)))

    def create_notes(self, notes: Mapping[str, NewNote]) -> dict[str, str]:
        inputs = {key: note_input(n) for key, n in notes.items()}
        return dict(self._call("create_notes", lambda: self._create_batch("notes", inputs)))

    def _create_batch(self, kind: str, inputs: dict[str, tuple[dict[str, str], list[Any]]]) -> dict[str, str]:
        ids = self.crm.create_objects(kind, list(inputs.values()), api=True)
        return dict(zip(inputs, ids, strict=True))

    def complete_task(self, task_id: str) -> None:
        self._call(
            "complete_task",
            lambda: self.crm.update_object("tasks", task_id, {"hs_task_status": "COMPLETED"}, api=True),
        )

    def reschedule_task(self, task_id: str, due_at: datetime) -> None:
        stamp = {"hs_timestamp": hubspot_ms(due_at)}
        self._call(
            "reschedule_task", lambda: self.crm.update_object("tasks", task_id, stamp, api=True), stamp
        )

    def _associated(
        self, kind: str, object_id: str, to_type: str, properties: Iterable[str]
    ) -> dict[str, Properties]:
        self.crm.get_object(kind, object_id)  # an unknown record is a 404, as HubSpot answers
        ids = [d for d, _ in self.crm.associations(kind, object_id, to_type)]
        return self._read(to_type, ids, properties)

    def open_deal_owner(self, company_id: str) -> str | None:
        deals = self._call(
            "open_deal_owner",
            lambda: self._associated("companies", company_id, "deals", DEAL_OWNER_PROPERTIES),
        )
        return latest_open_deal_owner(deals.values())

    def deal_of_journey(self, contact_id: str, journey_id: str) -> str | None:
        deals = self._call(
            "deal_of_journey", lambda: self._associated("contacts", contact_id, "deals", [Prop.JOURNEY_ID])
        )
        return next((i for i, p in deals.items() if p.get(Prop.JOURNEY_ID) == journey_id), None)

    def create_deal(
        self,
        contact_id: str,
        company_id: str | None,
        properties: Mapping[str, str],
        lead_id: str | None = None,
    ) -> str:
        links = associations(
            (contact_id, DEAL_TO_CONTACT), (company_id, DEAL_TO_COMPANY), (lead_id, DEAL_TO_LEAD)
        )
        return str(
            self._call(
                "create_deal",
                lambda: self.crm.create_object("deals", dict(properties), links, api=True),
                properties,
            )
        )

    def create_note(self, contact_id: str, body: str, at: datetime, lead_id: str | None = None) -> str:
        links = associations((contact_id, NOTE_TO_CONTACT), (lead_id, NOTE_TO_LEAD))
        props = note_properties(body, at)
        return str(
            self._call("create_note", lambda: self.crm.create_object("notes", props, links, api=True), props)
        )

    def read_leads(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        return dict(self._call("read_leads", lambda: self._read("leads", ids, properties)))

    def lead_of_journey(self, contact_id: str, journey_id: str) -> str | None:
        leads = self._call(
            "lead_of_journey", lambda: self._associated("contacts", contact_id, "leads", [Prop.JOURNEY_ID])
        )
        return next((i for i, p in leads.items() if p.get(Prop.JOURNEY_ID) == journey_id), None)

    def create_lead(self, contact_id: str, company_id: str | None, properties: Mapping[str, str]) -> str:
        links = associations((contact_id, LEAD_TO_CONTACT), (company_id, LEAD_TO_COMPANY))
        return str(
            self._call(
                "create_lead",
                lambda: self.crm.create_object("leads", dict(properties), links, api=True),
                properties,
            )
        )

    def update_lead(self, lead_id: str, properties: Mapping[str, str]) -> None:
        self._call(
            "update_lead",
            lambda: self.crm.update_object("leads", lead_id, dict(properties), api=True),
            properties,
        )

    def complete_callback(self, callback_id: str, output_fields: Mapping[str, str]) -> bool:
        try:
            self._call(
                "complete_callback", lambda: self.crm.complete_callback(callback_id, dict(output_fields))
            )
        except HubSpotError as exc:
            if isinstance(exc, (HubSpotRateLimited, HubSpotUnavailable)):
                raise
            return False
        return True

    # What tests read back --------------------------------------------------------------------

    def contact(self, contact_id: str) -> dict[str, str]:
        """A contact's properties."""
        props: dict[str, str] = self.crm.get_object("contacts", contact_id)["properties"]
        return props

    def records(self, kind: str) -> list[dict[str, str]]:
        """Every record of a kind, oldest first, as its properties (with its id as `id`)."""
        return [{**r["properties"], "id": r["id"]} for r in self.crm.list_objects(kind)]

    def notes(self) -> list[str]:
        """Every timeline note's text, oldest first."""
        return [n["hs_note_body"] for n in self.records("notes")]


class FakeStore:
    """The journey store, routing ledger, signal store and delivery ledger, in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.journeys: dict[JourneyKey, JourneyRecord] = {}
        # The rotation's counters, as the replay keeps them in memory.
        self.rotation = InMemoryLedger()
        self.cursors = self.rotation.cursors
        self.signals: dict[str, list[Signal]] = {}
        self.events: set[str] = set()
        self.callbacks: dict[str, CallbackClaim] = {}

    def _current(self, key: JourneyKey) -> JourneyRecord:
        return self.journeys.get(key) or JourneyRecord(contact_id=key.contact_id, journey_id=key.journey_id)

    def _set(self, key: JourneyKey, fields: JourneyFields, **more: Any) -> JourneyRecord:
        record = self._current(key)
        changes = {
            name: value
            for name, value in fields
            if value is not None and name not in ("tasks", "reassignments")
        }
        changes["tasks"] = {**record.tasks, **fields.tasks}
        changes["reassignments"] = {**record.reassignments, **fields.reassignments}
        self.journeys[key] = record.model_copy(update={**changes, **more})
        return self.journeys[key]

    def journey(self, key: JourneyKey) -> JourneyRecord | None:
        with self._lock:
            return self.journeys.get(key)

    def latest_journey(self, contact_id: str) -> JourneyRecord | None:
        with self._lock:
            mine = [r for k, r in self.journeys.items() if k.contact_id == contact_id]
            return max(mine, key=lambda r: r.journey_id) if mine else None

    def record_journey(
        self, key: JourneyKey, status: JourneyStatus, at: datetime, fields: JourneyFields
    ) -> JourneyRecord:
        with self._lock:
            reached = {status: at, **self._current(key).reached}
            ended = dict.fromkeys(_WAIT_FIELDS) if status.is_final else {}
            return self._set(key, fields, status=status, updated_at=at, reached=reached, **ended)

    def remember(self, key: JourneyKey, fields: JourneyFields) -> None:
        if fields == JourneyFields():
            return
        with self._lock:
            self._set(key, fields)

    def set_task_token(
        self, key: JourneyKey, token: str, kind: WaitKind, expires_at: float | None
    ) -> str | None:
        with self._lock:
            record = self._set(
                key, JourneyFields(), task_token=token, waiting_for=kind, token_expires=expires_at
            )
            pending: str | None = getattr(record, f"pending_{kind}", None)
            return pending

    def claim_task_token(self, key: JourneyKey, token: str) -> bool:
        with self._lock:
            if self._current(key).task_token != token:
                return False
            self._set(key, JourneyFields(), task_token=None)
            return True

    def restore_task_token(self, key: JourneyKey, token: str) -> None:
        with self._lock:
            if self._current(key).task_token is None:
                self._set(key, JourneyFields(), task_token=token)

    def park(self, key: JourneyKey, kind: InputKind, input_json: str, now: float) -> str | None:
        with self._lock:
            record = self._set(key, JourneyFields(), **{f"pending_{kind}": input_json})
            waiting = record.waiting_for or "decision"
            live = record.token_expires is None or record.token_expires > now
            return record.task_token if record.task_token and waiting == kind and live else None

    def claim_callback(self, callback_id: str, key: JourneyKey, work: str | None = None) -> CallbackClaim:
        with self._lock:
            return self.callbacks.setdefault(callback_id, CallbackClaim(key, work))

    def callback_journey(self, callback_id: str) -> CallbackClaim | None:
        with self._lock:
            return self.callbacks.get(callback_id)

    def callback_work_done(self, callback_id: str) -> None:
        with self._lock:
            self.callbacks[callback_id] = CallbackClaim(self.callbacks[callback_id].key)

    def join(self, key: JourneyKey, callback_id: str) -> bool:
        with self._lock:
            record = self._current(key)
            if record.status is not None and record.status.is_final:
                return False
            self._set(key, JourneyFields(), callbacks=record.callbacks | {callback_id})
            return True

    def drop_callbacks(self, key: JourneyKey, callback_ids: Iterable[str]) -> None:
        with self._lock:
            record = self.journeys.get(key)
            if record is not None:
                self._set(key, JourneyFields(), callbacks=record.callbacks - set(callback_ids))

    def next_turn(self, team: str, cycle: Sequence[str]) -> tuple[int, str | None]:
        with self._lock:
            return self.rotation.next_turn(team, cycle)

    def standings(self, team: str) -> dict[str, Standing]:
        with self._lock:
            return self.rotation.standings(team)

    def take_turn(self, team: str, owed_to: str | None, taker: str | None) -> None:
        with self._lock:
            self.rotation.take_turn(team, owed_to, taker)

    def claim_capacity(self, owner_id: str, day: str, cap: int) -> bool:
        with self._lock:
            return self.rotation.claim_capacity(owner_id, day, cap)

    def load_signals(self, contact_ids: Iterable[str]) -> dict[str, list[Signal]]:
        with self._lock:
            return {c: unique(self.signals[c]) for c in set(contact_ids) if c in self.signals}

    def add_signals(self, contact_id: str, signals: Iterable[Signal]) -> None:
        new = list(signals)
        if not new:
            return
        with self._lock:
            stored = self.signals.get(contact_id, []) + new
            self.signals[contact_id] = unique(stored)[:MAX_SIGNALS] if len(stored) > MAX_SIGNALS else stored

    def seen_events(self, keys: Iterable[str]) -> set[str]:
        with self._lock:
            return set(keys) & self.events

    def remember_events(self, keys: Iterable[str]) -> None:
        with self._lock:
            self.events |= set(keys)


_WAIT_FIELDS = ("task_token", "waiting_for", "token_expires", "pending_decision", "pending_engagement")


@dataclass
class FakeEngine:
    """The journey engine: executions by name, and the tokens waits are blocked on."""

    started: dict[str, str] = field(default_factory=dict)
    waiting: set[str] = field(default_factory=set)
    resumed: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    failed_states: dict[str, str] = field(default_factory=dict)

    def start(self, name: str, payload_json: str) -> bool:
        if name in self.started:
            return False
        self.started[name] = payload_json
        return True

    def resume(self, token: str, output_json: str) -> bool:
        if token not in self.waiting:
            return False
        self.waiting.discard(token)
        self.resumed.append((token, output_json))
        return True

    def fail(self, token: str, error: str, cause: str) -> bool:
        if token not in self.waiting:
            return False
        self.waiting.discard(token)
        self.failures.append((token, error, cause))
        return True

    def failed_state(self, execution_arn: str) -> str | None:
        return self.failed_states.get(execution_arn)


@dataclass
class FakeNotifier:
    """Every notification sent, as (subject, text)."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, subject: str, text: str) -> dict[str, bool]:
        self.sent.append((subject, text))
        return {"http": True}


@dataclass
class FakeQueue:
    """The lead-events queue: every send, or an EnqueueError while `down`."""

    events: list[WebhookEvent] = field(default_factory=list)
    signals: list[ContactSignal] = field(default_factory=list)
    records: list[WorkflowRecord] = field(default_factory=list)
    completions: list[CallbackCompletion] = field(default_factory=list)
    down: bool = False
    resent: list[tuple[str, int]] = field(default_factory=list)

    def park(self, messages: Sequence[ReceivedMessage], seconds: int, now_ms: int) -> set[str]:
        return set()

    def resend(self, bodies: Mapping[str, str], delay_s: int) -> set[str]:
        if self.down:
            return set()
        self.resent += [(body, delay_s) for body in bodies.values()]
        return set(bodies)

    def send(
        self,
        events: Sequence[WebhookEvent] = (),
        signals: Sequence[ContactSignal] = (),
        records: Sequence[WorkflowRecord] = (),
        completions: Sequence[CallbackCompletion] = (),
    ) -> int:
        if self.down:
            raise EnqueueError("1 messages were not enqueued (ServiceUnavailable)")
        self.events += events
        self.signals += signals
        self.records += records
        self.completions += completions
        return 1
