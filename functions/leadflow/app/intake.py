"""Lead intake: turns a batch of queued webhook events into scores, MQLs, journeys and decisions.

A whole batch shares one HubSpot batch read and one batch update per 100 contacts,
which is what keeps HubSpot calls per event far below one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from leadflow.app.ports import HubSpot, JourneyEngine, JourneyStore, Properties, SignalStore
from leadflow.core.clock import Clock, utcnow
from leadflow.core.config import LeadflowConfig
from leadflow.core.decisions import Decision, qualifies, reason_problem
from leadflow.core.journey_record import InputKind, JourneyRecord, JourneyStatus, execution_name, is_open
from leadflow.core.journey_state import DecisionInput, EngagementInput, JourneyState
from leadflow.core.lifecycle import MQL, Prop, fingerprint, is_before_mql
from leadflow.core.scoring import ScoreCard, Scorer
from leadflow.core.signals import ContactSignal, Signal, parse_hubspot_time, unique
from leadflow.core.triage import Action, triage
from leadflow.observability import logger
from leadflow.webhooks.events import WebhookEvent

# The handoff packet: what scoring writes on every contact it scores.
_WRITTEN = (
    Prop.SCORE,
    Prop.FIT_SCORE,
    Prop.INTENT_SCORE,
    Prop.FIT_TIER,
    Prop.PERSONA,
    Prop.SCORE_DETAIL,
    Prop.INTENT_EVIDENCE,
    Prop.LAST_SIGNAL_AT,
    Prop.FAST_TRACK,
    Prop.DISQUALIFIED_BY,
)
# What deciding whether a contact may become an MQL (again) reads.
_GATES = (
    Prop.COMPANY_ID,
    Prop.LIFECYCLE,
    Prop.MQL_AT,
    Prop.MQL_REASON,
    Prop.JOURNEY_STATUS,
    Prop.RECYCLE_UNTIL,
    Prop.REJECTED_FINGERPRINT,
)


@dataclass
class IntakeResult:
    """What one batch did, and which messages must come back."""

    failed_message_ids: list[str] = field(default_factory=list)
    ignored: int = 0
    rescored: int = 0
    new_mqls: int = 0
    journeys_started: int = 0
    decisions_delivered: int = 0
    decisions_parked: int = 0
    decisions_refused: int = 0
    engagements_delivered: int = 0


@dataclass
class _Batch:
    """A batch's events sorted by what they ask for, per contact."""

    messages: dict[str, list[str]] = field(default_factory=dict)  # contact -> its message ids
    rescore: dict[str, list[WebhookEvent]] = field(default_factory=dict)
    decisions: dict[str, WebhookEvent] = field(default_factory=dict)
    engagements: dict[str, list[WebhookEvent]] = field(default_factory=dict)
    outside: dict[str, list[Signal]] = field(default_factory=dict)

    def carried(self, contact_id: str, message_id: str) -> None:
        """Note that this message carries an event for the contact."""
        ids = self.messages.setdefault(contact_id, [])
        if message_id not in ids:
            ids.append(message_id)


def _event_time(event: WebhookEvent) -> datetime:
    return datetime.fromtimestamp(event.occurred_at / 1000, tz=UTC)


