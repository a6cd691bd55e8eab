"""Lead intake: turns a batch of queued webhook events into scores, MQLs, journeys and decisions.

A whole batch shares one HubSpot batch read and one batch update per 100 contacts,
which is what keeps HubSpot calls per event far below one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from leadflow.adapters.hubspot import HubSpotGateway
from leadflow.adapters.journeys import JourneyEngine
from leadflow.adapters.state_store import StateStore
from leadflow.core.config import LeadflowConfig
from leadflow.core.journey import (
    Decision,
    DecisionInput,
    EngagementInput,
    JourneyState,
    execution_name,
    qualifies,
    reason_problem,
    utcnow,
)
from leadflow.core.lifecycle import FINAL_STATUSES, MQL, OPEN_STATUSES, Prop, fingerprint, is_before_mql
from leadflow.core.scoring import Scorer
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


def _remember(by_contact: dict[str, list[str]], contact_id: str, message_id: str) -> None:
    ids = by_contact.setdefault(contact_id, [])
    if message_id not in ids:
        ids.append(message_id)


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


class LeadIntake:
    """The lead-events use case."""

    def __init__(
        self,
        config: LeadflowConfig,
        hubspot: HubSpotGateway,
        engine: JourneyEngine,
        store: StateStore,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._config = config
        self._scorer = Scorer(config.scoring)
        self._signal_props = config.scoring.signal_properties
        self._hubspot = hubspot
        self._engine = engine
        self._store = store
        self._clock = clock
        self._read_props = (
            set(config.subscribed_properties)
            | set(_WRITTEN)
            | {
                Prop.COMPANY_ID,
                Prop.LIFECYCLE,
                Prop.MQL_AT,
                Prop.MQL_REASON,
                Prop.JOURNEY_STATUS,
                Prop.RECYCLE_UNTIL,
                Prop.REJECTED_FINGERPRINT,
            }
        )
        self._engagements = config.journey.engagements

    def process(
        self, messages: Sequence[tuple[str, WebhookEvent]], signals: Sequence[tuple[str, ContactSignal]] = ()
    ) -> IntakeResult:
        """Process one batch of webhook events and outside signals.

        HubSpot failures raise, so the whole batch is retried; a failure for one contact
        fails only the messages that carried its events.
        """
        result = IntakeResult()
        by_contact: dict[str, list[str]] = {}
        rescore: dict[str, list[WebhookEvent]] = {}
        decisions: dict[str, WebhookEvent] = {}
        engagements: dict[str, list[WebhookEvent]] = {}
        outside: dict[str, list[Signal]] = {}
        for message_id, event in messages:
            action = triage(
                event, self._config.scoring.properties, self._config.journey.engagement_properties
            )
            if action is None:
                result.ignored += 1
                continue
            contact_id = str(event.object_id)
            _remember(by_contact, contact_id, message_id)
            if action is Action.RESCORE:
                rescore.setdefault(contact_id, []).append(event)
            elif action is Action.ENGAGEMENT:
                engagements.setdefault(contact_id, []).append(event)
            elif contact_id not in decisions or decisions[contact_id].occurred_at < event.occurred_at:
                # Out-of-order deliveries: the latest decision a rep made is the one that counts.
                decisions[contact_id] = event
        for message_id, item in signals:
            # An account-level signal reaches every contact of the company (one search per company).
            targets = (
                [item.contact_id]
                if item.contact_id
                else self._hubspot.contacts_where(Prop.COMPANY_ID, item.company_id or "")
            )
            for contact_id in targets:
                _remember(by_contact, contact_id, message_id)
                rescore.setdefault(contact_id, [])
                outside.setdefault(contact_id, []).append(item.signal)
        if not by_contact:
            return result

        contacts = self._hubspot.read_contacts(by_contact, self._read_props)
        self._add_company_properties(contacts)
        scored = sorted(rescore.keys() & contacts.keys(), key=int)
        history = self._store.load_signals(scored) if scored else {}
        updates: dict[str, dict[str, str]] = {}
        now = self._clock()
        for contact_id in scored:
            props = contacts[contact_id]
            known = history.get(contact_id, [])
            seen = {s.key() for s in known}
            fresh = [
                s
                for s in self._signals_from(rescore[contact_id], props) + outside.get(contact_id, [])
                if s.key() not in seen
            ]
            self._store.add_signals(contact_id, unique(fresh))
            change = self._rescore(contact_id, props, unique(known + fresh), now, result)
            if change:
                updates[contact_id] = change
        self._hubspot.update_contacts(updates)
        for contact_id, props in contacts.items():
            try:
                self._start_journey_if_due(contact_id, {**props, **updates.get(contact_id, {})}, result)
                if contact_id in decisions:
                    self._deliver_decision(contact_id, decisions[contact_id], props, result)
                for event in engagements.get(contact_id, []):
                    self._deliver_engagement(contact_id, event, result)
            except Exception:
                logger.exception(
                    "contact processing failed; its events will be retried", contact_id=contact_id
                )
                result.failed_message_ids.extend(
                    m for m in by_contact[contact_id] if m not in result.failed_message_ids
                )
        return result

    def _add_company_properties(self, contacts: dict[str, dict[str, str | None]]) -> None:
        """Merge each contact's primary company's properties in as `company.<name>` (one read per 100)."""
        wanted = self._config.scoring.company_properties
        if not wanted:
            return
        company_of = {cid: str(p[Prop.COMPANY_ID]) for cid, p in contacts.items() if p.get(Prop.COMPANY_ID)}
        companies = self._hubspot.read_companies(set(company_of.values()), wanted) if company_of else {}
        for contact_id, company_id in company_of.items():
            for name, value in companies.get(company_id, {}).items():
                contacts[contact_id][f"company.{name}"] = value

    def _signals_from(self, events: list[WebhookEvent], props: dict[str, str | None]) -> list[Signal]:
        """Signals in HubSpot events: a signal property changed, or had a value at creation."""
        found: list[Signal] = []
        for event in events:
            if event.subscription_type == "contact.propertyChange":
                changes = [(event.property_name or "", event.property_value)]
            else:
                changes = [(name, props.get(name)) for name in self._signal_props]
            for name, value in changes:
                spec = self._signal_props.get(name)
                if spec is None or not value:
                    continue
                at = datetime.fromtimestamp(event.occurred_at / 1000, tz=UTC)
                if event.subscription_type != "contact.propertyChange" and spec.at_property:
                    # A contact imported or created with history: when it happened, if HubSpot knows.
                    at = parse_hubspot_time(props.get(spec.at_property)) or at
                # The same change can arrive as a creation and as a property change: one identity.
                identity = f"hubspot:{event.object_id}:{name}:{event.occurred_at}"
                found.append(
                    Signal(type=spec.signal, occurred_at=at, attributes={spec.attribute: value}, id=identity)
                )
        return found

    def _rescore(
        self,
        contact_id: str,
        props: dict[str, str | None],
        signals: list[Signal],
        now: datetime,
        result: IntakeResult,
    ) -> dict[str, str]:
        card = self._scorer.score(props, signals, now=now)
        result.rescored += 1
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
            change.update(
                {
                    Prop.LIFECYCLE: MQL,
                    Prop.MQL_AT: now.isoformat(timespec="milliseconds"),
                    Prop.MQL_REASON: card.reason,
                    Prop.JOURNEY_STATUS: "",
                }
            )
            logger.info(
                "new MQL", contact_id=contact_id, fit=card.fit, intent=card.intent, reason=card.reason
            )
        return change

    def _may_become_mql(self, contact_id: str, props: dict[str, str | None], now: datetime) -> bool:
        """Whether a contact that scores as an MQL may start a new journey now.

        Not while a journey is open, not during a recycle cooldown, and a rejected lead
        only once its data has changed since the rejection.
        """
        if not is_before_mql(props.get(Prop.LIFECYCLE)) or props.get(Prop.MQL_AT):
            return False
        status = props.get(Prop.JOURNEY_STATUS) or ""
        if status in OPEN_STATUSES:
            return False
        until = parse_hubspot_time(props.get(Prop.RECYCLE_UNTIL))
        if until is not None and until > now:
            logger.info("recycled lead still cooling down", contact_id=contact_id, until=until.isoformat())
            return False
        rejected = props.get(Prop.REJECTED_FINGERPRINT)
        if status == "rejected" and rejected:
            data = self._config.scoring.data_properties
            if fingerprint(props, data) == rejected:
                logger.info("rejected lead unchanged since rejection", contact_id=contact_id)
                return False
        return True

    def _start_journey_if_due(
        self, contact_id: str, props: dict[str, str | None], result: IntakeResult
    ) -> None:
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
        latest = self._store.latest_journey(contact_id)
        if (
            latest
            and latest.get("status") not in FINAL_STATUSES
            and latest["sk"] != f"JOURNEY#{state.journey_id}"
        ):
            # One journey at a time: HubSpot's lifecycle was moved by hand while one was open.
            logger.warning("a journey is already open; not starting another", contact_id=contact_id)
            return
        if self._engine.start(state.journey_id, state.model_dump_json()):
            result.journeys_started += 1

    def _deliver(self, contact_id: str, journey_id: str, kind: str, payload: str) -> bool:
        """Hand an input to the journey's wait for it; False when it is kept for a later wait.

        Keep the input first, then claim whatever token is waiting: a wait registers its
        token and reads the kept input in one atomic update, so one side always sees the
        other, and the claim (a conditional delete) lets only one of them resume the wait.
        """
        for _ in range(3):
            token = self._store.park(contact_id, journey_id, kind, payload)
            if not token or not self._store.claim_task_token(contact_id, journey_id, token):
                return False
            if self._engine.resume(token, payload):
                return True
            # That wait had already timed out; the next wait of this kind takes the input.
        return False

    def _deliver_decision(
        self, contact_id: str, event: WebhookEvent, props: dict[str, str | None], result: IntakeResult
    ) -> None:
        # The contact as read now, not the event: a reason set after the decision completes it.
        value = (props.get(Prop.DECISION) or "").strip().lower()
        if not value:
            return
        try:
            decision = Decision(value)
        except ValueError:
            logger.warning("ignoring unknown decision value", contact_id=contact_id, value=value)
            return
        record = self._store.latest_journey(contact_id)
        if record is None:
            logger.info("decision for a contact with no journey", contact_id=contact_id)
            return
        status = record.get("status", "")
        reason = (props.get(Prop.DECISION_REASON) or "").strip().lower()
        if (record.get("decision"), record.get("reason", "")) == (value, reason) or (
            status == "sal" and decision is Decision.ACCEPT
        ):
            return  # the decision the journey already took (its webhook arrives late, or twice)
        if status in FINAL_STATUSES or status == "sal":
            # Nothing waits for this decision: say so where the rep looks, rather than drop it silently.
            why = (
                f"this lead's journey has ended ({status})"
                if status in FINAL_STATUSES
                else "the lead is accepted already and waits for a qualifying engagement until "
                f"{record.get('qualification_due_at', '?')[:16]}; without one it is recycled for no response"
            )
            self._hubspot.create_note(
                contact_id, f"leadflow: decision {value!r} not applied: {why}.", self._clock()
            )
            result.decisions_refused += 1
            return
        journey_id = record["sk"].removeprefix("JOURNEY#")
        problem = reason_problem(decision, reason)
        if problem:
            # The journey keeps waiting; the rep learns on the contact's timeline what is missing.
            self._hubspot.create_note(
                contact_id, f"leadflow: decision not accepted yet: {problem}.", self._clock()
            )
            result.decisions_refused += 1
            logger.info("decision refused", contact_id=contact_id, problem=problem)
            return
        payload = DecisionInput(
            decision=decision,
            reason=reason,
            decided_at=datetime.fromtimestamp(event.occurred_at / 1000, tz=UTC),
        ).model_dump_json()
        if self._deliver(contact_id, journey_id, "decision", payload):
            result.decisions_delivered += 1
        else:
            result.decisions_parked += 1

    def _deliver_engagement(self, contact_id: str, event: WebhookEvent, result: IntakeResult) -> None:
        kind = self._engagements[event.property_name or ""]
        record = self._store.latest_journey(contact_id)
        if record is None or record.get("status") in FINAL_STATUSES:
            return
        if not qualifies(record.get("sql_policy", "engagement_required"), kind):
            logger.info(
                "engagement does not qualify under the team's policy", contact_id=contact_id, kind=kind
            )
            return
        at = parse_hubspot_time(event.property_value) or datetime.fromtimestamp(
            event.occurred_at / 1000, tz=UTC
        )
        payload = EngagementInput(kind=kind, at=at).model_dump_json()
        if self._deliver(contact_id, record["sk"].removeprefix("JOURNEY#"), "engagement", payload):
            result.engagements_delivered += 1
