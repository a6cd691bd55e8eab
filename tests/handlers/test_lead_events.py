"""The lead-events function: batch reads, scores, MQL stamps and idempotent journey starts."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT
from moto.sqs.models import sqs_backends

from leadflow.app.intake import START_MARGIN_MS
from leadflow.core.clock import next_midnight
from leadflow.handlers import lead_events
from leadflow_cli.hubspot_standin.rate_limits import RateLimitPlan
from leadflow_cli.local.lambdas import LocalContext
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import COLD_PROPS, MQL_PROPS

CONTEXT = LocalContext(
    "LeadEventsFunction", "arn:aws:lambda:us-east-1:123456789012:function:LeadEventsFunction"
)


class FiveSecondsLeft(LocalContext):
    """An invocation that has five seconds left whenever asked: time enough for a HubSpot call, not for
    a new MQL's journey (`START_MARGIN_MS`)."""

    def get_remaining_time_in_millis(self) -> int:
        return 5_000


def sqs_event(bodies: list[Any], first_received_ms: int | None = None) -> dict[str, Any]:
    """A Lambda SQS event of these bodies (events, or whole message bodies), first received now unless
    said otherwise."""
    first_ms = str(first_received_ms if first_received_ms is not None else int(time.time() * 1000))
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "r",
                "attributes": {"ApproximateReceiveCount": "1", "ApproximateFirstReceiveTimestamp": first_ms},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": REGION,
                "body": b if isinstance(b, str) else json.dumps({"events": [b]}),
            }
            for b in bodies
        ]
    }


def executions(runtime: LocalRuntime) -> list[str]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return sorted(e["name"] for e in sfn.list_executions(stateMachineArn=runtime.journey_arn)["executions"])


def test_a_new_mql_is_stamped_and_starts_one_journey(runtime_factory: Callable[..., LocalRuntime]) -> None:
    runtime = runtime_factory(consume_queues=False)
    store = runtime.standin.store  # type: ignore[union-attr]
    hot = store.create_object("contacts", dict(MQL_PROPS))
    cold = store.create_object("contacts", dict(COLD_PROPS))
    sender = HubSpotWebhookSender("http://unused", "unused")
    answer = lead_events.handler(
        sqs_event([sender.event("contact.creation", hot), sender.event("contact.creation", cold)]), CONTEXT
    )
    assert answer == {"batchItemFailures": []}
    hot_props = store.get_object("contacts", hot)["properties"]
    assert hot_props["lifecyclestage"] == "marketingqualifiedlead"
    assert hot_props["leadflow_mql_reason"].startswith("submitted the Talk to sales form on ")
    assert hot_props["leadflow_mql_at"]
    # The handoff packet: a rep sees why in ten seconds.
    assert (hot_props["leadflow_fit_tier"], hot_props["leadflow_fast_track"]) == ("B", "false")
    assert int(hot_props["leadflow_fit_score"]) >= 30 and int(hot_props["leadflow_intent_score"]) >= 25
    assert hot_props["leadflow_intent_evidence"].startswith("submitted the Talk to sales form")
    assert hot_props["leadflow_last_signal_at"]
    cold_props = store.get_object("contacts", cold)["properties"]
    assert cold_props.get("lifecyclestage") in (None, "")
    assert cold_props["leadflow_fit_tier"] == "C" and cold_props["leadflow_intent_score"] == "0"
    assert executions(runtime) == [f"lead-{hot}-" + executions(runtime)[0].rsplit("-", 1)[1]]


def test_a_redelivered_event_starts_nothing_new(runtime_factory: Callable[..., LocalRuntime]) -> None:
    runtime = runtime_factory(consume_queues=False)
    store = runtime.standin.store  # type: ignore[union-attr]
    hot = store.create_object("contacts", dict(MQL_PROPS))
    sender = HubSpotWebhookSender("http://unused", "unused")
    event = sender.event("contact.creation", hot)
    lead_events.handler(sqs_event([event]), CONTEXT)
    stamped = store.get_object("contacts", hot)["properties"]["leadflow_mql_at"]
    lead_events.handler(sqs_event([event, event]), CONTEXT)
    assert len(executions(runtime)) == 1
    assert store.get_object("contacts", hot)["properties"]["leadflow_mql_at"] == stamped


