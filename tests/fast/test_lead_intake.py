"""The lead intake on fakes: triage, scoring and the MQL gates, journey starts, signals, decisions and
engagements, and which messages come back when one contact fails."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from leadflow.app.intake import START_MARGIN_MS, IntakeResult
from leadflow.app.ports import HubSpotError, HubSpotUnavailable
from leadflow.core.decisions import Decision
from leadflow.core.journey_record import JourneyFields, JourneyKey, JourneyStatus, execution_name
from leadflow.core.journey_state import DecisionInput, EngagementInput, JourneyState
from leadflow.core.lifecycle import MQL, Prop, fingerprint
from leadflow.core.signals import ContactSignal, Signal
from leadflow.webhooks.events import WebhookEvent
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import COLD_PROPS, MQL_PROPS
from tests.fast.conftest import World

SENDER = HubSpotWebhookSender("http://unused", "unused")
CHANGE = "contact.propertyChange"
FIT = {"industry": "COMPUTER_SOFTWARE", "numemployees": "500-1000"}  # fit 40, no intent yet
REJECT_REASONS = "not_icp, bad_data, competitor, student, no_budget, duplicate"


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def event(
    world: World,
    kind: str,
    contact: str,
    name: str | None = None,
    value: str | None = None,
    *,
    after: float = 0,
) -> WebhookEvent:
    """A HubSpot webhook event that occurred `after` seconds past the world's clock."""
    at = ms(world.clock()) + int(after * 1000)
    return WebhookEvent.model_validate(SENDER.event(kind, contact, name, value, occurred_at_ms=at))


def created(world: World, contact: str) -> WebhookEvent:
    return event(world, "contact.creation", contact)


def changed(world: World, contact: str, name: str, value: str, *, after: float = 0) -> WebhookEvent:
    return event(world, CHANGE, contact, name, value, after=after)


def process(world: World, *events: WebhookEvent, signals: tuple[ContactSignal, ...] = ()) -> IntakeResult:
    """One batch: events as messages m1, m2, ..., outside signals as s1, s2, ..."""
    return world.intake.process(
        [(f"m{i}", e) for i, e in enumerate(events, 1)], [(f"s{i}", s) for i, s in enumerate(signals, 1)]
    )


def decide(
    world: World,
    contact: str,
    decision: str,
    reason: str = "",
    *,
    field: str = Prop.DECISION,
    after: float = 60,
) -> WebhookEvent:
    """The rep sets the decision (and its reason) on the contact; HubSpot's event for `field`."""
    world.hubspot.crm.update_object(
        "contacts", contact, {Prop.DECISION: decision, Prop.DECISION_REASON: reason}
    )
    return changed(world, contact, field, decision if field == Prop.DECISION else reason, after=after)


def add_option(world: World, name: str, value: str) -> None:
    """An admin (or a newer leadflow) adds `value` to the contact dropdown `name`."""
    options = world.hubspot.crm.property("contacts", name)["options"]
    if value not in {o["value"] for o in options}:
        new = {"label": value, "value": value, "displayOrder": len(options), "hidden": False}
        world.hubspot.crm.update_property("contacts", name, {"options": [*options, new]})


def accepted(world: World, **props: str) -> JourneyState:
    """A lead its owner accepted: the journey is SAL and its qualification window open."""
    state = world.handed_off(**props)
    state.decision = DecisionInput(decision=Decision.ACCEPT, decided_at=world.clock())
    return world.steps.mark_sal(state)


def closed(world: World, decision: Decision, reason: str) -> JourneyState:
    """A lead whose journey ended with this decision."""
    state = world.handed_off()
    state.decision = DecisionInput(decision=decision, reason=reason, decided_at=world.clock())
    return world.steps.close(state)


def mql_stamp(world: World, contact: str) -> tuple[str | None, str | None]:
    """The contact's lifecycle stage and MQL time."""
    props = world.hubspot.contact(contact)
    return props.get(Prop.LIFECYCLE), props.get(Prop.MQL_AT)


def resumed_decisions(world: World) -> list[tuple[str, DecisionInput]]:
    return [(token, DecisionInput.model_validate_json(payload)) for token, payload in world.engine.resumed]


def resumed_engagements(world: World) -> list[tuple[str, EngagementInput]]:
    return [(token, EngagementInput.model_validate_json(payload)) for token, payload in world.engine.resumed]