class LeadIntake:
    """The lead-events use case."""

    def __init__(
        self,
        config: LeadflowConfig,
        hubspot: HubSpot,
        engine: JourneyEngine,
        journeys: JourneyStore,
        signals: SignalStore,
        clock: Clock = utcnow,
    ) -> None:
        self._config = config
        self._scorer = Scorer(config.scoring)
        self._signal_props = config.scoring.signal_properties
        self._hubspot = hubspot
        self._engine = engine
        self._journeys = journeys
        self._signals = signals
        self._clock = clock
        self._read_props = set(config.subscribed_properties) | set(_WRITTEN) | set(_GATES)
        self._engagements = config.journey.engagements

    def process(
        self, messages: Sequence[tuple[str, WebhookEvent]], signals: Sequence[tuple[str, ContactSignal]] = ()
    ) -> IntakeResult:
        """Process one batch of webhook events and outside signals.

        HubSpot failures raise, so the whole batch is retried; a failure for one contact
        fails only the messages that carried its events.
        """
        result = IntakeResult()
        batch = self._sort(messages, result)
        self._add_outside(batch, signals)
        if not batch.messages:
            return result
        contacts = self._hubspot.read_contacts(batch.messages, self._read_props)
        self._add_company_properties(contacts)
        updates = self._rescore_all(batch, contacts, result)
        self._hubspot.update_contacts(updates)
        for contact_id, props in contacts.items():
            try:
                self._act_on(contact_id, props, updates.get(contact_id, {}), batch, result)
            except Exception:
                logger.exception(
                    "contact processing failed; its events will be retried", contact_id=contact_id
                )
                result.failed_message_ids.extend(
                    m for m in batch.messages[contact_id] if m not in result.failed_message_ids
                )
        return result

    def _sort(self, messages: Sequence[tuple[str, WebhookEvent]], result: IntakeResult) -> _Batch:
        batch = _Batch()
        watched, engagements = self._config.scoring.properties, self._config.journey.engagement_properties
        for message_id, event in messages:
            action = triage(event, watched, engagements)
            if action is None:
                result.ignored += 1
                continue
            contact_id = str(event.object_id)
            batch.carried(contact_id, message_id)
            if action is Action.RESCORE:
                batch.rescore.setdefault(contact_id, []).append(event)
            elif action is Action.ENGAGEMENT:
                batch.engagements.setdefault(contact_id, []).append(event)
            elif (
                contact_id not in batch.decisions
                or batch.decisions[contact_id].occurred_at < event.occurred_at
            ):
                # Out-of-order deliveries: the latest decision a rep made is the one that counts.
                batch.decisions[contact_id] = event
        return batch

    def _add_outside(self, batch: _Batch, signals: Sequence[tuple[str, ContactSignal]]) -> None:
        for message_id, item in signals:
            # An account-level signal reaches every contact of the company (one search per company).
            targets = (
                [item.contact_id]
                if item.contact_id
                else self._hubspot.contacts_where(Prop.COMPANY_ID, item.company_id or "")
            )
            for contact_id in targets:
                batch.carried(contact_id, message_id)
                batch.rescore.setdefault(contact_id, [])
                batch.outside.setdefault(contact_id, []).append(item.signal)

    def _add_company_properties(self, contacts: dict[str, Properties]) -> None:
        """Merge each contact's primary company's properties in as `company.<name>` (one read per 100)."""
        wanted = self._config.scoring.company_properties
        if not wanted:
            return
        company_of = {cid: str(p[Prop.COMPANY_ID]) for cid, p in contacts.items() if p.get(Prop.COMPANY_ID)}
        companies = self._hubspot.read_companies(set(company_of.values()), wanted) if company_of else {}
        for contact_id, company_id in company_of.items():
            for name, value in companies.get(company_id, {}).items():
                contacts[contact_id][f"company.{name}"] = value

    def _rescore_all(
        self, batch: _Batch, contacts: dict[str, Properties], result: IntakeResult
    ) -> dict[str, dict[str, str]]:
        """Store each rescored contact's new signals and score it; the property changes to write back."""
        scored = sorted(batch.rescore.keys() & contacts.keys(), key=int)
        history = self._signals.load_signals(scored) if scored else {}
        updates: dict[str, dict[str, str]] = {}
        now = self._clock()
        for contact_id in scored:
            props = contacts[contact_id]
            known = history.get(contact_id, [])
            seen = {s.key() for s in known}
            arrived = self._signals_from(batch.rescore[contact_id], props) + batch.outside.get(contact_id, [])
            fresh = unique([s for s in arrived if s.key() not in seen])
            self._signals.add_signals(contact_id, fresh)
            card = self._scorer.score(props, unique(known + fresh), now=now)
            result.rescored += 1
            change = self._changes(contact_id, props, card, now, result)
            if change:
                updates[contact_id] = change
        return updates

    def _signals_from(self, events: list[WebhookEvent], props: Properties) -> list[Signal]:
        """Signals in HubSpot events: a signal property changed, or had a value at creation."""
        found: list[Signal] = []
        for event in events:
            created = event.subscription_type != "contact.propertyChange"
            changes = (
                [(name, props.get(name)) for name in self._signal_props]
                if created
                else [(event.property_name or "", event.property_value)]
            )
            for name, value in changes:
                spec = self._signal_props.get(name)
                if spec is None or not value:
                    continue
                at = _event_time(event)
                if created and spec.at_property:
                    # A contact imported or created with history: when it happened, if HubSpot knows.
                    at = parse_hubspot_time(props.get(spec.at_property)) or at
                # The same change can arrive as a creation and as a property change: one identity.
                identity = f"hubspot:{event.object_id}:{name}:{event.occurred_at}"
                found.append(
                    Signal(type=spec.signal, occurred_at=at, attributes={spec.attribute: value}, id=identity)
                )
        return found

    def _changes(
        self, contact_id: str, props: Properties, card: ScoreCard, now: datetime, result: IntakeResult
    ) -> dict[str, str]:
        """The handoff packet's changes, plus the MQL stamp when the contact becomes one now."""
        packet = {
            Prop.SCORE: str(card.total),
            Prop.FIT_SCORE: str(card.fit),
            Prop.INTENT_SCORE: str(card.intent),
            Prop.FIT_TIER: card.tier,
            Prop.PERSONA: card.persona,
            Prop.SCORE_DETAIL: card.explain(),
            Prop.INTENT_EVIDENCE: card.intent_evidence,
            Prop.LAST_SIGNAL_AT: card.last_signal_at.isoformat(timespec="seconds")
            if card.last_signal_at
            else "",
            Prop.FAST_TRACK: "true" if card.fast_track else "false",
            Prop.DISQUALIFIED_BY: card.disqualified_by,
        }
        change = {k: v for k, v in packet.items() if (props.get(k) or "") != v}
        if card.is_mql and self._may_become_mql(contact_id, props, now):
            result.new_mqls += 1
            change |= {
                Prop.LIFECYCLE: MQL,
                Prop.MQL_AT: now.isoformat(timespec="milliseconds"),
                Prop.MQL_REASON: card.reason,
                Prop.JOURNEY_STATUS: "",
            }
            logger.info(
                "new MQL", contact_id=contact_id, fit=card.fit, intent=card.intent, reason=card.reason
            )
        return change

    def _may_become_mql(self, contact_id: str, props: Properties, now: datetime) -> bool:
        """Whether a contact that scores as an MQL may start a new journey now.

        Not while a journey is open, not during a recycle cooldown, and a rejected lead
        only once its data has changed since the rejection.
        """
        if not is_before_mql(props.get(Prop.LIFECYCLE)) or props.get(Prop.MQL_AT):
            return False
        status = props.get(Prop.JOURNEY_STATUS) or ""
        if is_open(status):
            return False
        until = parse_hubspot_time(props.get(Prop.RECYCLE_UNTIL))
        if until is not None and until > now:
            logger.info("recycled lead still cooling down", contact_id=contact_id, until=until.isoformat())
            return False
        rejected = props.get(Prop.REJECTED_FINGERPRINT)
        data = self._config.scoring.data_properties
        if status == JourneyStatus.REJECTED and rejected and fingerprint(props, data) == rejected:
            logger.info("rejected lead unchanged since rejection", contact_id=contact_id)
            return False
        return True

    def _act_on(
        self, contact_id: str, props: Properties, update: dict[str, str], batch: _Batch, result: IntakeResult
    ) -> None:
        self._start_journey_if_due(contact_id, {**props, **update}, result)
        if contact_id in batch.decisions:
            self._deliver_decision(contact_id, batch.decisions[contact_id], props, result)
        for event in batch.engagements.get(contact_id, []):
            self._deliver_engagement(contact_id, event, result)

    def _start_journey_if_due(self, contact_id: str, props: Properties, result: IntakeResult) -> None:
        # An MQL whose journey has not begun yet: either new in this batch, or the start failed
        # earlier after the write-back succeeded. The deterministic name makes a repeat harmless.
        mql_at = props.get(Prop.MQL_AT)
        if props.get(Prop.LIFECYCLE) != MQL or not mql_at or props.get(Prop.JOURNEY_STATUS):
            return
        stamped = datetime.fromisoformat(mql_at.replace("Z", "+00:00"))
        state = JourneyState(
            journey_id=execution_name(contact_id, stamped),
            contact_id=contact_id,
            mql_at=stamped,
            score=int(props.get(Prop.SCORE) or 0),
            mql_reason=props.get(Prop.MQL_REASON) or "",
            fast_track=props.get(Prop.FAST_TRACK) == "true",
        )
        latest = self._journeys.latest_journey(contact_id)
        if latest and is_open(latest.status) and latest.journey_id != state.journey_id:
            # One journey at a time: HubSpot's lifecycle was moved by hand while one was open.
            logger.warning("a journey is already open; not starting another", contact_id=contact_id)
            return
        if self._engine.start(state.journey_id, state.model_dump_json()):
            result.journeys_started += 1

    def _deliver(self, record: JourneyRecord, kind: InputKind, payload: str) -> bool:
        """Hand an input to the journey's wait for it; False when it is kept for a later wait.

        Keep the input first, then claim whatever token is waiting: a wait registers its
        token and reads the kept input in one atomic update, so one side always sees the
        other, and the claim (a conditional delete) lets only one of them resume the wait.
        """
        for _ in range(3):
            token = self._journeys.park(record.key, kind, payload, self._clock().timestamp())
            if not token or not self._journeys.claim_task_token(record.key, token):
                return False
            if self._engine.resume(token, payload):
                return True
            # That wait had already timed out; the next wait of this kind takes the input.
        return False

    def _deliver_decision(
        self, contact_id: str, event: WebhookEvent, props: Properties, result: IntakeResult
    ) -> None:
        # The contact as read now, not the event: a reason set after the decision completes it.
        value = (props.get(Prop.DECISION) or "").strip().lower()
        reason = (props.get(Prop.DECISION_REASON) or "").strip().lower()
        decision = _decision(contact_id, value)
        record = self._journeys.latest_journey(contact_id) if decision else None
        if decision is None or record is None:
            return
        if _already_taken(record, decision, reason):
            return  # the decision the journey already took (its webhook arrives late, or twice)
        refusal = _refusal(record, decision, reason)
        if refusal is not None:
            self._hubspot.create_note(contact_id, f"leadflow: {refusal}.", self._clock())
            result.decisions_refused += 1
            logger.info("decision refused", contact_id=contact_id, problem=refusal)
            return
        payload = DecisionInput(
            decision=decision, reason=reason, decided_at=_event_time(event)
        ).model_dump_json()
        if self._deliver(record, "decision", payload):
            result.decisions_delivered += 1
        else:
            result.decisions_parked += 1

    def _deliver_engagement(self, contact_id: str, event: WebhookEvent, result: IntakeResult) -> None:
        kind = self._engagements[event.property_name or ""]
        record = self._journeys.latest_journey(contact_id)
        if record is None or not is_open(record.status):
            return
        if not qualifies(record.sql_policy or "engagement_required", kind):
            logger.info(
                "engagement does not qualify under the team's policy", contact_id=contact_id, kind=kind
            )
            return
        at = parse_hubspot_time(event.property_value) or _event_time(event)
        payload = EngagementInput(kind=kind, at=at).model_dump_json()
        if self._deliver(record, "engagement", payload):
            result.engagements_delivered += 1


def _decision(contact_id: str, value: str) -> Decision | None:
    if not value:
        return None
    try:
        return Decision(value)
    except ValueError:
        logger.warning("ignoring unknown decision value", contact_id=contact_id, value=value)
        return None


def _already_taken(record: JourneyRecord, decision: Decision, reason: str) -> bool:
    return (record.decision, record.reason or "") == (decision.value, reason) or (
        record.status is JourneyStatus.SAL and decision is Decision.ACCEPT
    )


def _refusal(record: JourneyRecord, decision: Decision, reason: str) -> str | None:
    """Why a decision cannot be taken (said on the contact's timeline, where the rep looks), or None."""
    status = record.status
    if status is not None and status.is_final:
        return f"decision {decision.value!r} not applied: this lead's journey has ended ({status.value})"
    if status is JourneyStatus.SAL:
        due = record.qualification_due_at.isoformat()[:16] if record.qualification_due_at else "?"
        return (
            f"decision {decision.value!r} not applied: the lead is accepted already and waits for a "
            f"qualifying engagement until {due}; without one it is recycled for no response"
        )
    problem = reason_problem(decision, reason)
    # The journey keeps waiting; the rep learns on the contact's timeline what is missing.
    return f"decision not accepted yet: {problem}" if problem else None
