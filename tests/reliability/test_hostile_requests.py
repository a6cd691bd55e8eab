"""Hostile requests to every HTTP endpoint, through the real handlers on the local runtime: no answer is a
5xx, a request without a valid signature changes nothing, and a signed one that is refused changes
nothing either. The cases an attacker and a careless partner tool sent are spelled out first; then
hypothesis generates more of the same kind for every endpoint."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from leadflow.handlers import lead_events, signals, webhook, workflow_actions
from leadflow.webhooks.signature import sign_legacy
from leadflow_cli.local.api import STAGE
from leadflow_cli.local.lambdas import LocalContext
from leadflow_cli.local.runtime import DEFAULT_CLIENT_SECRET, DEFAULT_SIGNALS_SECRET, REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender, SignalsSender
from tests.conftest import make_runtime, seed_team
from tests.handlers.test_lead_events import CONTEXT, sqs_event

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
ROUTES: dict[str, tuple[str, Handler, str]] = {
    "app webhook": ("/webhooks/hubspot", webhook.handler, "WebhookFunction"),
    "workflow webhook": ("/workflows/webhook", webhook.handler, "WebhookFunction"),
    "score action": ("/workflows/actions/score", workflow_actions.handler, "WorkflowActionsFunction"),
    "hand-off action": ("/workflows/actions/handoff", workflow_actions.handler, "WorkflowActionsFunction"),
    "signals": ("/signals", signals.handler, "SignalsFunction"),
}
HUBSPOT_ROUTES = [name for name in ROUTES if name != "signals"]
NOW = "2026-11-24T09:00:00Z"


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with make_runtime(consume_queues=False, time_scale=None) as started:
        assert started.standin is not None
        seed_team(started.standin.store)
        yield started


def side_effects(runtime: LocalRuntime) -> tuple[int, ...]:
    """Everything a request could change: queued messages, table items, executions, HubSpot calls."""
    table = runtime.table_names["StateTable"]
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=table, Select="COUNT")["Count"]
    sfn = boto3.client("stepfunctions", region_name=REGION)
    executions = len(sfn.list_executions(stateMachineArn=runtime.journey_arn)["executions"])
    calls = runtime.standin.store.call_count()  # type: ignore[union-attr]
    return runtime.queue_depth(), runtime.queue_depth("LeadEventsDeadLetterQueue"), items, executions, calls


def call(
    runtime: LocalRuntime,
    route: str,
    body: str,
    headers: dict[str, str],
    *,
    encoded: bool = False,
    query: dict[str, list[str]] | None = None,
) -> tuple[int, dict[str, Any]]:
    """The route's handler answers an API Gateway event: (status, JSON body)."""
    path, handler, function = ROUTES[route]
    event = {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": headers,
        "multiValueQueryStringParameters": query or None,
        "requestContext": {"stage": STAGE, "domainName": "127.0.0.1", "requestId": "r"},
        "body": base64.b64encode(body.encode(errors="surrogatepass")).decode() if encoded else body,
        "isBase64Encoded": encoded,
    }
    answer = handler(
        event, LocalContext(function, f"arn:aws:lambda:us-east-1:123456789012:function:{function}")
    )
    if answer["statusCode"] < 300 and route == "hand-off action":
        # A journey it started runs to its first wait before the next request is measured (what earlier
        # requests queued is nobody's work here: this runtime consumes no queue).
        drain(runtime)
        runtime.settle()
    return answer["statusCode"], json.loads(answer["body"] or "{}")


def drain(runtime: LocalRuntime) -> None:
    """Delete what is in the lead-events queue."""
    sqs, url = boto3.client("sqs", region_name=REGION), runtime.queue_urls["LeadEventsQueue"]
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)


def signed(
    runtime: LocalRuntime, route: str, body: str, version: str = "v3", ts: int | None = None
) -> dict[str, str]:
    """The headers HubSpot (or, on /signals, a partner tool) sends with `body` on `route`."""
    if route == "signals":
        return SignalsSender("", DEFAULT_SIGNALS_SECRET).signed_headers(body, ts)
    uri = runtime.api_url + ROUTES[route][0]
    if version == "v3":
        return HubSpotWebhookSender(uri, DEFAULT_CLIENT_SECRET).signed_headers(body, ts)
    return {
        "X-HubSpot-Signature": sign_legacy(DEFAULT_CLIENT_SECRET, version, "POST", uri, body),
        "X-HubSpot-Signature-Version": version,
    }


