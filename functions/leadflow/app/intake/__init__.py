"""Lead intake: turns a batch of queued work into scores, MQLs, journeys and decisions.

The work is HubSpot webhook events (a lead's stage moves among them), outside signals and the
records HubSpot workflows send. A
whole batch shares one HubSpot batch read and one batch update per 100 contacts, which is what
keeps HubSpot calls per event far below one; a contact that only complete workflow records
brought is not read at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time
from typing import Final

from leadflow.app.intake.batch import Fresh, IntakeBatch, event_time
from leadflow.app.intake.dedupe import unseen
from leadflow.app.intake.inputs import Delivered, JourneyInputs
from leadflow.app.intake.isolation import Isolated, isolate
from leadflow.app.intake.lead_moves import LeadMoves
from leadflow.app.intake.rescoring import Rescoring, mql_stamp, packet
from leadflow.app.intake.result import IntakeResult
from leadflow.app.intake.starts import journey_of, latest_journey_of, start_journey
from leadflow.app.ports import (
    DeliveryLedger,
    HubSpot,
    HubSpotError,
    HubSpotQuotaExhausted,
    HubSpotRateLimited,
    HubSpotUnavailable,
    JourneyEngine,
    JourneyStore,
    Properties,
    SignalStore,
)
from leadflow.core.clock import Clock, utcnow
from leadflow.core.config import LeadflowConfig
from leadflow.core.journey_record import is_open
from leadflow.core.journey_state import JourneyState
from leadflow.core.lifecycle import LeadProp, Prop, contact_ids
from leadflow.core.signals import MAX_NEW_SIGNALS, ContactSignal, parse_hubspot_time, unique
from leadflow.core.triage import Action, triage
from leadflow.observability import count, logger
from leadflow.webhooks.events import WebhookEvent
from leadflow.webhooks.workflow_records import LEAD_TYPES, WorkflowRecord

__all__ = ["START_MARGIN_MS", "IntakeResult", "Isolated", "LeadIntake"]

# The most contacts one account-level signal reaches: one page of HubSpot's search, so one search.
ACCOUNT_REACH: Final = 100
# No journey is started with less of the function's time left than this: what follows the starts
# (callback completions, the ledger's write, each message's fate) must fit, or the whole batch would
# come back only after the queue's visibility timeout. A message whose MQL is not started in time is
# late: it is sent again at once (`app.lead_events`) and its journey starts in the next batch.
START_MARGIN_MS: Final = 6_000


class LeadIntake:
    """The lead-events use case."""

    def __init__(
        self,
        config: LeadflowConfig,
        hubspot: HubSpot,
        engine: JourneyEngine,
        journeys: JourneyStore,
        signals: SignalStore,
        deliveries: DeliveryLedger,
        clock: Clock = utcnow,
    ) -> None:
        self._config = config
        self._rescoring = Rescoring(config)
        self._hubspot = hubspot
        self._engine = engine
        self._journeys = journeys
        self._signals = signals
        self._deliveries = deliveries
        self._clock = clock
        self._inputs = JourneyInputs(hubspot, journeys, engine, clock)
        self._lead_moves = LeadMoves(hubspot, journeys, self._inputs, config.journey.leads)

    def process_isolated(
        self,
        messages: Sequence[tuple[str, WebhookEvent]],
        signals: Sequence[tuple[str, ContactSignal]] = (),
        records: Sequence[tuple[str, WorkflowRecord]] = (),
        time_left_ms: Callable[[], int] = lambda: 2**31,
    ) -> Isolated:
        """Process a batch as `process` does, splitting it when it raises until each message that raises
        stands alone (`isolation`): the rest is done, and those are named with why."""
        accounts: dict[str, list[str]] = {}  # one search per company, however often the batch is split

        def run(ids: frozenset[str]) -> IntakeResult:
            return self.process(
                [m for m in messages if m[0] in ids],
                [s for s in signals if s[0] in ids],
                [r for r in records if r[0] in ids],
                accounts,
                time_left_ms,
            )

        return isolate([m for m, _ in [*messages, *signals, *records]], run, time_left_ms)

    def process(
        self,
        messages: Sequence[tuple[str, WebhookEvent]],
        signals: Sequence[tuple[str, ContactSignal]] = (),
        records: Sequence[tuple[str, WorkflowRecord]] = (),
        accounts: dict[str, list[str]] | None = None,
        time_left_ms: Callable[[], int] = lambda: 2**31,
    ) -> IntakeResult:
        """Process one batch of webhook events, outside signals and workflow records.

        HubSpot failures raise, so the whole batch is retried; a failure for one contact
        fails only the messages that carried its work. An event or record done before is dropped,
        and what this batch did is remembered only when nothing raised. `accounts` holds the
        contacts of each company an account-level signal names, searched once. A contact whose
        journey is due when less than `START_MARGIN_MS` is left makes its messages late.
        """
        fresh = unseen(self._deliveries, messages, records)
        try:
            result = self._process(
                fresh.events, signals, fresh.records, {} if accounts is None else accounts, time_left_ms
            )
        except _OutOfTime:
            carrying = [m for m, _ in [*fresh.events, *signals, *fresh.records]]
            logger.warning("no time left for the batch's new MQLs; it is sent again", messages=len(carrying))
            result = IntakeResult(late_message_ids=list(dict.fromkeys(carrying)))
        result.duplicates = fresh.dropped
        fresh.done(self._deliveries, set(result.failed_message_ids) | set(result.late_message_ids))
        return result

    def _process(
        self,
        messages: Sequence[tuple[str, WebhookEvent]],
        signals: Sequence[tuple[str, ContactSignal]],
        records: Sequence[tuple[str, WorkflowRecord]],
        accounts: dict[str, list[str]],
        time_left_ms: Callable[[], int],
    ) -> IntakeResult:
        result = IntakeResult()
        batch = IntakeBatch()
        self._add_events(batch, messages, result)
        self._add_signals(batch, signals, accounts)
        self._add_records(batch, records)
        self._act_on_leads(batch, result)
        if not batch.messages:
            return result
        contacts = self._properties(batch)
        updates = self._rescore_all(batch, contacts, result, time_left_ms)
        self._write_back(updates, contacts, batch, result)
        # In the order the work arrived, not HubSpot's (a batch read answers in no promised order): under
        # a burst the MQL that came first starts first, and is routed and handed off first.
        arrival = {contact_id: i for i, contact_id in enumerate(batch.messages)}
        for contact_id in sorted(contacts, key=lambda c: arrival.get(c, len(arrival))):
            props = contacts[contact_id]
            current = {**props, **updates.get(contact_id, {})}
            due = journey_of(contact_id, current, self._config.routing.contact_properties)
            if due is not None and time_left_ms() < START_MARGIN_MS:
                result.late(batch.messages[contact_id])
                continue
            try:
                self._act_on(contact_id, current, due, batch, result)
            except Exception as exc:
                result.quota_exhausted |= isinstance(exc, HubSpotQuotaExhausted)
                logger.exception("contact processing failed; its work will be retried", contact_id=contact_id)
                result.failed_message_ids.extend(
                    m for m in batch.messages[contact_id] if m not in result.failed_message_ids
                )
        return result

    def _write_back(
        self,
        updates: dict[str, dict[str, str]],
        contacts: dict[str, Properties],
        batch: IntakeBatch,
        result: IntakeResult,
    ) -> None:
        """One batch update; when HubSpot refuses it whole (a record it does not have, a value it will
        not take), each contact on its own: one HubSpot no longer has is dropped, one it refuses fails
        only its own messages. A rate limit or an outage fails the batch, to be retried whole."""
        try:
            self._hubspot.update_contacts(updates)
            return
        except (HubSpotRateLimited, HubSpotUnavailable):
            raise
        except HubSpotError:
            logger.warning("batch update refused; writing contact by contact")
        for contact_id, change in updates.items():
            try:
                self._hubspot.update_contact(contact_id, change)
            except (HubSpotRateLimited, HubSpotUnavailable):
                raise
            except HubSpotError as exc:
                contacts.pop(contact_id, None)
                if not exc.not_found:
                    logger.error("contact update refused", contact_id=contact_id, error=str(exc))
                    result.failed_message_ids.extend(
                        m for m in batch.messages[contact_id] if m not in result.failed_message_ids
                    )

    def _add_events(
        self, batch: IntakeBatch, messages: Sequence[tuple[str, WebhookEvent]], result: IntakeResult
    ) -> None:
        engagements = self._config.journey.engagements
        for message_id, event in messages:
            action = triage(
                event, self._config.scoring.properties, self._config.journey.engagement_properties
            )
            if action is None:
                result.ignored += 1
                continue
            if action is Action.LEAD_MOVE:
                batch.moved(str(event.object_id), message_id, event_time(event))
                continue
            contact_id = str(event.object_id)
            batch.carried(contact_id, message_id)
            if action is Action.RESCORE:
                batch.rescore.setdefault(contact_id, []).append(event)
            elif action is Action.ENGAGEMENT:
                kind = engagements[event.property_name or ""]
                batch.engaged(contact_id, kind, event.property_value, event_time(event))
            else:
                batch.decided(contact_id, event_time(event))

    def _act_on_leads(self, batch: IntakeBatch, result: IntakeResult) -> None:
        """Deliver what each moved lead's stage means; a failure fails only that lead's messages."""
        if not batch.leads:
            return
        leads = self._lead_moves.read(batch.leads)
        for lead_id, (moved_at, message_ids) in batch.leads.items():
            props = leads.get(lead_id)
            if props is None:
                result.ignored += len(message_ids)  # a lead deleted since
                continue
            try:
                decided, engaged = self._lead_moves.deliver(lead_id, props, moved_at)
            except Exception as exc:
                result.quota_exhausted |= isinstance(exc, HubSpotQuotaExhausted)
                logger.exception("lead move failed; it will be retried", lead_id=lead_id)
                result.failed_message_ids.extend(message_ids)
                continue
            result.decided(decided)
            result.engagements_delivered += engaged is Delivered.RESUMED

    def _add_signals(
        self,
        batch: IntakeBatch,
        signals: Sequence[tuple[str, ContactSignal]],
        accounts: dict[str, list[str]],
    ) -> None:
        for message_id, item in signals:
            targets = [item.contact_id] if item.contact_id else self._account(item.company_id or "", accounts)
            for contact_id in targets:
                batch.carried(contact_id, message_id)
                batch.rescore.setdefault(contact_id, [])
                batch.outside.setdefault(contact_id, []).append(item.signal)

    def _account(self, company_id: str, accounts: dict[str, list[str]]) -> list[str]:
        """The contacts an account-level signal reaches: those whose primary company it is, searched once
        per company per batch, at most ACCOUNT_REACH of them (a signal about a larger account reaches the
        first ACCOUNT_REACH HubSpot finds, and says so)."""
        if company_id not in accounts:
            found = self._hubspot.contacts_where(Prop.COMPANY_ID, company_id, limit=ACCOUNT_REACH)
            if len(found) >= ACCOUNT_REACH:
                logger.warning(
                    f"an account-level signal reaches at most {ACCOUNT_REACH} contacts; company {company_id} "
                    f"may have more, and those were not rescored",
                    company_id=company_id,
                )
                count("AccountSignalsCapped")
            accounts[company_id] = found
        return accounts[company_id]

    def _add_records(self, batch: IntakeBatch, records: Sequence[tuple[str, WorkflowRecord]]) -> None:
        """A record's values are fresh data; a decision or engagement in it acts like its change would.

        A full body says when each property changed (its versions), so a value set before the
        contact's journey began is not taken as new; a customized body carries no history, and its
        values are taken as changed now.
        """
        now = self._clock()
        for message_id, record in records:
            if record.object_type in LEAD_TYPES:
                # A lead-based workflow: the lead's stage is read back like an app webhook's move.
                batch.moved(record.object_id, message_id, _at(record.changed_at.get(LeadProp.STAGE)) or now)
                continue
            contact_id = record.object_id
            batch.carried(contact_id, message_id, read=not record.complete)
            batch.fresh[contact_id] = Fresh(dict(record.properties), record.complete)
            batch.outside.setdefault(contact_id, []).extend(self._rescoring.signals_from_record(record, now))
            if record.properties.get(Prop.DECISION):
                batch.decided(contact_id, _at(record.changed_at.get(Prop.DECISION)) or now)
            for prop, kind in self._config.journey.engagements.items():
                value = record.properties.get(prop)
                if value:
                    batch.engaged(contact_id, kind, value, _changed(record, prop, value, now))

    def _properties(self, batch: IntakeBatch) -> dict[str, Properties]:
        """Each contact's properties: read from HubSpot (one batch read per 100) unless a complete
        record brought them, with what records brought laid over them as the freshest values."""
        wanted = self._config.contact_properties
        contacts = self._hubspot.read_contacts(batch.unread, wanted) if batch.unread else {}
        for asked, props in list(contacts.items()):
            survivor = str(props.get(Prop.OBJECT_ID) or asked)
            if survivor != asked:
                # HubSpot merged the contact into another: the work is the survivor's, done once.
                batch.merged(asked, survivor)
                contacts[survivor] = contacts.pop(asked)
        for contact_id, fresh in batch.fresh.items():
            if contact_id in contacts or fresh.complete:
                base = contacts.get(contact_id) or dict.fromkeys(wanted)
                contacts[contact_id] = {**base, **fresh.properties}
        self._add_company_properties(contacts)
        return contacts

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
        self,
        batch: IntakeBatch,
        contacts: dict[str, Properties],
        result: IntakeResult,
        time_left_ms: Callable[[], int],
    ) -> dict[str, dict[str, str]]:
        """Store each rescored contact's new signals and score it; the property changes to write back.
        Raises _OutOfTime, before anything is written back, when a new MQL comes with too little time
        left to start its journey."""
        scored = sorted(batch.scored & contacts.keys(), key=int)
        # A survivor of a merge scores on the signals of every contact merged into it.
        ids = {c: contact_ids(c, contacts[c]) for c in scored}
        history = self._signals.load_signals({i for each in ids.values() for i in each}) if scored else {}
        updates: dict[str, dict[str, str]] = {}
        now = self._clock()
        for contact_id in scored:
            props = contacts[contact_id]
            known = [s for i in ids[contact_id] for s in history.get(i, [])]
            seen = {s.key() for s in known}
            arrived = self._rescoring.signals_from_events(batch.rescore.get(contact_id, []), props)
            fresh = unique([s for s in arrived + batch.outside.get(contact_id, []) if s.key() not in seen])
            if len(fresh) > MAX_NEW_SIGNALS:
                logger.warning(
                    "more new signals than a batch keeps; the newest are kept",
                    contact_id=contact_id,
                    signals=len(fresh),
                    kept=MAX_NEW_SIGNALS,
                )
                fresh = fresh[:MAX_NEW_SIGNALS]
            self._signals.add_signals(contact_id, fresh)
            card = self._rescoring.scorer.score(props, unique(known + fresh), now=now)
            result.rescored += 1
            change = {k: v for k, v in packet(card).items() if (props.get(k) or "") != v}
            if card.is_mql and self._new_mql(contact_id, props, batch, now, time_left_ms):
                result.new_mqls += 1
                change |= mql_stamp(card.reason, now)
                logger.info(
                    "new MQL", contact_id=contact_id, fit=card.fit, intent=card.intent, reason=card.reason
                )
            if change:
                updates[contact_id] = change
        return updates

    def _new_mql(
        self,
        contact_id: str,
        props: Properties,
        batch: IntakeBatch,
        now: datetime,
        time_left_ms: Callable[[], int],
    ) -> bool:
        """Whether a contact that scores as an MQL becomes one now: the gates let it and no journey of
        its runs. Raises _OutOfTime when the batch would have no time left to start its journey."""
        if not self._rescoring.may_become_mql(contact_id, props, now):
            return False
        if time_left_ms() < START_MARGIN_MS:
            raise _OutOfTime
        return not self._running(contact_id, props, batch)

    def _running(self, contact_id: str, props: Properties, batch: IntakeBatch) -> bool:
        """Whether the journey store holds a journey of the contact still running (or starting), whatever
        HubSpot's copy of its status says: a late or redelivered record cannot make a second MQL. The
        record is kept for the journey's start later in the batch, which would read it again."""
        latest = batch.latest[contact_id] = latest_journey_of(self._journeys, contact_id, props)
        return latest is not None and (latest.status is None or is_open(latest.status))

    def _act_on(
        self,
        contact_id: str,
        props: Properties,
        due: JourneyState | None,
        batch: IntakeBatch,
        result: IntakeResult,
    ) -> None:
        # An MQL whose journey has not begun yet: either new in this batch, or the start failed
        # earlier after the write-back succeeded (`due`, see `journey_of`).
        if due is not None:
            known = contact_id in batch.latest
            latest = (
                batch.latest[contact_id] if known else latest_journey_of(self._journeys, contact_id, props)
            )
            result.journeys_started += start_journey(self._engine, due, latest)
        if contact_id in batch.decisions:
            result.decided(self._inputs.decision(contact_id, props, batch.decisions[contact_id]))
        for kind, at, changed in batch.engagements.get(contact_id, []):
            delivered = self._inputs.engagement(contact_id, props, kind, at, changed)
            result.engagements_delivered += delivered is Delivered.RESUMED


class _OutOfTime(Exception):
    """A new MQL came with too little of the function's time left to start its journey."""


def _at(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms else None


def _changed(record: WorkflowRecord, prop: str, value: str, now: datetime) -> datetime:
    """When an engagement property in a record changed: its history says, else its own time (an
    engagement is stamped when it happens; a date alone, midnight, says too little), else now."""
    at = _at(record.changed_at.get(prop)) or parse_hubspot_time(value)
    return at if at is not None and at.timetz().replace(tzinfo=None) != time(0) else now