def test_a_journey_whose_start_failed_is_started_on_redelivery(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False)
    store = runtime.standin.store  # type: ignore[union-attr]
    # The write-back happened, the StartExecution did not: the contact is an MQL with no journey.
    hot = store.create_object(
        "contacts",
        {
            **MQL_PROPS,
            "lifecyclestage": "marketingqualifiedlead",
            "leadflow_mql_at": "2026-11-24T09:00:00.000+00:00",
            "leadflow_score": "80",
        },
    )
    sender = HubSpotWebhookSender("http://unused", "unused")
    lead_events.handler(
        sqs_event([sender.event("contact.propertyChange", hot, "industry", "COMPUTER_SOFTWARE")]), CONTEXT
    )
    assert executions(runtime) == [f"lead-{hot}-1795510800"]


def test_a_batch_with_no_time_left_for_its_new_mqls_is_sent_again_at_once_and_done_next_batch(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False)
    store = runtime.standin.store  # type: ignore[union-attr]
    hot, cold = (store.create_object("contacts", dict(p)) for p in (MQL_PROPS, COLD_PROPS))
    sender = HubSpotWebhookSender("http://unused", "unused")
    bodies = [json.dumps({"events": [sender.event("contact.creation", c)]}) for c in (hot, cold)]
    short = FiveSecondsLeft(CONTEXT.function_name, CONTEXT.invoked_function_arn)
    assert short.get_remaining_time_in_millis() < START_MARGIN_MS

    # Nothing failed: no message waits out the visibility timeout, each is queued again as it came.
    assert lead_events.handler(sqs_event(bodies), short) == {"batchItemFailures": []}
    assert executions(runtime) == []
    assert not store.get_object("contacts", hot)["properties"].get("lifecyclestage")
    assert sorted(m.body for m in _queued(runtime)) == sorted(bodies)

    assert lead_events.handler(sqs_event(bodies), CONTEXT) == {"batchItemFailures": []}
    assert [e.split("-")[1] for e in executions(runtime)] == [hot]


def test_one_batch_read_and_one_batch_update_per_hundred_contacts(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False)
    store = runtime.standin.store  # type: ignore[union-attr]
    ids = [store.create_object("contacts", dict(COLD_PROPS)) for _ in range(150)]
    store.reset_calls()
    sender = HubSpotWebhookSender("http://unused", "unused")
    lead_events.handler(sqs_event([sender.event("contact.creation", i) for i in ids]), CONTEXT)
    assert store.calls_by_route() == {"contacts.batch_read": 2, "contacts.batch_update": 2}


def dead_letters(runtime: LocalRuntime) -> list[tuple[str, dict[str, str]]]:
    """The messages in the dead-letter queue: each body, with its message attributes."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = runtime.queue_urls["LeadEventsDeadLetterQueue"]
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=30
    ).get("Messages", [])
    return [
        (m["Body"], {k: v["StringValue"] for k, v in m.get("MessageAttributes", {}).items()}) for m in got
    ]


def test_a_malformed_message_is_set_aside_with_its_reason_and_the_rest_processed(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False)
    store = runtime.standin.store  # type: ignore[union-attr]
    contact = store.create_object("contacts", dict(COLD_PROPS))
    sender = HubSpotWebhookSender("http://unused", "unused")
    event = sqs_event(["{broken", sender.event("contact.creation", contact)])
    answer = lead_events.handler(event, CONTEXT)
    assert answer == {"batchItemFailures": []}
    assert store.get_object("contacts", contact)["properties"]["leadflow_score"]
    ((body, attributes),) = dead_letters(runtime)
    assert body == "{broken"
    assert attributes["leadflow.message_id"] == event["Records"][0]["messageId"]
    assert attributes["leadflow.reason"].startswith("not a lead-events message: body: Invalid JSON")


def test_company_properties_are_read_once_per_batch_and_scored(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False)
    store = runtime.standin.store  # type: ignore[union-attr]
    company = store.create_object("companies", {"hs_is_target_account": "true", "annualrevenue": "25000000"})
    contacts = [
        store.create_object("contacts", {**COLD_PROPS, "associatedcompanyid": company}) for _ in range(3)
    ]
    store.reset_calls()
    sender = HubSpotWebhookSender("http://unused", "unused")
    lead_events.handler(sqs_event([sender.event("contact.creation", c) for c in contacts]), CONTEXT)
    assert store.calls_by_route()["companies.batch_read"] == 1
    detail = store.get_object("contacts", contacts[0])["properties"]["leadflow_score_detail"]
    assert "their company is a target account" in detail and "company revenue 25000000" in detail


def received(runtime: LocalRuntime, body: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A message sent to the lead-events queue and received, with the Lambda event that carries it."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = runtime.queue_urls["LeadEventsQueue"]
    sqs.send_message(QueueUrl=url, MessageBody=body)
    (message,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30, AttributeNames=["All"])["Messages"]
    event = sqs_event([body], int(message["Attributes"]["ApproximateFirstReceiveTimestamp"]))
    event["Records"][0].update(messageId=message["MessageId"], receiptHandle=message["ReceiptHandle"])
    return message, event


def _queued(runtime: LocalRuntime) -> list[Any]:
    """The emulator's messages of the lead-events queue (visible or not)."""
    url = runtime.queue_urls["LeadEventsQueue"]
    return list(sqs_backends[ACCOUNT][REGION].queues[url.rsplit("/", 1)[1]]._messages)