def batch_updates(world: World, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, dict[str, str]]]:
    """Every update_contacts batch the intake writes, with its contents."""
    seen: list[dict[str, dict[str, str]]] = []
    real = world.hubspot.update_contacts

    def record(updates: dict[str, dict[str, str]]) -> None:
        seen.append({k: dict(v) for k, v in updates.items()})
        real(updates)

    monkeypatch.setattr(world.hubspot, "update_contacts", record)
    return seen


# Triage ---------------------------------------------------------------------------------------


def test_events_leadflow_does_not_act_on_are_counted_as_ignored_and_make_no_hubspot_call(
    world: World,
) -> None:
    contact = world.contact(**MQL_PROPS)
    result = process(
        world,
        event(world, "deal.creation", "9"),
        event(world, "contact.deletion", contact),
        event(world, "company.propertyChange", "7", "industry", "RETAIL"),
        changed(world, contact, "favorite_color", "blue"),
        changed(world, contact, Prop.SCORE, "80"),
        changed(world, contact, Prop.JOURNEY_STATUS, "awaiting_decision"),
        changed(world, contact, Prop.DECISION, ""),
        changed(world, contact, "engagements_last_meeting_booked", ""),
    )
    assert result == IntakeResult(ignored=8)
    assert world.hubspot.calls == []
    assert world.store.signals == {}


def test_an_event_for_a_contact_hubspot_does_not_have_is_dropped_without_failing(world: World) -> None:
    result = process(world, event(world, "contact.creation", "999"))
    assert result == IntakeResult()
    assert world.hubspot.calls == ["read_contacts"]


# Scoring and MQLs -----------------------------------------------------------------------------


def test_a_created_mql_gets_its_handoff_packet_and_exactly_one_journey(world: World) -> None:
    contact = world.contact(**MQL_PROPS)
    result = process(world, created(world, contact))
    assert result == IntakeResult(rescored=1, new_mqls=1, journeys_started=1)
    props = world.hubspot.contact(contact)
    packet = {
        k: props[k] for k in (Prop.SCORE, Prop.FIT_SCORE, Prop.INTENT_SCORE, Prop.FIT_TIER, Prop.FAST_TRACK)
    }
    assert packet == {
        Prop.SCORE: "85",
        Prop.FIT_SCORE: "40",
        Prop.INTENT_SCORE: "45",
        Prop.FIT_TIER: "B",
        Prop.FAST_TRACK: "false",
    }
    assert props[Prop.MQL_REASON] == "submitted the Talk to sales form on 2026-11-24"
    assert mql_stamp(world, contact) == (MQL, "2026-11-24T09:00:00.000Z")
    name = execution_name(contact, world.clock())
    assert list(world.engine.started) == [name] == [f"lead-{contact}-1795510800"]
    started = JourneyState.model_validate_json(world.engine.started[name])
    assert (started.contact_id, started.score, started.mql_reason, started.fast_track) == (
        contact,
        85,
        "submitted the Talk to sales form on 2026-11-24",
        False,
    )
    # What routing reads travels with the journey, as scored: Route reads nothing back from HubSpot.
    assert started.lead_properties is not None
    assert set(started.lead_properties) == world.config.routing.contact_properties
    assert (started.lead_properties["numemployees"], started.lead_properties[Prop.FIT_TIER]) == (
        "500-1000",
        "B",
    )


def test_a_batch_done_before_is_dropped_and_one_not_remembered_starts_no_second_journey(
    world: World,
) -> None:
    contact = world.contact(**MQL_PROPS)
    batch = [("m1", created(world, contact))]
    world.intake.process(batch)
    stamp = mql_stamp(world, contact)
    world.clock.advance(minutes=5)
    assert world.intake.process(batch) == IntakeResult(duplicates=1)
    assert world.hubspot.calls.count("read_contacts") == 1
    world.store.events.clear()  # done but never remembered: the function stopped in between
    assert world.intake.process(batch) == IntakeResult(rescored=1)
    assert mql_stamp(world, contact) == stamp
    assert len(world.engine.started) == 1


def test_a_fast_track_lead_starts_its_journey_flagged_fast_track(world: World) -> None:
    contact = world.contact(**{**MQL_PROPS, "numemployees": "1000+"})
    process(world, created(world, contact))
    assert world.hubspot.contact(contact)[Prop.FIT_TIER] == "A"
    (payload,) = world.engine.started.values()
    assert JourneyState.model_validate_json(payload).fast_track is True


