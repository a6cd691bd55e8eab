"""Scoring a contact as the intake does: its new signals, its score card, the packet to write back,
and whether it becomes an MQL now (the gates a new journey must pass)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from leadflow.app.ports import Properties
from leadflow.core.config import LeadflowConfig
from leadflow.core.journey_record import JourneyStatus, is_open
from leadflow.core.lifecycle import MQL, Prop, fingerprint, is_before_mql
from leadflow.core.scoring import ScoreCard, Scorer
from leadflow.core.signals import Signal, parse_hubspot_time
from leadflow.observability import logger
from leadflow.webhooks.events import WebhookEvent
from leadflow.webhooks.workflow_records import WorkflowRecord


def packet(card: ScoreCard) -> dict[str, str]:
    """The handoff packet a score card writes on its contact."""
    return {
        Prop.SCORE: str(card.total),
        Prop.FIT_SCORE: str(card.fit),
        Prop.INTENT_SCORE: str(card.intent),
        Prop.FIT_TIER: card.tier,
        Prop.PERSONA: card.persona,
        Prop.SCORE_DETAIL: card.explain(),
        Prop.INTENT_EVIDENCE: card.intent_evidence,
        Prop.LAST_SIGNAL_AT: card.last_signal_at.isoformat(timespec="seconds") if card.last_signal_at else "",
        Prop.FAST_TRACK: "true" if card.fast_track else "false",
        Prop.DISQUALIFIED_BY: card.disqualified_by,
    }


def mql_stamp(reason: str, now: datetime) -> dict[str, str]:
    """What makes a contact an MQL in HubSpot: the stage, the time and the one reason; no journey yet."""
    return {
        Prop.LIFECYCLE: MQL,
        Prop.MQL_AT: now.isoformat(timespec="milliseconds"),
        Prop.MQL_REASON: reason,
        Prop.JOURNEY_STATUS: "",
    }


class Rescoring:
    """The configuration's scorer (compiled once), and the rules for signals and for becoming an MQL."""

    def __init__(self, config: LeadflowConfig) -> None:
        self.config = config
        self.scorer = Scorer(config.scoring)

    def signals_from_events(self, events: list[WebhookEvent], props: Properties) -> list[Signal]:
        """Signals in HubSpot events: a signal property changed, or had a value at creation."""
        found: list[Signal] = []
        for event in events:
            created = not event.is_property_change
            changes = (
                [(name, props.get(name)) for name in self.config.scoring.signal_properties]
                if created
                else [(event.property_name or "", event.property_value)]
            )
            at = datetime.fromtimestamp(event.occurred_at / 1000, tz=UTC)
            for name, value in changes:
                # A contact imported or created with history: when it happened, if HubSpot knows.
                when = self._at_property_time(name, props) if created else None
                # The same change can arrive as a creation and as a property change: one identity.
                found += self._signal(
                    name, value, when or at, f"hubspot:{event.object_id}:{name}:{event.occurred_at}"
                )
        return found

    def signals_from_record(self, record: WorkflowRecord, now: datetime) -> list[Signal]:
        """Signals in a record a workflow sent (see `signals_in`), dated by its history where it has one."""
        return self.signals_in(record.object_id, dict(record.properties), now, record.changed_at)

    def signals_in(
        self, contact_id: str, props: Properties, now: datetime, changed_at: Mapping[str, int] | None = None
    ) -> list[Signal]:
        """The signals a contact's properties hold: each signal property with a value, at the time HubSpot
        gives for it (its `at_property`, else when it changed), else now. The same value seen again (a
        re-enrolment, a retry) is the same signal."""
        found: list[Signal] = []
        for name in self.config.scoring.signal_properties:
            changed = (changed_at or {}).get(name)
            at = self._at_property_time(name, props) or (
                datetime.fromtimestamp(changed / 1000, tz=UTC) if changed else now
            )
            found += self._signal(
                name, props.get(name), at, f"hubspot:{contact_id}:{name}:{int(at.timestamp())}"
            )
        return found

    def _at_property_time(self, name: str, props: Properties) -> datetime | None:
        spec = self.config.scoring.signal_properties.get(name)
        return parse_hubspot_time(props.get(spec.at_property)) if spec and spec.at_property else None

    def _signal(self, name: str, value: str | None, at: datetime, identity: str) -> list[Signal]:
        spec = self.config.scoring.signal_properties.get(name)
        if spec is None or not value:
            return []
        return [Signal.observed(spec.signal, at, spec.attribute, value, identity)]

    def may_become_mql(self, contact_id: str, props: Properties, now: datetime) -> bool:
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
        data = self.config.scoring.data_properties
        if status == JourneyStatus.REJECTED and rejected and fingerprint(props, data) == rejected:
            logger.info("rejected lead unchanged since rejection", contact_id=contact_id)
            return False
        return True