def valid_body(route: str, **change: Any) -> Any:
    """A body the route takes, with `change` laid over its first item."""
    sender = HubSpotWebhookSender("", "")
    if route == "app webhook":
        return [{**sender.event("contact.creation", 101), **change}]
    if route == "workflow webhook" and ({"vid", "properties"} & change.keys()):
        return {"vid": 101, "properties": {"industry": {"value": "INTERNET"}}, **change}  # the contacts API's
    if route == "workflow webhook":
        return {"hs_object_id": "101", "industry": "INTERNET", **change}  # a customized body
    if route == "signals":
        signal = {"type": "conversation_reply", "occurred_at": NOW, "attributes": {"problem": "x"}, **change}
        return {"signals": [{"contact_id": "101", "signal": signal}]}
    action = {"callbackId": "ap-1", "object": {"objectId": 101, "objectType": "CONTACT"}, "inputFields": {}}
    return {**action, **change}


# The hostile requests, spelled out ---------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "timestamp",
    ["9" * 4301, "1" * 17, "\u0661\u0662\u0663", "-1", "1e12", ""],
    ids=["4301 digits", "17 digits", "Arabic-Indic digits", "negative", "exponent", "empty"],
)
def test_a_malformed_signature_timestamp_is_a_401_on_every_endpoint(
    runtime: LocalRuntime, route: str, timestamp: str
) -> None:
    body = json.dumps(valid_body(route))
    headers = signed(runtime, route, body)
    headers["X-Leadflow-Timestamp" if route == "signals" else "X-HubSpot-Request-Timestamp"] = timestamp
    before = side_effects(runtime)
    status, answer = call(runtime, route, body, headers)
    assert (status, side_effects(runtime)) == (401, before)
    assert "Timestamp is missing or not a number of milliseconds" in answer["error"]


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (DEEP, "body nests deeper than 32 levels"),
        ("[" * 40 + "]" * 40, "nests deeper than 32 levels"),
        ('{"x": NaN}', "NaN is not a JSON number"),
        ('{"x": -Infinity}', "-Infinity is not a JSON number"),
        ('{"x": 1e999}', "number out of range"),
        ("1" * 5000, "body is not JSON"),
    ],
    ids=["100k nested arrays", "40 nested arrays", "NaN", "-Infinity", "1e999", "5000 digits"],
)
def test_a_signed_body_leadflow_cannot_parse_is_a_400_naming_it(
    runtime: LocalRuntime, route: str, body: str, problem: str
) -> None:
    before = side_effects(runtime)
    status, answer = call(runtime, route, body, signed(runtime, route, body))
    assert (status, side_effects(runtime)) == (400, before)
    assert problem in answer["error"]


