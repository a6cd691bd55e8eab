"""POST /webhooks/hubspot through the local API: verify, validate, enqueue; what HubSpot sends again is
done once."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import boto3

from leadflow.handlers import webhook
from leadflow_cli.local.api import STAGE
from leadflow_cli.local.lambdas import LocalContext
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import queued_bodies

Sender = Callable[[LocalRuntime], HubSpotWebhookSender]


def dedupe_items(runtime: LocalRuntime) -> int:
    table = runtime.table_names["StateTable"]
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]
    return sum(1 for i in items if i["pk"]["S"].startswith("EVENT#"))


def test_signed_delivery_is_acknowledged_and_enqueued(runtime_factory, sender_for: Sender) -> None:  # type: ignore[no-untyped-def]
    runtime = runtime_factory(consume_queues=False)
    sender = sender_for(runtime)
    events = [
        sender.event("contact.creation", 101),
        sender.event("contact.propertyChange", 102, "industry", "X"),
    ]
    answer = sender.send(events)
    assert answer.status == 200
    assert answer.body == {"received": 2, "enqueued": 2, "duplicates": 0, "ignored": 0, "signature": "v3"}
    assert sorted(b["objectId"] for b in queued_bodies(runtime)) == [101, 102]


def test_the_same_delivery_twice_is_done_once(runtime_factory, sender_for: Sender) -> None:  # type: ignore[no-untyped-def]
    runtime = runtime_factory()
    store = runtime.standin.store
    sender = sender_for(runtime)
    event = sender.event("contact.creation", store.create_object("contacts", {"industry": "RETAIL"}))
    retry = dict(event, attemptNumber=1)  # HubSpot's retry: same identity, new attempt number
    answer = sender.send([event, retry]).body
    assert (answer["received"], answer["enqueued"], answer["duplicates"]) == (2, 1, 1)
    runtime.wait_until_drained()
    assert (store.call_count("contacts.batch_read"), dedupe_items(runtime)) == (1, 1)
    assert sender.send([retry]).body["enqueued"] == 1  # the answer waits on no lookup
    runtime.wait_until_drained()
    assert (store.call_count("contacts.batch_read"), dedupe_items(runtime)) == (1, 1)


def test_ignored_events_get_a_2xx_and_are_not_enqueued(runtime_factory, sender_for: Sender) -> None:  # type: ignore[no-untyped-def]
    runtime = runtime_factory(consume_queues=False)
    sender = sender_for(runtime)
    events = [
        sender.event("deal.creation", 9),
        sender.event("contact.propertyChange", 5, "leadflow_score", "80"),
    ]
    answer = sender.send(events)
    assert (answer.status, answer.body["ignored"], answer.body["enqueued"]) == (200, 2, 0)
    assert queued_bodies(runtime) == []
    assert dedupe_items(runtime) == 0


def test_bad_signature_is_401_with_no_side_effect(runtime_factory, sender_for: Sender) -> None:  # type: ignore[no-untyped-def]
    runtime = runtime_factory(consume_queues=False)
    sender = sender_for(runtime)
    body = json.dumps([sender.event("contact.creation", 101)])
    headers = sender.signed_headers(body)
    answer = sender.post(body.replace("101", "102"), headers)
    assert answer.status == 401
    assert "v3 signature does not match" in answer.body["error"]
    assert queued_bodies(runtime) == []
    assert dedupe_items(runtime) == 0


def test_replayed_old_and_future_dated_requests_are_refused(runtime_factory, sender_for: Sender) -> None:  # type: ignore[no-untyped-def]
    runtime = runtime_factory(consume_queues=False)
    sender = sender_for(runtime)
    body = json.dumps([sender.event("contact.creation", 101)])
    now = int(time.time() * 1000)
    for ts in (now - 6 * 60 * 1000, now + 6 * 60 * 1000):
        answer = sender.post(body, sender.signed_headers(body, ts))
        assert answer.status == 401 and "window" in answer.body["error"]
    assert queued_bodies(runtime) == []


def test_malformed_bodies_are_400_naming_the_problem(runtime_factory, sender_for: Sender) -> None:  # type: ignore[no-untyped-def]
    runtime = runtime_factory(consume_queues=False)
    sender = sender_for(runtime)
    good = sender.event("contact.creation", 101)
    cases = {
        "{not json": "body is not JSON",
        json.dumps({"objectId": 1}): "must be a JSON array",
        json.dumps([{**good, "objectId": "abc"}]): "invalid webhook event at 0.objectId",
        json.dumps(
            [{k: v for k, v in good.items() if k != "subscriptionType"}]
        ): "0.subscriptionType: Field required",
        json.dumps([good] * 101): "at most 100",
    }
    for body, message in cases.items():
        answer = sender.post(body, sender.signed_headers(body))
        assert answer.status == 400, body
        assert message in answer.body["error"]
    assert queued_bodies(runtime) == []


def test_bodies_over_one_mebibyte_are_413(runtime_factory, sender_for: Sender) -> None:  # type: ignore[no-untyped-def]
    runtime = runtime_factory(consume_queues=False)
    sender = sender_for(runtime)
    body = json.dumps([{**sender.event("contact.creation", 1), "padding": "x" * (1024 * 1024)}])
    answer = sender.post(body, sender.signed_headers(body))
    assert answer.status == 413
    assert queued_bodies(runtime) == []


def test_base64_encoded_bodies_are_verified_on_their_raw_bytes(runtime_factory, sender_for: Sender) -> None:  # type: ignore[no-untyped-def]
    runtime = runtime_factory(consume_queues=False)
    sender = sender_for(runtime)
    body = json.dumps([sender.event("contact.creation", 101)])
    headers = sender.signed_headers(body)
    event = {
        "resource": "/webhooks/hubspot",
        "path": "/webhooks/hubspot",
        "httpMethod": "POST",
        "headers": headers,
        "requestContext": {
            "stage": STAGE,
            "domainName": "ignored.example",
            "requestId": "r1",
            "resourcePath": "/webhooks/hubspot",
            "httpMethod": "POST",
        },
        "body": base64.b64encode(body.encode()).decode(),
        "isBase64Encoded": True,
    }
    answer = webhook.handler(
        event, LocalContext("WebhookFunction", "arn:aws:lambda:::function:WebhookFunction")
    )
    assert answer["statusCode"] == 200, answer
    assert len(queued_bodies(runtime)) == 1


def test_a_path_or_method_the_function_does_not_serve_is_a_404_or_405_naming_it(runtime_factory) -> None:  # type: ignore[no-untyped-def]
    runtime = runtime_factory(consume_queues=False)
    context = LocalContext("WebhookFunction", "arn:aws:lambda:::function:WebhookFunction")

    def answer(method: str, path: str) -> tuple[int, str]:
        event = {"resource": path, "path": path, "httpMethod": method, "headers": {}, "body": "[]"}
        got = webhook.handler({**event, "requestContext": {"stage": STAGE, "requestId": "r"}}, context)
        return got["statusCode"], json.loads(got["body"])["error"]

    assert answer("GET", "/webhooks/hubspot") == (405, "/webhooks/hubspot takes POST, not GET")
    assert answer("POST", "/webhooks/other") == (404, "no route /webhooks/other")
    assert queued_bodies(runtime) == []