def test_a_cold_contact_is_scored_but_not_made_an_mql(world: World) -> None:
    contact = world.contact(**COLD_PROPS)
    result = process(world, created(world, contact))
    assert result == IntakeResult(rescored=1)
    props = world.hubspot.contact(contact)
    assert (props[Prop.SCORE], props[Prop.FIT_TIER], props[Prop.INTENT_SCORE]) == ("-15", "C", "0")
    assert mql_stamp(world, contact) == (None, None)
    assert world.engine.started == {}


def test_many_contacts_share_one_batch_read_and_one_batch_update(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    updates = batch_updates(world, monkeypatch)
    contacts = [world.contact(**COLD_PROPS) for _ in range(150)]
    result = process(world, *(created(world, c) for c in contacts))
    assert result.rescored == 150
    assert world.hubspot.calls.count("read_contacts") == 1
    assert world.hubspot.calls == ["read_contacts", "update_contacts"]
    assert len(updates) == 1 and sorted(updates[0], key=int) == contacts


def test_a_rescore_that_changes_nothing_writes_nothing_back(world: World) -> None:
    contact = world.contact(**COLD_PROPS)
    process(world, created(world, contact))
    world.hubspot.calls.clear()
    result = process(world, changed(world, contact, "industry", "RETAIL"))
    assert result == IntakeResult(rescored=1)
    assert world.hubspot.calls == ["read_contacts"]


def test_company_properties_are_read_once_per_batch_and_scored(world: World) -> None:
    company = world.hubspot.crm.create_object(
        "companies", {"hs_is_target_account": "true", "annualrevenue": "25000000"}
    )
    contacts = [world.contact(**COLD_PROPS, associatedcompanyid=company) for _ in range(3)]
    process(world, *(created(world, c) for c in contacts))
    assert world.hubspot.calls.count("read_companies") == 1
    detail = world.hubspot.contact(contacts[0])[Prop.SCORE_DETAIL]
    assert "+15 their company is a target account" in detail and "+10 company revenue 25000000" in detail


# The MQL gates --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["awaiting_decision", "sal", "failed", "a_status_of_a_newer_version"])
def test_no_new_mql_while_a_journey_is_open(world: World, status: str) -> None:
    add_option(world, Prop.JOURNEY_STATUS, status)
    contact = world.contact(**MQL_PROPS, leadflow_journey_status=status)
    result = process(world, created(world, contact))
    assert result == IntakeResult(rescored=1)
    assert mql_stamp(world, contact) == (None, None)
    assert world.hubspot.contact(contact)[Prop.JOURNEY_STATUS] == status
    assert world.engine.started == {}


def test_a_recycled_lead_becomes_an_mql_again_only_after_its_cooldown(world: World) -> None:
    until = world.clock() + timedelta(days=30)
    contact = world.contact(
        **MQL_PROPS,
        lifecyclestage="lead",
        leadflow_journey_status="recycled",
        leadflow_recycle_until=until.isoformat(timespec="seconds"),
    )
    assert process(world, created(world, contact)) == IntakeResult(rescored=1)
    assert mql_stamp(world, contact) == ("lead", None)
    world.clock.advance(days=30, seconds=-1)
    # A fresh form submission each time: the month-old one no longer makes an MQL on its own.
    assert (
        process(world, changed(world, contact, "recent_conversion_event_name", "Talk to sales")).new_mqls == 0
    )
    world.clock.advance(seconds=2)
    result = process(world, changed(world, contact, "recent_conversion_event_name", "Talk to sales"))
    assert (result.new_mqls, result.journeys_started) == (1, 1)
    assert mql_stamp(world, contact) == (MQL, "2026-12-24T09:00:01.000Z")


def test_a_rejected_lead_becomes_an_mql_again_only_once_its_scored_data_changed(world: World) -> None:
    data = world.config.scoring.data_properties
    contact = world.contact(
        **MQL_PROPS,
        lifecyclestage="lead",
        leadflow_journey_status="rejected",
        leadflow_rejected_fingerprint=fingerprint(MQL_PROPS, data),
    )
    assert process(world, created(world, contact)) == IntakeResult(rescored=1)
    # A new signal is not new data: the lead stays rejected.
    world.hubspot.crm.update_object(
        "contacts", contact, {"hs_analytics_last_url": "https://x.example/pricing"}
    )
    assert (
        process(
            world, changed(world, contact, "hs_analytics_last_url", "https://x.example/pricing", after=1)
        ).new_mqls
        == 0
    )
    assert mql_stamp(world, contact) == ("lead", None)
    world.hubspot.crm.update_object("contacts", contact, {"jobtitle": "VP Sales"})
    result = process(world, changed(world, contact, "jobtitle", "VP Sales", after=2))
    assert (result.new_mqls, result.journeys_started) == (1, 1)
    assert mql_stamp(world, contact)[0] == MQL


@pytest.mark.parametrize("stage", ["marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"])
def test_no_new_mql_when_the_lifecycle_stage_is_already_past_lead(world: World, stage: str) -> None:
    contact = world.contact(**MQL_PROPS, lifecyclestage=stage)
    result = process(world, created(world, contact))
    assert result == IntakeResult(rescored=1)
    assert mql_stamp(world, contact) == (stage, None)
    assert world.engine.started == {}


def test_a_contact_moved_back_to_lead_by_hand_keeps_its_stamp_and_is_not_made_an_mql_again(
    world: World,
) -> None:
    contact = world.contact(
        **MQL_PROPS, lifecyclestage="lead", leadflow_mql_at="2026-11-01T09:00:00.000+00:00"
    )
    assert process(world, created(world, contact)) == IntakeResult(rescored=1)
    assert mql_stamp(world, contact) == ("lead", "2026-11-01T09:00:00.000Z")
    assert world.engine.started == {}


def test_an_open_journey_of_another_mql_stops_a_second_journey_from_starting(world: World) -> None:
    contact = world.contact(**MQL_PROPS)
    other = JourneyKey(contact, f"lead-{contact}-1795000000")
    world.store.record_journey(other, JourneyStatus.AWAITING_DECISION, world.clock(), JourneyFields())
    result = process(world, created(world, contact))
    # The journey store says a journey runs, whatever HubSpot's copy of its status says: no new MQL.
    assert (result.new_mqls, result.journeys_started) == (0, 0)
    assert world.engine.started == {}
    assert not world.hubspot.contact(contact).get(Prop.MQL_AT)


def refuse_start_of(world: World, monkeypatch: pytest.MonkeyPatch, contact: str) -> str:
    """StartExecution fails for the contact's journey (throttled) until `monkeypatch.undo()`; its name."""
    broken = execution_name(contact, world.clock())
    real = world.engine.start

    def start(name: str, payload: str) -> bool:
        if name == broken:
            raise RuntimeError("StartExecution throttled")
        return real(name, payload)

    monkeypatch.setattr(world.engine, "start", start)
    return broken


def test_a_journey_whose_start_failed_is_started_when_the_message_comes_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hot, other = world.contact(**MQL_PROPS), world.contact(**MQL_PROPS)
    broken = refuse_start_of(world, monkeypatch, hot)
    batch = [("m1", created(world, hot)), ("m2", created(world, other))]
    first = world.intake.process(batch)
    assert (first.failed_message_ids, first.journeys_started) == (["m1"], 1)
    assert mql_stamp(world, hot)[0] == MQL  # the write-back happened before the start failed
    monkeypatch.undo()
    again = world.intake.process([batch[0]])
    assert (again.failed_message_ids, again.journeys_started, again.new_mqls) == ([], 1, 0)
    assert sorted(world.engine.started) == sorted([broken, execution_name(other, world.clock())])


def time_left(*ms: int) -> Callable[[], int]:
    """The function's time left, as each successive question gets it (the last answer from then on)."""
    answers = list(ms)
    return lambda: answers.pop(0) if len(answers) > 1 else answers[0]


def test_a_journey_due_with_too_little_time_left_makes_its_message_late_and_not_remembered(
    world: World,
) -> None:
    hot, cold = world.contact(**MQL_PROPS), world.contact(**COLD_PROPS)
    batch = [("m1", created(world, hot)), ("m2", created(world, cold))]
    # Time enough when the contact scores as an MQL, too little by the time its journey would start.
    first = world.intake.process(batch, time_left_ms=time_left(START_MARGIN_MS, START_MARGIN_MS - 1))
    assert (first.late_message_ids, first.failed_message_ids, first.journeys_started) == (["m1"], [], 0)
    assert mql_stamp(world, hot)[0] == MQL
    assert world.store.events == {batch[1][1].dedupe_key}  # the late message's events are done again
    again = world.intake.process([batch[0]])
    assert (again.late_message_ids, again.journeys_started, again.new_mqls) == ([], 1, 0)
    assert list(world.engine.started) == [execution_name(hot, world.clock())]


def test_a_new_mql_with_too_little_time_left_makes_the_whole_batch_late_with_nothing_written(
    world: World,
) -> None:
    hot, cold = world.contact(**MQL_PROPS), world.contact(**COLD_PROPS)
    batch = [("m1", created(world, hot)), ("m2", created(world, cold))]
    first = world.intake.process(batch, time_left_ms=lambda: START_MARGIN_MS - 1)
    assert (first.late_message_ids, first.failed_message_ids, first.new_mqls) == (["m1", "m2"], [], 0)
    assert mql_stamp(world, hot) == (None, None) and not world.hubspot.contact(cold).get(Prop.FIT_TIER)
    assert world.store.events == set()
    again = world.intake.process(batch)
    assert (again.late_message_ids, again.new_mqls, again.journeys_started) == ([], 1, 1)


def test_only_the_events_of_messages_that_succeeded_are_remembered_as_done(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hot, other = world.contact(**MQL_PROPS), world.contact(**MQL_PROPS)
    world.hubspot.fail_next("read_contacts", HubSpotUnavailable("HubSpot is down"))
    batch = [("m1", created(world, hot)), ("m2", created(world, other))]
    with pytest.raises(HubSpotUnavailable):
        world.intake.process(batch)
    assert world.store.events == set()  # nothing was done, so nothing is dropped when it comes back
    refuse_start_of(world, monkeypatch, hot)
    first = world.intake.process(batch)
    assert (first.failed_message_ids, first.duplicates) == (["m1"], 0)
    assert world.store.events == {batch[1][1].dedupe_key}
    monkeypatch.undo()
    again = world.intake.process(batch)  # HubSpot's retry of the whole delivery
    assert (again.failed_message_ids, again.duplicates, again.journeys_started) == ([], 1, 1)
    assert world.store.events == {e.dedupe_key for _, e in batch}


# Signals --------------------------------------------------------------------------------------


def test_a_signal_property_change_is_stored_as_a_signal_and_scored(world: World) -> None:
    contact = world.contact(**FIT)
    world.hubspot.crm.update_object("contacts", contact, {"recent_conversion_event_name": "Demo request"})
    change = changed(world, contact, "recent_conversion_event_name", "Demo request")
    result = process(world, change)
    assert result == IntakeResult(rescored=1, new_mqls=1, journeys_started=1)
    assert world.store.signals == {
        contact: [
            Signal(
                type="form_submission",
                occurred_at=world.clock(),
                attributes={"form": "Demo request"},
                id=f"hubspot:{contact}:recent_conversion_event_name:{change.occurred_at}",
            )
        ]
    }
    assert world.hubspot.contact(contact)[Prop.INTENT_SCORE] == "40"


def test_a_signal_delivered_twice_is_stored_and_scored_once(world: World) -> None:
    contact = world.contact(industry="RETAIL", numemployees="50-100")
    view = changed(world, contact, "hs_analytics_last_url", "https://x.example/pricing")
    process(world, view)
    process(world, view)
    assert len(world.store.signals[contact]) == 1
    assert world.hubspot.contact(contact)[Prop.INTENT_SCORE] == "10"  # one pricing visit, not two


def test_a_contact_created_with_history_dates_its_signal_when_it_happened(world: World) -> None:
    contact = world.contact(**MQL_PROPS, recent_conversion_date="2026-11-20T08:00:00Z")
    process(world, created(world, contact))
    (signal,) = world.store.signals[contact]
    assert (signal.type, signal.occurred_at) == ("form_submission", datetime(2026, 11, 20, 8, 0, tzinfo=UTC))


def test_an_outside_signal_for_a_contact_is_stored_and_scored(world: World) -> None:
    contact = world.contact(**FIT)
    reply = Signal(
        type="conversation_reply",
        occurred_at=world.clock(),
        attributes={"problem": "missed MQLs"},
        source="linkedin-inbox",
        evidence="our SDRs miss MQLs",
    )
    result = process(world, signals=(ContactSignal(contact_id=contact, signal=reply),))
    assert result == IntakeResult(rescored=1, new_mqls=1, journeys_started=1)
    assert world.store.signals == {contact: [reply]}
    assert world.hubspot.contact(contact)[Prop.INTENT_SCORE] == "30"
    assert "contacts_where" not in world.hubspot.calls


def test_an_account_level_signal_reaches_every_contact_of_the_company(world: World) -> None:
    company = world.hubspot.crm.create_object("companies", {"name": "Acme"})
    staff = [world.contact(**COLD_PROPS, associatedcompanyid=company) for _ in range(2)]
    outsider = world.contact(**COLD_PROPS)
    surge = Signal(
        type="intent_surge",
        occurred_at=world.clock(),
        attributes={"strength": "85"},
        source="intent-provider",
    )
    result = process(world, signals=(ContactSignal(company_id=company, signal=surge),))
    assert result == IntakeResult(rescored=2)
    assert world.hubspot.calls.count("contacts_where") == 1
    assert world.store.signals == {c: [surge] for c in staff}
    assert [world.hubspot.contact(c)[Prop.INTENT_SCORE] for c in staff] == ["15", "15"]
    assert Prop.SCORE not in world.hubspot.contact(outsider)


# Decisions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason", "expected"),
    [
        (
            "accept",
            "",
            DecisionInput(
                decision=Decision.ACCEPT, reason="", decided_at=datetime(2026, 11, 24, 9, 1, tzinfo=UTC)
            ),
        ),
        (
            "recycle",
            "bad_timing",
            DecisionInput(
                decision=Decision.RECYCLE,
                reason="bad_timing",
                decided_at=datetime(2026, 11, 24, 9, 1, tzinfo=UTC),
            ),
        ),
    ],
)
def test_a_decision_is_delivered_to_the_wait_blocked_on_it(
    world: World, value: str, reason: str, expected: DecisionInput
) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    result = process(world, decide(world, state.contact_id, value, reason))
    assert result == IntakeResult(decisions_delivered=1)
    assert resumed_decisions(world) == [(token, expected)]
    assert world.record(state).task_token is None


def test_a_decision_nothing_waits_for_yet_is_parked_for_the_wait(world: World) -> None:
    state = world.handed_off()
    result = process(world, decide(world, state.contact_id, "accept"))
    assert result == IntakeResult(decisions_parked=1)
    assert world.engine.resumed == []
    parked = world.record(state).pending_decision
    assert parked is not None
    assert DecisionInput.model_validate_json(parked).decision is Decision.ACCEPT
    token = world.waiting(state)  # the wait registers later and takes the parked decision
    assert world.engine.resumed == [(token, parked)]


def test_a_decision_without_a_reason_gets_a_note_and_the_journey_keeps_waiting(world: World) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    notes = world.hubspot.notes()
    result = process(world, decide(world, state.contact_id, "reject"))
    assert result == IntakeResult(decisions_refused=1)
    assert world.hubspot.notes()[len(notes) :] == [
        f"leadflow: decision not accepted yet: a reject needs a reason: set 'Decision reason' to one of "
        f"{REJECT_REASONS}."
    ]
    assert (world.engine.resumed, world.engine.waiting) == ([], {token})
    assert world.record(state).pending_decision is None


def test_a_decision_with_a_reason_of_another_decision_gets_a_note(world: World) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    notes = world.hubspot.notes()
    result = process(world, decide(world, state.contact_id, "recycle", "not_icp"))
    assert result == IntakeResult(decisions_refused=1)
    assert world.hubspot.notes()[len(notes) :] == [
        "leadflow: decision not accepted yet: 'not_icp' is not a recycle reason: use one of "
        "not_ready, bad_timing, no_response."
    ]
    assert world.engine.waiting == {token}


def test_a_reason_set_after_a_refused_decision_completes_it(world: World) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    process(world, decide(world, state.contact_id, "reject"))
    reason = decide(world, state.contact_id, "reject", "competitor", field=Prop.DECISION_REASON, after=120)
    assert process(world, reason) == IntakeResult(decisions_delivered=1)
    assert resumed_decisions(world) == [
        (
            token,
            DecisionInput(
                decision=Decision.REJECT, reason="competitor", decided_at=world.clock() + timedelta(minutes=2)
            ),
        )
    ]


def test_a_decision_after_the_journey_ended_gets_a_note(world: World) -> None:
    state = closed(world, Decision.RECYCLE, "bad_timing")
    notes = world.hubspot.notes()
    result = process(world, decide(world, state.contact_id, "accept"))
    assert result == IntakeResult(decisions_refused=1)
    assert world.hubspot.notes()[len(notes) :] == [
        "leadflow: decision 'accept' not applied: this lead's journey has ended (recycled)."
    ]
    assert world.engine.resumed == []


def test_a_decision_on_a_failed_journey_is_kept_for_its_repair_and_the_rep_gets_a_note_saying_so(
    world: World,
) -> None:
    state = world.handed_off()
    world.engine.failed_states["arn:execution"] = "HandOff"
    state.error = {"Error": "HubSpotError", "Cause": "HubSpot answered 400"}
    state = world.steps.record_failure(state, "arn:execution", state.mql_at)
    notes = world.hubspot.notes()
    result = process(world, decide(world, state.contact_id, "accept"))
    assert world.hubspot.notes()[len(notes) :] == [
        "leadflow: decision 'accept' kept, not applied yet: this lead's journey stopped at HandOff "
        "(HubSpotError) and waits for an admin to repair it; it takes the decision once resumed."
    ]
    assert result == IntakeResult(decisions_parked=1)
    assert world.record(state).pending_decision is not None
    assert world.engine.resumed == []


def test_a_second_thought_after_acceptance_gets_a_note_naming_the_qualification_deadline(
    world: World,
) -> None:
    state = accepted(world)
    notes = world.hubspot.notes()
    result = process(world, decide(world, state.contact_id, "recycle", "bad_timing"))
    assert result == IntakeResult(decisions_refused=1)
    assert world.hubspot.notes()[len(notes) :] == [
        "leadflow: decision 'recycle' not applied: the lead is accepted already and waits for a qualifying "
        "engagement until 2026-12-08T09:00; without one it is recycled for no response."
    ]
    assert world.record(state).status is JourneyStatus.SAL


@pytest.mark.parametrize(
    ("journey", "value", "reason"),
    [
        (accepted, "accept", ""),
        (accepted, "accept", "bad_timing"),
        (lambda world: closed(world, Decision.RECYCLE, "bad_timing"), "recycle", "bad_timing"),
        (lambda world: closed(world, Decision.REJECT, "not_icp"), "reject", "not_icp"),
    ],
    ids=["accepted", "accepted-with-a-leftover-reason", "recycled", "rejected"],
)
def test_a_late_duplicate_of_the_decision_the_journey_took_stays_silent(
    world: World, journey: Callable[[World], JourneyState], value: str, reason: str
) -> None:
    state = journey(world)
    notes = world.hubspot.notes()
    result = process(world, decide(world, state.contact_id, value, reason))
    assert result == IntakeResult()
    assert world.hubspot.notes() == notes
    assert world.engine.resumed == []


def test_an_unknown_decision_value_is_ignored(world: World) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    notes = world.hubspot.notes()
    add_option(world, Prop.DECISION, "maybe")
    result = process(world, decide(world, state.contact_id, "maybe"))
    assert result == IntakeResult()
    assert (world.hubspot.notes(), world.engine.waiting) == (notes, {token})
    assert world.record(state).pending_decision is None


def test_a_decision_for_a_contact_without_a_journey_does_nothing(world: World) -> None:
    contact = world.contact(**MQL_PROPS, lifecyclestage="marketingqualifiedlead")
    assert process(world, decide(world, contact, "accept")) == IntakeResult()
    assert (world.hubspot.notes(), world.store.journeys) == ([], {})


@pytest.mark.parametrize("order", ["in order", "out of order"])
def test_the_latest_of_two_decisions_in_a_batch_is_the_one_delivered(world: World, order: str) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    earlier = decide(world, state.contact_id, "recycle", "bad_timing", after=60)
    later = decide(world, state.contact_id, "reject", "not_icp", field=Prop.DECISION_REASON, after=120)
    events = (earlier, later) if order == "in order" else (later, earlier)
    assert process(world, *events) == IntakeResult(decisions_delivered=1)
    assert resumed_decisions(world) == [
        (
            token,
            DecisionInput(
                decision=Decision.REJECT, reason="not_icp", decided_at=world.clock() + timedelta(minutes=2)
            ),
        )
    ]


# Engagements ----------------------------------------------------------------------------------


def test_a_qualifying_engagement_is_delivered_to_the_engagement_wait(world: World) -> None:
    state = accepted(world)
    token = world.waiting(state, "engagement")
    call_at = world.clock() + timedelta(hours=1)
    result = process(
        world, changed(world, state.contact_id, Prop.CONNECTED_CALL_AT, str(ms(call_at)), after=3600)
    )
    assert result == IntakeResult(engagements_delivered=1)
    assert resumed_engagements(world) == [(token, EngagementInput(kind="call_logged", at=call_at))]


def test_an_engagement_the_teams_policy_does_not_count_is_not_delivered(world: World) -> None:
    state = accepted(world, numemployees="50-100")
    assert (world.record(state).team, world.record(state).sql_policy) == ("sdr", "meeting_booked")
    token = world.waiting(state, "engagement")
    call = changed(world, state.contact_id, Prop.CONNECTED_CALL_AT, str(ms(world.clock())))
    assert process(world, call) == IntakeResult()
    assert (world.engine.resumed, world.engine.waiting) == ([], {token})
    assert world.record(state).pending_engagement is None
    meeting = changed(world, state.contact_id, "engagements_last_meeting_booked", str(ms(world.clock())))
    assert process(world, meeting) == IntakeResult(engagements_delivered=1)
    assert [e.kind for _, e in resumed_engagements(world)] == ["meeting_booked"]


def test_an_engagement_before_acceptance_is_kept_for_the_engagement_wait(world: World) -> None:
    state = world.handed_off()
    decision_token = world.waiting(state)
    reply = changed(world, state.contact_id, "hs_sales_email_last_replied", "2026-11-24T10:00:00Z")
    assert process(world, reply) == IntakeResult()
    assert world.engine.waiting == {decision_token}
    token = world.waiting(state, "engagement")
    assert resumed_engagements(world) == [
        (token, EngagementInput(kind="email_reply", at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC)))
    ]