def quota_spent_on_an_mql(runtime: LocalRuntime) -> tuple[str, str]:
    """A new MQL's creation event, HubSpot's daily quota spent: (contact id, the message body)."""
    store = runtime.standin.store  # type: ignore[union-attr]
    hot = store.create_object("contacts", dict(MQL_PROPS))
    store.limit_rate(RateLimitPlan(daily=0))
    sender = HubSpotWebhookSender("http://unused", "unused")
    return hot, json.dumps({"events": [sender.event("contact.creation", hot)]})


def test_a_spent_daily_quota_parks_the_batch_on_the_queue_until_the_reset(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    hot, body = quota_spent_on_an_mql(runtime)
    message, event = received(runtime, body)

    answer = lead_events.handler(event, CONTEXT)

    assert answer == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert runtime.standin.store.get_object("contacts", hot)["properties"].get("lifecyclestage") in (None, "")  # type: ignore[union-attr]
    (queued,) = _queued(runtime)
    now = runtime.clock.now()
    first_received_s = int(message["Attributes"]["ApproximateFirstReceiveTimestamp"]) / 1000
    # Until midnight, or as long as SQS allows: 12 hours from the first receive, less a minute.
    allowed_until = min(
        time.time() + (next_midnight(now, "UTC") - now).total_seconds(), first_received_s + 12 * 3600 - 60
    )
    assert abs(queued.visible_at / 1000 - allowed_until) < 60


def test_a_message_whose_twelve_hours_are_spent_is_sent_again_instead_of_walking_to_the_dlq(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    _, body = quota_spent_on_an_mql(runtime)
    message, event = received(runtime, body)
    # First received 11 h 55 min ago: SQS would refuse to keep it out of sight until the reset.
    event["Records"][0]["attributes"]["ApproximateFirstReceiveTimestamp"] = str(
        int((time.time() - 11 * 3600 - 55 * 60) * 1000)
    )

    answer = lead_events.handler(event, CONTEXT)

    # The original is done with (Lambda deletes it); a copy waits its delay, with its own 12 hours.
    assert answer == {"batchItemFailures": []}
    copies = [m for m in _queued(runtime) if m.id != message["MessageId"]]
    assert [m.body for m in copies] == [body]
    assert 890_000 < copies[0].delayed_until - time.time() * 1000 <= 900_000


def test_a_park_sqs_refuses_is_read_from_the_answer_and_the_message_sent_again(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    _, body = quota_spent_on_an_mql(runtime)
    message, event = received(runtime, body)
    (queued,) = _queued(runtime)
    # The emulator counts the 12 hours from the send: sent long ago, its park is refused (HTTP 200,
    # the entry under Failed).
    queued.sent_timestamp -= int(11.99 * 3600 * 1000)

    answer = lead_events.handler(event, CONTEXT)

    assert answer == {"batchItemFailures": []}
    assert [m.body for m in _queued(runtime) if m.id != message["MessageId"]] == [body]