@pytest.mark.parametrize(
    ("route", "change", "field"),
    [
        ("app webhook", {"occurredAt": 10**20}, "0.occurredAt"),
        ("app webhook", {"occurredAt": -(10**15)}, "0.occurredAt"),
        ("app webhook", {"objectId": 2**64}, "0.objectId"),
        ("app webhook", {"eventId": 10**4000}, "0.eventId"),
        ("app webhook", {"subscriptionType": "x" * 101}, "0.subscriptionType"),
        ("workflow webhook", {"vid": "\u0661\u0662\u0663"}, "vid must be a numeric record id"),
        ("workflow webhook", {"vid": 10**21}, "vid must be a numeric record id"),
        (
            "workflow webhook",
            {"properties": {"leadflow_decision": {"value": "accept", "versions": [{"timestamp": 1e300}]}}},
            "properties.leadflow_decision.versions: timestamp",
        ),
        ("workflow webhook", {"hs_object_id": "\u0967\u0968"}, "hs_object_id must be a numeric"),
        ("score action", {"object": {"objectId": 2**64, "objectType": "CONTACT"}}, "object.objectId"),
        ("hand-off action", {"callbackId": "c" * 201}, "callbackId"),
        ("hand-off action", {"inputFields": {"reason": ["a", "list"]}}, "inputFields.reason"),
        (
            "signals",
            {"occurred_at": "2026-11-24T09:00:00"},
            "signals.0.signal.occurred_at: Value error, needs a time zone",
        ),
        (
            "signals",
            {"occurred_at": "2126-11-24T09:00:00Z"},
            "signals.0.signal.occurred_at: Value error, must be after",
        ),
        (
            "signals",
            {"occurred_at": "1970-01-01T00:00:00Z"},
            "signals.0.signal.occurred_at: Value error, must be after",
        ),
        ("signals", {"attributes": {f"a{i}": "v" for i in range(21)}}, "signals.0.signal.attributes"),
        ("signals", {"attributes": {"notes": "x" * 420_000}}, "signals.0.signal.attributes"),
        ("signals", {"id": "i" * 129}, "signals.0.signal.id"),
        ("signals", {"evidence": "e" * 501}, "signals.0.signal.evidence"),
        ("signals", {"evidence": "bad \ufffe"}, "signals.0.signal.evidence: contains U+FFFE"),
        (
            "signals",
            {"attributes": {"problem": "\ud800"}},
            "signals.0.signal.attributes.problem: contains U+D800",
        ),
        ("signals", {"attributes": {"p": "x" * 500, "q": "y" * 500, "r": "z" * 500}}, "bytes as stored"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_a_signed_body_out_of_bounds_is_a_400_naming_the_field(
    runtime: LocalRuntime, route: str, change: dict[str, Any], field: str
) -> None:
    body = json.dumps(valid_body(route, **change))
    before = side_effects(runtime)
    status, answer = call(runtime, route, body, signed(runtime, route, body))
    assert (status, side_effects(runtime)) == (400, before), answer
    assert field in answer["error"]


def test_a_request_naming_more_than_ten_companies_is_a_400_saying_why(runtime: LocalRuntime) -> None:
    surge = {"type": "intent_surge", "occurred_at": NOW, "attributes": {"strength": "90"}}
    body = json.dumps({"signals": [{"company_id": str(c), "signal": surge} for c in range(11)]})
    before = side_effects(runtime)
    status, answer = call(runtime, "signals", body, signed(runtime, "signals", body))
    assert (status, side_effects(runtime)) == (400, before)
    assert "11 companies in one request; at most 10" in answer["error"]


@pytest.mark.parametrize("value", ["\ud800", "a\udfffb", "\ufffe\uffff", "\x00\x07"], ids=repr)
@pytest.mark.parametrize("route", ["app webhook", "workflow webhook"])
def test_a_value_hubspot_sent_that_sqs_cannot_store_is_queued_made_storable(
    runtime: LocalRuntime, route: str, value: str
) -> None:
    # HubSpot's records hold what any form or API client put there: refusing the delivery would drop
    # every other contact's events in it, so the value is kept with U+FFFD where SQS would refuse it.
    if route == "app webhook":
        payload: Any = valid_body(route, subscriptionType="contact.propertyChange", propertyName="industry")
        payload[0]["propertyValue"] = value
    else:
        payload = valid_body(route, properties={"industry": {"value": value}})
    body = json.dumps(payload)
    status, answer = call(runtime, route, body, signed(runtime, route, body))
    assert status == 200 and answer["enqueued"] == 1, answer


@pytest.mark.parametrize("route", HUBSPOT_ROUTES)
def test_a_v1_signature_is_refused_on_every_hubspot_endpoint(runtime: LocalRuntime, route: str) -> None:
    body = json.dumps(valid_body(route))
    before = side_effects(runtime)
    status, answer = call(runtime, route, body, signed(runtime, route, body, "v1"))
    assert (status, side_effects(runtime)) == (401, before)
    assert "not accepted here" in answer["error"] or "takes v3 signatures only" in answer["error"]


@pytest.mark.parametrize(
    ("route", "status"), [("app webhook", 401), ("workflow webhook", 200), ("score action", 200)]
)
def test_v2_is_taken_where_hubspot_documents_it_and_refused_on_app_webhooks(
    runtime: LocalRuntime, route: str, status: int
) -> None:
    body = json.dumps(valid_body(route))
    assert call(runtime, route, body, signed(runtime, route, body, "v2"))[0] == status


# Generated ---------------------------------------------------------------------------------------

any_text = st.text(st.characters(exclude_categories=()), max_size=24)
hostile_text = st.one_of(
    any_text,
    st.sampled_from(
        ["\ud800", "\ufffe", "\uffff", "\x00", "\u0661\u0662", "9" * 4301, "<a href=x>y</a>", ""]
    ),
)
hostile_number = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([10**20, -(10**15), 2**63, 2**64, 0, -1]),
)
hostile_value = st.one_of(hostile_text, hostile_number, st.booleans(), st.none())
hostile_json = st.recursive(
    hostile_value,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3),
    max_leaves=12,
)
deep = st.integers(min_value=30, max_value=3000).map(lambda n: "[" * n + "]" * n)
event_field = st.sampled_from(
    [
        "eventId",
        "subscriptionId",
        "portalId",
        "occurredAt",
        "subscriptionType",
        "objectId",
        "propertyName",
        "propertyValue",
        "attemptNumber",
        "objectTypeId",
        "changeSource",
    ]
)
record_field = st.sampled_from(
    ["vid", "canonical-vid", "objectId", "objectType", "hs_object_id", "contact_id"]
)
action_field = st.sampled_from(["callbackId", "object", "inputFields", "origin", "context"])
signal_field = st.sampled_from(["type", "occurred_at", "attributes", "source", "evidence", "id"])


@st.composite
def shaped(draw: st.DrawFn, route: str) -> Any:
    """A body of the route's own shape with a few of its fields (or nested ones) made hostile."""
    fields = {
        "app webhook": event_field,
        "workflow webhook": record_field,
        "signals": signal_field,
    }.get(route, action_field)
    change = draw(st.dictionaries(fields, hostile_json, max_size=3))
    if route == "workflow webhook" and draw(st.booleans()):
        versions = draw(st.lists(st.fixed_dictionaries({"timestamp": hostile_value}), max_size=2))
        change["properties"] = {draw(hostile_text): {"value": draw(hostile_value), "versions": versions}}
    if route in ("score action", "hand-off action") and draw(st.booleans()):
        change["object"] = {
            "objectId": draw(hostile_value),
            "objectType": "CONTACT",
            "properties": draw(hostile_json),
        }
        change["inputFields"] = {
            "reason": draw(hostile_value),
            "sales_ready": draw(st.sampled_from(["true", "x"])),
        }
    return valid_body(route, **change)


def bodies(route: str) -> st.SearchStrategy[str]:
    return st.one_of(
        shaped(route).map(json.dumps),
        hostile_json.map(json.dumps),
        deep,
        st.text(max_size=200),
    )


signature_headers = st.dictionaries(
    st.sampled_from(
        [
            "X-HubSpot-Signature-v3",
            "X-HubSpot-Request-Timestamp",
            "X-HubSpot-Signature",
            "X-HubSpot-Signature-Version",
            "X-Leadflow-Signature",
            "X-Leadflow-Timestamp",
            "X-Leadflow-Key",
            "Content-Type",
        ]
    ),
    st.one_of(st.text(max_size=60), st.sampled_from(["9" * 4301, "v1", "v2", "v3", "v1=00", "\u0661"])),
    max_size=6,
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("route", ROUTES)
@FUZZ
@given(data=st.data())
def test_no_request_without_a_valid_signature_gets_a_5xx_or_changes_anything(
    runtime: LocalRuntime, route: str, data: st.DataObject
) -> None:
    body = data.draw(bodies(route), label="body")
    headers = data.draw(signature_headers, label="headers")
    query = data.draw(
        st.dictionaries(
            st.sampled_from(["X-Leadflow-Key", "a"]),
            st.lists(st.text(max_size=10), min_size=1, max_size=2),
            max_size=2,
        ),
        label="query",
    )
    before = side_effects(runtime)
    status, _ = call(runtime, route, body, headers, encoded=data.draw(st.booleans()), query=query)
    assert status in (400, 401, 413)
    assert side_effects(runtime) == before


@pytest.mark.parametrize("route", ROUTES)
@FUZZ
@given(data=st.data())
def test_a_signed_hostile_body_never_gets_a_5xx_and_a_refused_one_changes_nothing(
    runtime: LocalRuntime, route: str, data: st.DataObject
) -> None:
    body = data.draw(bodies(route), label="body")
    version = "v3" if route in ("app webhook", "signals") else data.draw(st.sampled_from(["v2", "v3"]))
    before = side_effects(runtime)
    status, answer = call(runtime, route, body, signed(runtime, route, body, version))
    assert status < 500, answer
    if status >= 400:
        assert status in (400, 413, 422) and answer["error"]
    if status in (400, 413):  # refused before anything is done (422: HubSpot refused the work midway)
        assert side_effects(runtime) == before


def _queued(kind: str, items: list[Any]) -> str:
    return json.dumps({kind: items})


# What an earlier version may have queued: messages of the queue's shape with one field made hostile.
queued = st.one_of(
    st.dictionaries(
        st.sampled_from(["occurredAt", "objectId", "eventId", "propertyName", "propertyValue"]),
        hostile_number | hostile_text,
        max_size=1,
    ).map(lambda c: _queued("events", valid_body("app webhook", **c))),
    st.dictionaries(signal_field, hostile_json, max_size=1).map(
        lambda c: _queued("signals", valid_body("signals", **c)["signals"])
    ),
    st.dictionaries(st.sampled_from(["properties", "changed_at"]), hostile_json, max_size=1).map(
        lambda c: _queued(
            "records", [{"object_id": "101", "properties": {}, "complete": False, "identity": "r", **c}]
        )
    ),
    hostile_json.map(json.dumps),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(poison=st.lists(queued, min_size=1, max_size=3))
@example(poison=[_queued("events", valid_body("app webhook", occurredAt=10**20))])
@example(poison=[_queued("signals", valid_body("signals", occurred_at="2026-11-24T09:00:00")["signals"])])
def test_whatever_the_queue_holds_the_lead_events_function_does_its_neighbours_work(
    runtime: LocalRuntime, poison: list[str]
) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    contact = store.create_object("contacts", {"industry": "RETAIL"})
    event = sqs_event([*poison, HubSpotWebhookSender("", "").event("contact.creation", contact)])
    answer = lead_events.handler(event, CONTEXT)
    assert {"itemIdentifier": event["Records"][-1]["messageId"]} not in answer["batchItemFailures"]
    assert store.get_object("contacts", contact)["properties"].get("leadflow_score")