def test_an_engagement_without_an_open_journey_is_dropped(world: World) -> None:
    nobody = world.contact(**MQL_PROPS)
    ended = closed(world, Decision.REJECT, "not_icp")
    at = str(ms(world.clock()))
    result = process(
        world,
        changed(world, nobody, "engagements_last_meeting_booked", at),
        changed(world, ended.contact_id, "engagements_last_meeting_booked", at),
    )
    assert result == IntakeResult()
    assert world.engine.resumed == []
    assert list(world.store.journeys) == [ended.key]
    assert world.record(ended).pending_engagement is None


# Failures -------------------------------------------------------------------------------------


def test_a_failure_for_one_contact_fails_only_the_messages_carrying_its_events(world: World) -> None:
    refused, fine = world.handed_off(), world.handed_off()
    token = world.waiting(fine)
    world.hubspot.fail_next("create_note", HubSpotError("boom"))
    result = world.intake.process(
        [
            ("m1", decide(world, refused.contact_id, "reject")),
            ("m2", decide(world, fine.contact_id, "accept")),
            ("m3", changed(world, refused.contact_id, "jobtitle", "CTO")),
            ("m1", changed(world, refused.contact_id, "industry", "INTERNET")),
        ]
    )
    assert result.failed_message_ids == ["m1", "m3"]
    assert (result.decisions_delivered, result.decisions_refused) == (1, 0)
    assert [t for t, _ in world.engine.resumed] == [token]


def test_a_message_carrying_events_of_two_failing_contacts_comes_back_once(world: World) -> None:
    first, second = world.handed_off(), world.handed_off()
    for _ in range(2):
        world.hubspot.fail_next("create_note", HubSpotError("boom"))
    result = world.intake.process(
        [
            ("m1", decide(world, first.contact_id, "reject")),
            ("m1", decide(world, second.contact_id, "reject")),
        ]
    )
    assert result.failed_message_ids == ["m1"]


def test_a_hubspot_outage_on_the_batch_read_fails_the_whole_batch(world: World) -> None:
    contact = world.contact(**MQL_PROPS)
    world.hubspot.fail_next("read_contacts", HubSpotUnavailable("HubSpot answered 503"))
    with pytest.raises(HubSpotUnavailable, match="503"):
        process(world, created(world, contact))
    assert (world.store.signals, world.engine.started) == ({}, {})
    assert mql_stamp(world, contact) == (None, None)
