"""HubSpot workflows on fakes: the "Send a webhook" action's records, authenticated and queued once;
the records scored by the lead intake (without a HubSpot read when they are complete); leadflow's own
"Score with leadflow" and "Hand off with leadflow" actions; the journey's end releasing the workflows
blocked on it; and the completions sent to HubSpot's callbacks API."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadflow.app.intake import IntakeResult
from leadflow.app.intake.dedupe import record_key
from leadflow.app.ports import CallbackClaim, HubSpotRateLimited, HubSpotUnavailable
from leadflow.app.refusals import MalformedRequest, TryLater, Unauthenticated
from leadflow.app.webhook_intake import WebhookIntake
from leadflow.app.workflow_actions import WorkflowActions, handoff_days
from leadflow.app.workflow_callbacks import complete_callbacks
from leadflow.core.decisions import Decision
from leadflow.core.journey_record import (
    JourneyFields,
    JourneyKey,
    JourneyRecord,
    JourneyStatus,
    execution_name,
)
from leadflow.core.journey_state import DecisionInput, EngagementInput, JourneyState
from leadflow.core.lifecycle import MQL, Prop
from leadflow.core.signals import Signal
from leadflow.core.workflow_outcome import CallbackCompletion
from leadflow.webhooks.signature import SignedRequest, sign_v3
from leadflow.webhooks.workflow_records import RECORD_ID_KEYS, WorkflowRecord
from tests.conftest import COLD_PROPS, MQL_PROPS
from tests.fast.conftest import World, make_world
from tests.fast.fakes import FakeQueue

SECRET = "secret"
KEY = "workflow-api-key"
KEY_NAME = "X-Leadflow-Key"  # the shipped workflows.api_key_name
NOW_MS = 1_795_510_800_000  # 2026-11-24T09:00:00Z, where the world's clock stands
RECORD_URI = "https://x.example/Prod/workflows/webhook"
SCORE_URI = "https://x.example/Prod/workflows/actions/score"
HANDOFF_URI = "https://x.example/Prod/workflows/actions/handoff"
MQL_REASON = "submitted the Talk to sales form on 2026-11-24"


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def text(body: object) -> str:
    return body if isinstance(body, str) else json.dumps(body)


def v2_signed(uri: str, body: object, secret: str = SECRET) -> SignedRequest:
    """Signed as HubSpot signs v2: hex sha256 of secret + method + URI + body."""
    raw = text(body)
    signature = hashlib.sha256(f"{secret}POST{uri}{raw}".encode()).hexdigest()
    headers = {"X-HubSpot-Signature": signature, "X-HubSpot-Signature-Version": "v2"}
    return SignedRequest("POST", uri, raw, headers)


def v3_signed(uri: str, body: object) -> SignedRequest:
    raw = text(body)
    headers = {
        "X-HubSpot-Signature-v3": sign_v3(SECRET, "POST", uri, raw, NOW_MS),
        "X-HubSpot-Request-Timestamp": str(NOW_MS),
    }
    return SignedRequest("POST", uri, raw, headers)


def keyed(body: object, headers: Mapping[str, str] | None = None) -> SignedRequest:
    """A "Send a webhook" request authenticated by API key in a header (the default)."""
    return SignedRequest("POST", RECORD_URI, text(body), {KEY_NAME: KEY} if headers is None else headers)


# The "Send a webhook" action ------------------------------------------------------------------


@pytest.fixture
def queue() -> FakeQueue:
    return FakeQueue()


@pytest.fixture
def webhooks(world: World, queue: FakeQueue) -> WebhookIntake:
    return intake_with(world, queue, KEY)


def intake_with(world: World, queue: FakeQueue, key: str) -> WebhookIntake:
    return WebhookIntake(world.config, lambda: SECRET, queue, now_ms=lambda: NOW_MS, workflow_key=lambda: key)


def accepted(record: str, *, complete: bool, auth: str = "api_key") -> dict[str, object]:
    return {
        "record": record,
        "enqueued": 1,
        "complete": complete,
        "auth": auth,
    }


def queued(queue: FakeQueue) -> list[dict[str, Any]]:
    """The queued records, without their identities."""
    return [r.model_dump(exclude={"identity"}) for r in queue.records]


def assert_nothing_queued(world: World, queue: FakeQueue) -> None:
    assert (queue.records, world.store.events) == ([], set())


def version(value: str, at: int) -> dict[str, Any]:
    return {"value": value, "timestamp": at, "source-type": "API", "selected": False}


CONTACTS_API_BODY = {
    "vid": 101,
    "canonical-vid": 202,  # the contact 101 was merged into
    "portal-id": 62515,
    "is-contact": True,
    "properties": {
        "industry": {
            "value": "COMPUTER_SOFTWARE",
            "versions": [version("COMPUTER_SOFTWARE", NOW_MS - 5_000), version("RETAIL", NOW_MS - 90_000)],
        },
        "numemployees": {"value": "500", "versions": [version("500", NOW_MS - 60_000)]},
        "lifecyclestage": {"value": "lead"},
        "favorite_color": {"value": "blue", "versions": [version("blue", NOW_MS - 1_000)]},
        "hs_email_domain": {"value": "initech.example"},
    },
}


def test_a_contacts_api_body_queues_the_canonical_contact_with_values_and_when_each_changed(
    world: World, queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    assert webhooks.receive_record(keyed(CONTACTS_API_BODY), {}) == accepted("202", complete=True)
    assert queued(queue) == [
        {
            "object_type": "CONTACT",
            "object_id": "202",
            "properties": {"industry": "COMPUTER_SOFTWARE", "numemployees": "500", "lifecyclestage": "lead"},
            "complete": True,
            "changed_at": {"industry": NOW_MS - 5_000, "numemployees": NOW_MS - 60_000},
        }
    ]
    assert world.store.events == set()  # the answer waits on the queue write alone


def test_a_contacts_api_body_without_a_canonical_vid_names_its_vid(
    queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    body = {"vid": 101, "properties": {"industry": {"value": "INTERNET"}}}
    assert webhooks.receive_record(keyed(body), {})["record"] == "101"
    assert [r.object_id for r in queue.records] == ["101"]


@pytest.mark.parametrize("object_type", ["CONTACT", "contact"])
def test_an_object_shaped_body_is_a_complete_record_of_its_contact(
    queue: FakeQueue, webhooks: WebhookIntake, object_type: str
) -> None:
    body = {
        "objectId": 303,
        "objectType": object_type,
        "properties": {
            "industry": "INTERNET",
            "numemployees": {"value": "250", "versions": [version("250", NOW_MS - 7_000)]},
            "favorite_color": "blue",
        },
    }
    assert webhooks.receive_record(keyed(body), {}) == accepted("303", complete=True)
    assert queued(queue) == [
        {
            "object_type": "CONTACT",
            "object_id": "303",
            "properties": {"industry": "INTERNET", "numemployees": "250"},
            "complete": True,
            "changed_at": {"numemployees": NOW_MS - 7_000},
        }
    ]


def test_a_customized_body_is_an_incomplete_record_of_the_values_it_names(
    queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    body = {
        "hs_object_id": "404",
        "industry": "INTERNET",
        "numemployees": 250,
        "leadflow_fast_track": False,
        "jobtitle": None,
        "favorite_color": "blue",
    }
    assert webhooks.receive_record(keyed(body), {}) == accepted("404", complete=False)
    assert queued(queue) == [
        {
            "object_type": "CONTACT",
            "object_id": "404",
            "properties": {"industry": "INTERNET", "numemployees": "250", "leadflow_fast_track": "false"},
            "complete": False,
            "changed_at": {},
        }
    ]


@pytest.mark.parametrize("key", RECORD_ID_KEYS)
def test_a_customized_body_may_name_its_record_under_each_accepted_id_key(
    queue: FakeQueue, webhooks: WebhookIntake, key: str
) -> None:
    assert webhooks.receive_record(keyed({key: 505, "industry": "INTERNET"}), {})["record"] == "505"
    (record,) = queue.records
    assert (record.object_id, record.properties, record.complete) == ("505", {"industry": "INTERNET"}, False)


def test_the_same_body_sent_twice_is_done_once_by_the_intake_and_a_changed_one_again(
    world: World, queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    contact = world.contact(**COLD_PROPS)
    body = {"hs_object_id": contact, "industry": "INTERNET"}
    changed = {"hs_object_id": contact, "industry": "COMPUTER_SOFTWARE"}
    for sent in (body, body, changed):
        assert webhooks.receive_record(keyed(sent), {}) == accepted(contact, complete=False)
    done = [world.intake.process([], (), [(f"m{i}", r)]) for i, r in enumerate(queue.records)]
    assert [(r.rescored, r.duplicates) for r in done] == [(1, 0), (0, 1), (1, 0)]
    assert world.store.events == {record_key(r) for r in queue.records}
    assert len(world.store.events) == 2


BODY = {"hs_object_id": "404", "industry": "INTERNET"}


@pytest.mark.parametrize(
    ("request_of", "query", "auth"),
    [
        (lambda: keyed(BODY), {}, "api_key"),
        (lambda: keyed(BODY, {KEY_NAME.lower(): KEY}), {}, "api_key"),
        (lambda: keyed(BODY, {}), {KEY_NAME: [KEY]}, "api_key"),
        (lambda: v2_signed(RECORD_URI, BODY), {}, "v2"),
        (lambda: v3_signed(RECORD_URI, BODY), {}, "v3"),
    ],
    ids=["key-header", "key-header-any-case", "key-query", "signed-v2", "signed-v3"],
)
def test_a_record_is_accepted_with_the_api_key_or_a_hubspot_signature_and_says_which(
    queue: FakeQueue,
    webhooks: WebhookIntake,
    request_of: Any,
    query: dict[str, list[str]],
    auth: str,
) -> None:
    assert webhooks.receive_record(request_of(), query) == accepted("404", complete=False, auth=auth)
    assert len(queue.records) == 1


def bad_v2() -> SignedRequest:
    signed = v2_signed(RECORD_URI, BODY, secret="not-the-secret")
    return SignedRequest("POST", RECORD_URI, signed.body, {**signed.headers, KEY_NAME: KEY})


@pytest.mark.parametrize(
    ("request_of", "query", "message"),
    [
        (lambda: keyed(BODY, {KEY_NAME: "guessed"}), {}, f"the {KEY_NAME} API key does not match"),
        (lambda: keyed(BODY, {}), {KEY_NAME: ["guessed"]}, f"the {KEY_NAME} API key does not match"),
        (
            lambda: keyed(BODY, {}),
            {},
            f"no HubSpot signature, and no {KEY_NAME} header or query parameter",
        ),
        (
            lambda: keyed(BODY, {}),
            {"other": [KEY]},
            f"no HubSpot signature, and no {KEY_NAME} header or query parameter",
        ),
        # A request carrying a signature is judged by it: a right key does not rescue a wrong signature.
        (bad_v2, {}, "invalid signature: v2 signature does not match"),
    ],
    ids=["wrong-key-header", "wrong-key-query", "no-auth", "key-under-another-name", "bad-v2-signature"],
)
def test_a_record_not_proven_by_key_or_signature_is_unauthenticated_and_queues_nothing(
    world: World,
    queue: FakeQueue,
    webhooks: WebhookIntake,
    request_of: Any,
    query: dict[str, list[str]],
    message: str,
) -> None:
    with pytest.raises(Unauthenticated, match=message):
        webhooks.receive_record(request_of(), query)
    assert_nothing_queued(world, queue)


@pytest.mark.parametrize(
    ("headers", "query"),
    [({KEY_NAME: KEY}, {}), ({}, {KEY_NAME: [KEY]}), ({}, {KEY_NAME: [""]})],
    ids=["a-key-in-the-header", "a-key-in-the-query", "an-empty-key-in-the-query"],
)
def test_with_an_empty_configured_key_no_key_is_accepted(
    world: World, queue: FakeQueue, headers: dict[str, str], query: dict[str, list[str]]
) -> None:
    intake = intake_with(world, queue, "")
    with pytest.raises(Unauthenticated, match=f"the {KEY_NAME} API key does not match"):
        intake.receive_record(keyed(BODY, headers), query)
    assert_nothing_queued(world, queue)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "body is not JSON"),
        (json.dumps([BODY]), "body must be a JSON object: the record the workflow enrolled"),
        (
            json.dumps({"industry": "INTERNET"}),
            "body names no record: a customized body must carry the record id as hs_object_id or objectId",
        ),
        (json.dumps({"hs_object_id": "abc"}), "hs_object_id must be a numeric record id, not 'abc'"),
        (json.dumps({"contact_id": "-5"}), "contact_id must be a numeric record id, not '-5'"),
        (
            json.dumps({"objectId": 9001, "objectType": "DEAL", "properties": {"dealname": "x"}}),
            r"leadflow works on contacts and leads; this workflow sent a DEAL record "
            r"\(use a contact-based or lead-based workflow\)",
        ),
    ],
    ids=["not-json", "an-array", "no-record-id", "non-numeric-id", "negative-id", "a-deal"],
)
def test_a_malformed_record_is_refused_naming_the_problem(
    world: World, queue: FakeQueue, webhooks: WebhookIntake, body: str, message: str
) -> None:
    with pytest.raises(MalformedRequest, match=message):
        webhooks.receive_record(keyed(body), {})
    assert_nothing_queued(world, queue)


def test_when_the_queue_is_down_the_record_is_refused_and_its_retry_is_accepted(
    world: World, queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    queue.down = True
    with pytest.raises(TryLater, match="the record could not be queued; retry later"):
        webhooks.receive_record(keyed(BODY), {})
    assert_nothing_queued(world, queue)
    queue.down = False
    assert webhooks.receive_record(keyed(BODY), {}) == accepted("404", complete=False)
    assert [r.object_id for r in queue.records] == ["404"]


# Workflow records in the lead intake ----------------------------------------------------------


def record(
    contact: str, *, complete: bool = True, changed_at: Mapping[str, int] | None = None, **props: str
) -> WorkflowRecord:
    return WorkflowRecord(
        object_id=contact,
        properties=props,
        complete=complete,
        identity=f"body-{contact}-{len(props)}",
        changed_at=dict(changed_at or {}),
    )


def snapshot(
    world: World, contact: str, changed_at: Mapping[str, int] | None = None, **changes: str
) -> WorkflowRecord:
    """A complete record of the contact as HubSpot holds it now (what leadflow reads), with `changes`."""
    kept = world.config.contact_properties
    props = {k: v for k, v in world.hubspot.contact(contact).items() if k in kept and v}
    return record(contact, changed_at=changed_at, **props, **changes)


def process(world: World, *records: WorkflowRecord) -> IntakeResult:
    """One batch of workflow records, as messages r1, r2, ..."""
    return world.intake.process([], (), [(f"r{i}", r) for i, r in enumerate(records, 1)])


def sal(world: World) -> JourneyState:
    """A lead its owner accepted: it waits for a qualifying engagement."""
    state = world.handed_off()
    state.decision = DecisionInput(decision=Decision.ACCEPT, decided_at=world.clock())
    return world.steps.mark_sal(state)


def test_a_complete_record_is_scored_on_its_own_values_without_reading_the_contact(world: World) -> None:
    contact = world.contact(**COLD_PROPS)  # what HubSpot held before the workflow's values
    result = process(world, record(contact, **MQL_PROPS))
    assert result == IntakeResult(rescored=1, new_mqls=1, journeys_started=1)
    assert world.hubspot.calls == ["update_contacts"]
    props = world.hubspot.contact(contact)
    assert (props[Prop.SCORE], props[Prop.FIT_SCORE], props[Prop.LIFECYCLE], props[Prop.MQL_REASON]) == (
        "85",
        "40",
        MQL,
        MQL_REASON,
    )


def test_a_record_that_makes_an_mql_starts_exactly_one_journey(world: World) -> None:
    contact = world.contact()
    twice = process(world, record(contact, **MQL_PROPS), record(contact, **MQL_PROPS))
    assert twice == IntakeResult(rescored=1, new_mqls=1, journeys_started=1, duplicates=1)
    name = execution_name(contact, world.clock())
    assert list(world.engine.started) == [name]
    started = JourneyState.model_validate_json(world.engine.started[name])
    assert (started.contact_id, started.score, started.mql_reason) == (contact, 85, MQL_REASON)


def test_an_incomplete_record_lays_its_values_over_the_contact_read_from_hubspot(world: World) -> None:
    contact = world.contact(industry="COMPUTER_SOFTWARE", numemployees="1-5")
    customized = record(
        contact, complete=False, numemployees="500-1000", recent_conversion_event_name="Talk to sales"
    )
    assert process(world, customized) == IntakeResult(rescored=1, new_mqls=1, journeys_started=1)
    assert world.hubspot.calls == ["read_contacts", "update_contacts"]
    props = world.hubspot.contact(contact)
    assert (props[Prop.FIT_SCORE], props[Prop.INTENT_SCORE], props[Prop.LIFECYCLE]) == ("40", "45", MQL)


def test_an_incomplete_record_of_a_contact_hubspot_does_not_have_is_dropped(world: World) -> None:
    assert process(world, record("999", complete=False, **MQL_PROPS)) == IntakeResult()
    assert (world.hubspot.calls, world.engine.started) == (["read_contacts"], {})


def test_a_signal_property_in_a_record_is_stored_dated_by_its_at_property(world: World) -> None:
    contact = world.contact()
    changed = {"recent_conversion_event_name": ms(world.clock() - timedelta(hours=1))}
    process(
        world,
        record(
            contact,
            changed_at=changed,
            recent_conversion_event_name="Demo request",
            recent_conversion_date="2026-11-20T08:00:00Z",
        ),
    )
    at = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert world.store.signals == {
        contact: [
            Signal(
                type="form_submission",
                occurred_at=at,
                attributes={"form": "Demo request"},
                id=f"hubspot:{contact}:recent_conversion_event_name:{int(at.timestamp())}",
            )
        ]
    }


def test_a_signal_property_without_its_at_property_is_dated_when_it_changed(world: World) -> None:
    contact = world.contact()
    viewed = world.clock() - timedelta(minutes=20)
    page = record(
        contact,
        changed_at={"hs_analytics_last_url": ms(viewed)},
        hs_analytics_last_url="https://x.example/pricing",
    )
    process(world, page)
    process(world, page)  # sent again: the same signal
    assert world.store.signals == {
        contact: [
            Signal(
                type="page_view",
                occurred_at=viewed,
                attributes={"url": "https://x.example/pricing"},
                id=f"hubspot:{contact}:hs_analytics_last_url:{int(viewed.timestamp())}",
            )
        ]
    }
    assert world.hubspot.contact(contact)[Prop.INTENT_SCORE] == "10"


def test_a_signal_in_a_customized_record_is_dated_now(world: World) -> None:
    contact = world.contact()
    process(world, record(contact, complete=False, hs_analytics_last_url="https://x.example/docs"))
    ((signal,),) = world.store.signals.values()
    assert (signal.type, signal.occurred_at) == ("page_view", world.clock())


def test_a_decision_in_a_record_is_delivered_to_the_wait_blocked_on_it(world: World) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    decided_at = world.clock() + timedelta(minutes=1)
    world.clock.advance(minutes=2)
    sent = snapshot(
        world,
        state.contact_id,
        changed_at={Prop.DECISION: ms(decided_at)},
        **{Prop.DECISION: "reject", Prop.DECISION_REASON: "not_icp"},
    )
    world.hubspot.calls.clear()
    assert process(world, sent) == IntakeResult(rescored=1, decisions_delivered=1)
    assert world.hubspot.calls == ["update_contacts"]  # the packet written back; nothing read
    assert [(t, DecisionInput.model_validate_json(p)) for t, p in world.engine.resumed] == [
        (token, DecisionInput(decision=Decision.REJECT, reason="not_icp", decided_at=decided_at))
    ]


def test_a_decision_in_a_record_made_before_the_journey_began_is_stale_and_ignored(world: World) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    before = world.clock() - timedelta(days=3)  # the previous journey's decision, still on the contact
    sent = snapshot(
        world,
        state.contact_id,
        changed_at={Prop.DECISION: ms(before)},
        **{Prop.DECISION: "recycle", Prop.DECISION_REASON: "bad_timing"},
    )
    assert process(world, sent) == IntakeResult(rescored=1)
    assert (world.engine.resumed, world.engine.waiting) == ([], {token})
    assert world.record(state).pending_decision is None


@pytest.mark.parametrize(
    ("changed", "delivered"), [(timedelta(minutes=45), True), (-timedelta(days=2), False)]
)
def test_an_engagement_in_a_record_is_delivered_only_if_it_changed_after_the_journey_began(
    world: World, changed: timedelta, delivered: bool
) -> None:
    state = sal(world)
    token = world.waiting(state, "engagement")
    replied = world.clock() + changed
    world.clock.advance(hours=1)
    sent = snapshot(
        world,
        state.contact_id,
        changed_at={"hs_sales_email_last_replied": ms(replied)},
        hs_sales_email_last_replied=replied.isoformat(),
    )
    assert process(world, sent) == IntakeResult(rescored=1, engagements_delivered=int(delivered))
    resumed = [(t, EngagementInput.model_validate_json(p)) for t, p in world.engine.resumed]
    assert resumed == ([(token, EngagementInput(kind="email_reply", at=replied))] if delivered else [])
    assert world.engine.waiting == (set() if delivered else {token})


# "Score with leadflow" and "Hand off with leadflow" -----------------------------------------


@pytest.fixture
def actions(world: World) -> WorkflowActions:
    return actions_of(world)


def actions_of(world: World) -> WorkflowActions:
    return WorkflowActions(
        world.config,
        lambda: SECRET,
        world.hubspot,
        world.store,
        world.store,
        world.engine,
        world.clock,
        now_ms=lambda: NOW_MS,
    )


def execution(
    contact: str,
    callback: str = "cb-1",
    properties: Mapping[str, str] | None = None,
    object_type: str = "CONTACT",
    **inputs: object,
) -> dict[str, Any]:
    """One execution of a custom action, as HubSpot POSTs it."""
    return {
        "callbackId": callback,
        "origin": {"portalId": 62515, "actionDefinitionId": 1001, "actionDefinitionVersion": 1},
        "context": {"source": "WORKFLOWS", "workflowId": 4201},
        "object": {"objectId": int(contact), "objectType": object_type, "properties": dict(properties or {})},
        "inputFields": inputs,
    }


def hand_off(actions: WorkflowActions, contact: str, callback: str = "cb-1", **more: Any) -> dict[str, str]:
    return actions.hand_off(v2_signed(HANDOFF_URI, execution(contact, callback, **more)))["outputFields"]


BLOCK = {"hs_execution_state": "BLOCK", "hs_expiration_duration": "P30D"}


def not_mql(reason: str) -> dict[str, str]:
    return {
        "hs_execution_state": "SUCCESS",
        "outcome": "not_mql",
        "reason": reason,
        "error": "",
        "owner_email": "",
        "owner_id": "",
        "team": "",
        "sql_path": "",
        "deal_id": "",
        "lead_id": "",
        "hours_to_decision": "",
    }


def journey_key(world: World, contact: str) -> JourneyKey:
    return JourneyKey(contact, execution_name(contact, world.clock()))


def test_score_answers_the_score_card_of_the_properties_sent_without_reading_the_contact(
    world: World, actions: WorkflowActions
) -> None:
    contact = world.contact(**COLD_PROPS)
    answer = actions.score(v2_signed(SCORE_URI, execution(contact, properties=MQL_PROPS)))
    assert answer == {
        "outputFields": {
            "score": "85",
            "fit_score": "40",
            "intent_score": "45",
            "tier": "B",
            "persona": "",
            "reason": MQL_REASON,
            "evidence": f"{MQL_REASON}.",
            "is_mql": "true",
            "disqualified_by": "",
            "hs_execution_state": "SUCCESS",
        }
    }
    assert world.hubspot.calls == []
    assert world.store.signals == {}  # scoring stores nothing


def test_score_reads_the_contact_when_no_properties_are_sent(world: World, actions: WorkflowActions) -> None:
    contact = world.contact(**COLD_PROPS, jobtitle="PhD candidate")
    outputs = actions.score(v2_signed(SCORE_URI, execution(contact)))["outputFields"]
    assert world.hubspot.calls == ["read_contacts"]
    assert (outputs["score"], outputs["tier"], outputs["is_mql"], outputs["disqualified_by"]) == (
        "-15",
        "C",
        "false",
        "student",
    )


def test_handing_off_an_mql_stamps_it_starts_its_journey_and_blocks_the_workflow_on_it(
    world: World, actions: WorkflowActions
) -> None:
    contact = world.contact(**MQL_PROPS)
    assert hand_off(actions, contact, properties=MQL_PROPS) == BLOCK
    props = world.hubspot.contact(contact)
    assert (props[Prop.LIFECYCLE], props[Prop.MQL_AT], props[Prop.MQL_REASON], props[Prop.SCORE]) == (
        MQL,
        "2026-11-24T09:00:00.000Z",
        MQL_REASON,
        "85",
    )
    key = journey_key(world, contact)
    assert list(world.engine.started) == [key.journey_id]
    assert JourneyState.model_validate_json(world.engine.started[key.journey_id]).mql_reason == MQL_REASON
    assert world.store.callbacks == {"cb-1": CallbackClaim(key)}
    assert world.store.journey(key) == JourneyRecord(
        contact_id=contact, journey_id=key.journey_id, callbacks=frozenset({"cb-1"})
    )


def test_the_block_lasts_the_longest_a_journey_can_take_or_the_configured_handoff_days() -> None:
    shipped = make_world()
    assert handoff_days(shipped.config) == 30  # 12 SLA hours around the clock, 14 + 14 days, one more
    world = make_world(lambda c: c.update(workflows={"handoff_days": 2.5}))
    contact = world.contact(**MQL_PROPS)
    assert hand_off(actions_of(world), contact)["hs_expiration_duration"] == "P3D"


@pytest.mark.parametrize(
    ("props", "reason"),
    [(COLD_PROPS, "below the MQL gates"), ({**MQL_PROPS, "jobtitle": "Student"}, "student")],
    ids=["cold", "disqualified"],
)
def test_a_contact_below_the_gates_is_not_handed_off_and_the_workflow_goes_on(
    world: World, actions: WorkflowActions, props: dict[str, str], reason: str
) -> None:
    contact = world.contact(**props)
    assert hand_off(actions, contact, properties=props) == not_mql(reason)
    assert (world.engine.started, world.store.callbacks, world.store.journeys) == ({}, {}, {})
    assert "update_contact" not in world.hubspot.calls
    assert Prop.MQL_AT not in world.hubspot.contact(contact)


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        (
            {"sales_ready": "true", "reason": "asked for a call at the webinar"},
            "asked for a call at the webinar",
        ),
        ({"sales_ready": True}, "handed off by a HubSpot workflow"),
    ],
)
def test_a_sales_ready_contact_below_the_gates_is_handed_off_for_the_reason_given(
    world: World, actions: WorkflowActions, inputs: dict[str, object], reason: str
) -> None:
    contact = world.contact(**COLD_PROPS)
    assert hand_off(actions, contact, properties=COLD_PROPS, **inputs) == BLOCK
    props = world.hubspot.contact(contact)
    assert (props[Prop.LIFECYCLE], props[Prop.MQL_REASON], props[Prop.SCORE]) == (MQL, reason, "-15")
    (payload,) = world.engine.started.values()
    assert JourneyState.model_validate_json(payload).mql_reason == reason
    assert set(world.store.callbacks) == {"cb-1"}


def test_a_contact_past_mql_is_not_handed_off_even_when_sales_ready(
    world: World, actions: WorkflowActions
) -> None:
    contact = world.contact(**COLD_PROPS, lifecyclestage="customer")
    assert hand_off(actions, contact, properties=COLD_PROPS, sales_ready="true") == not_mql(
        "lifecycle stage customer is past MQL"
    )
    assert (world.engine.started, world.store.callbacks) == ({}, {})
    assert world.hubspot.contact(contact)[Prop.LIFECYCLE] == "customer"


def test_a_contact_with_an_open_journey_is_joined_not_started_again(
    world: World, actions: WorkflowActions
) -> None:
    state = world.handed_off()
    world.hubspot.calls.clear()
    assert hand_off(actions, state.contact_id, "cb-2", properties=MQL_PROPS) == BLOCK
    assert world.engine.started == {}
    assert world.hubspot.calls == []
    assert world.store.callbacks == {"cb-2": CallbackClaim(state.key)}
    assert world.record(state).callbacks == {"cb-2"}


def test_the_same_callback_sent_again_starts_nothing_and_still_blocks(
    world: World, actions: WorkflowActions
) -> None:
    contact = world.contact(**MQL_PROPS)
    assert hand_off(actions, contact, properties=MQL_PROPS) == BLOCK
    stamped = world.hubspot.contact(contact)[Prop.MQL_AT]
    world.clock.advance(seconds=20)  # HubSpot's retry of an answer that came late
    assert hand_off(actions, contact, properties=MQL_PROPS) == BLOCK
    assert len(world.engine.started) == 1
    assert world.hubspot.contact(contact)[Prop.MQL_AT] == stamped
    key = JourneyKey(contact, next(iter(world.engine.started)))
    assert world.store.callbacks == {"cb-1": CallbackClaim(key)}
    assert world.store.journey(key).callbacks == {"cb-1"}  # type: ignore[union-attr]


def test_a_callback_tied_to_a_journey_that_ended_answers_its_outcome(
    world: World, actions: WorkflowActions
) -> None:
    contact = world.contact(**MQL_PROPS)
    mql_at = world.clock() - timedelta(days=2)
    ended = JourneyKey(contact, execution_name(contact, mql_at))
    world.store.claim_callback("cb-1", ended)
    world.store.record_journey(
        ended,
        JourneyStatus.ROUTED,
        mql_at,
        JourneyFields(mql_at=mql_at, owner_id="7001", owner_email="ada@example.com", team="sales"),
    )
    world.store.record_journey(
        ended,
        JourneyStatus.REJECTED,
        mql_at + timedelta(hours=3),
        JourneyFields(decision="reject", reason="not_icp", decided_by="owner"),
    )
    assert hand_off(actions, contact, properties=MQL_PROPS) == {
        "hs_execution_state": "SUCCESS",
        "outcome": "rejected",
        "reason": "not_icp",
        "error": "",
        "owner_email": "ada@example.com",
        "owner_id": "7001",
        "team": "sales",
        "sql_path": "",
        "deal_id": "",
        "lead_id": "",
        "hours_to_decision": "3.0",
    }
    assert world.engine.started == {}
    assert Prop.MQL_AT not in world.hubspot.contact(contact)
    assert list(world.store.journeys) == [ended]


@pytest.mark.parametrize("action", ["score", "hand_off"])
def test_an_action_request_not_signed_with_the_secret_is_unauthenticated(
    world: World, actions: WorkflowActions, action: str
) -> None:
    contact = world.contact(**MQL_PROPS)
    request = v2_signed(HANDOFF_URI, execution(contact, properties=MQL_PROPS), secret="not-the-secret")
    with pytest.raises(Unauthenticated, match="invalid signature: v2 signature does not match"):
        getattr(actions, action)(request)
    assert (world.hubspot.calls, world.engine.started, world.store.callbacks) == ([], {}, {})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (execution("9001", object_type="DEAL"), "leadflow's actions work on contacts, not DEAL"),
        (
            {"object": {"objectId": 1, "objectType": "CONTACT"}},
            "invalid action request at callbackId: Field required",
        ),
        (
            {"callbackId": "cb-1", "object": {"objectId": "abc", "objectType": "CONTACT"}},
            "invalid action request at object.objectId: Input should be a valid integer",
        ),
    ],
    ids=["a-deal", "no-callback-id", "bad-object-id"],
)
def test_a_malformed_action_request_is_refused_naming_the_problem(
    world: World, actions: WorkflowActions, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(MalformedRequest, match=message):
        actions.hand_off(v2_signed(HANDOFF_URI, body))
    assert (world.hubspot.calls, world.engine.started, world.store.callbacks) == ([], {}, {})


# The journey's end releases the workflows blocked on it -------------------------------------


def handed_off_by_workflows(world: World, *callbacks: str, **props: str) -> JourneyState:
    """An MQL handed off by workflows (one execution per callback), its journey routed and handed off."""
    contact = world.contact(**{**MQL_PROPS, **props})
    actions = actions_of(world)
    for callback in callbacks:
        assert hand_off(actions, contact, callback)["hs_execution_state"] == "BLOCK"
    (payload,) = world.engine.started.values()
    return world.steps.handoff(world.steps.route(JourneyState.model_validate_json(payload)))


def decided(
    world: World, state: JourneyState, decision: Decision, reason: str = "", automatic: bool = False
) -> JourneyState:
    world.clock.advance(minutes=30)
    state.decision = DecisionInput(
        decision=decision, reason=reason, decided_at=world.clock(), automatic=automatic
    )
    return state


def released(world: World, callbacks: Sequence[str], **outputs: str) -> list[CallbackCompletion]:
    """The completions of these callbacks: a journey that ended (SUCCESS) with these outputs."""
    fields = {
        "hs_execution_state": "SUCCESS",
        "outcome": "",
        "reason": "",
        "error": "",
        "owner_email": "ada@example.com",
        "owner_id": world.owners["ada@example.com"],
        "team": "sales",
        "sql_path": "",
        "deal_id": "",
        "lead_id": "",
        "hours_to_decision": "",
        **outputs,
    }
    return [CallbackCompletion(callback_id=c, output_fields=fields) for c in callbacks]


@pytest.mark.parametrize(
    ("decision", "reason", "automatic", "outcome", "hours"),
    [
        (Decision.REJECT, "not_icp", False, "rejected", "0.5"),
        (Decision.RECYCLE, "bad_timing", False, "recycled", "0.5"),
        (Decision.RECYCLE, "no_response", True, "no_response", ""),
    ],
    ids=["rejected", "recycled", "no-response"],
)
def test_closing_a_journey_releases_each_workflow_blocked_on_it_with_the_outcome(
    world: World, decision: Decision, reason: str, automatic: bool, outcome: str, hours: str
) -> None:
    state = handed_off_by_workflows(world, "cb-1", "cb-2")
    assert world.queue.completions == []
    state = world.steps.close(decided(world, state, decision, reason, automatic))
    assert world.queue.completions == released(
        world, ["cb-1", "cb-2"], outcome=outcome, reason=reason, hours_to_decision=hours
    )
    assert world.record(state).callbacks == frozenset()


def test_an_sql_releases_the_workflow_with_its_path_and_deal(world: World) -> None:
    state = handed_off_by_workflows(world, "cb-1")
    state = world.steps.mark_sal(decided(world, state, Decision.ACCEPT))
    assert world.queue.completions == []  # accepted is not an end
    world.clock.advance(days=1)
    state.engagement = EngagementInput(kind="email_reply", at=world.clock())
    state = world.steps.mark_sql(state)
    (deal,) = world.hubspot.records("deals")
    assert world.queue.completions == released(
        world,
        ["cb-1"],
        outcome="sql",
        sql_path="engagement_required",
        deal_id=deal["id"],
        hours_to_decision="0.5",
    )
    assert world.record(state).callbacks == frozenset()


def test_a_fast_tracked_sql_releases_the_workflow_without_a_decision_time(world: World) -> None:
    state = handed_off_by_workflows(world, "cb-1", numemployees="1000+")
    state = world.steps.mark_sql(state)
    (deal,) = world.hubspot.records("deals")
    assert world.queue.completions == released(
        world,
        ["cb-1"],
        outcome="sql",
        owner_email="grace@example.com",
        owner_id=world.owners["grace@example.com"],
        team="enterprise",
        sql_path="fast_track",
        deal_id=deal["id"],
    )


def test_a_failed_journey_releases_its_workflows_as_failed_and_a_later_one_waits_for_the_repair(
    world: World,
) -> None:
    state = handed_off_by_workflows(world, "cb-1")
    arn = f"arn:aws:states:eu-west-1:123456789012:execution:lead-journey:{state.journey_id}"
    world.engine.failed_states[arn] = "HandOff"
    state.error = {"Error": "HubSpotUnavailable", "Cause": "HubSpot answered 503"}
    state = world.steps.record_failure(state, arn, state.mql_at)
    assert world.queue.completions == released(
        world, ["cb-1"], outcome="failed", error="HubSpotUnavailable: HubSpot answered 503"
    )
    assert world.record(state).callbacks == frozenset()
    assert hand_off(actions_of(world), state.contact_id, "cb-2") == BLOCK  # a failed journey is still open
    assert world.record(state).callbacks == {"cb-2"}
    assert len(world.queue.completions) == 1


def test_a_journey_no_workflow_waits_on_releases_nothing(world: World) -> None:
    state = world.steps.close(decided(world, world.handed_off(), Decision.REJECT, "duplicate"))
    assert world.queue.completions == []
    assert world.record(state).status is JourneyStatus.REJECTED


# Completing the callbacks ---------------------------------------------------------------------


def completion(callback: str) -> CallbackCompletion:
    return CallbackCompletion(
        callback_id=callback, output_fields={"hs_execution_state": "SUCCESS", "outcome": "sql"}
    )


@pytest.mark.parametrize(
    "error", [HubSpotUnavailable("HubSpot answered 503"), HubSpotRateLimited("HubSpot answered 429")]
)
def test_a_completion_hubspot_cannot_take_now_comes_back_with_its_message(
    world: World, error: Exception
) -> None:
    world.hubspot.fail_next("complete_callback", error)
    assert complete_callbacks(world.hubspot, [("m1", completion("cb-1"))]) == ["m1"]
    assert world.hubspot.calls == ["complete_callback"]


def test_a_message_whose_completion_failed_is_not_tried_again_in_the_same_batch(world: World) -> None:
    world.hubspot.fail_next("complete_callback", HubSpotUnavailable("HubSpot unreachable: timed out"))
    world.hubspot.fail_next("complete_callback", HubSpotUnavailable("HubSpot unreachable: timed out"))
    batch = [("m1", completion("cb-1")), ("m1", completion("cb-2")), ("m2", completion("cb-3"))]
    assert complete_callbacks(world.hubspot, batch) == ["m1", "m2"]
    assert world.hubspot.calls == ["complete_callback", "complete_callback"]


def test_no_completions_call_nothing(world: World) -> None:
    assert complete_callbacks(world.hubspot, []) == []
    assert world.hubspot.calls == []


# What a late, repeated or odd body must not do ---------------------------------------------------


def test_a_record_sent_again_later_makes_no_second_mql(world: World) -> None:
    contact = world.contact(**COLD_PROPS)
    late = record(contact, **MQL_PROPS)
    process(world, late)
    stamped = world.hubspot.contact(contact)[Prop.MQL_AT]
    world.clock.advance(minutes=5)
    world.store.record_journey(
        JourneyKey(contact, next(iter(world.engine.started))),
        JourneyStatus.ROUTED,
        world.clock(),
        JourneyFields(),
    )
    again = late.model_copy(update={"identity": "a later body of the same values"})
    assert process(world, again).new_mqls == 0
    assert len(world.engine.started) == 1 and world.hubspot.contact(contact)[Prop.MQL_AT] == stamped


def test_a_complete_record_of_a_contact_hubspot_no_longer_has_is_dropped_and_the_batch_goes_on(
    world: World,
) -> None:
    kept = world.contact(**COLD_PROPS)
    result = process(world, record("999999", **MQL_PROPS), record(kept, **COLD_PROPS, email="a@b.example"))
    assert result.failed_message_ids == [] and result.rescored == 2
    assert world.hubspot.contact(kept)[Prop.SCORE]
    assert world.engine.started == {}


def test_a_retried_hand_off_whose_journey_ended_answers_that_journeys_outcome(
    world: World, actions: WorkflowActions
) -> None:
    contact = world.contact(**MQL_PROPS)
    assert hand_off(actions, contact, properties=MQL_PROPS) == BLOCK
    key = JourneyKey(contact, next(iter(world.engine.started)))
    world.store.record_journey(
        key, JourneyStatus.SQL, world.clock(), JourneyFields(sql_path="fast_track", deal_id="9001")
    )
    world.hubspot.update_contact(contact, {Prop.LIFECYCLE: "salesqualifiedlead"})
    again = hand_off(actions, contact, properties=MQL_PROPS)
    assert (again["hs_execution_state"], again["outcome"], again["deal_id"]) == ("SUCCESS", "sql", "9001")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"hs_object_id": "1" * 21}, "hs_object_id must be a numeric record id"),
        ({"hs_object_id": "5", "objectType": "DEAL"}, "this workflow sent a DEAL record"),
        ({"vid": "abc", "properties": {}}, "vid must be a numeric record id"),
    ],
)
def test_an_odd_body_is_refused_naming_what_is_wrong(
    webhooks: WebhookIntake, body: dict[str, Any], problem: str
) -> None:
    with pytest.raises(MalformedRequest, match=re.escape(problem)):
        webhooks.receive_record(keyed(body), {})


def test_an_old_engagement_in_a_body_without_history_is_not_taken_for_the_journey(world: World) -> None:
    state = sal(world)
    token = world.waiting(state, "engagement")
    old = (world.clock() - timedelta(days=30)).isoformat()
    process(world, record(state.contact_id, complete=False, hs_sales_email_last_replied=old))
    assert (token, world.engine.resumed) == (token, [])
