"""HandOff through its queue on the local runtime: journeys that reach it together are handed off by one
batch of the HandOff function (real tokens, the real handler), a lone lead at once, and a message that is
no hand-off is left for the dead-letter queue without touching anyone's journey."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from leadflow_cli.local.lambdas import LocalContext
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.local.sqs_source import sqs_record
from tests.journey.helpers import start, states, waiting_for

QUEUE = "HandOffQueue"


def test_journeys_that_reach_hand_off_together_are_handed_off_by_one_batch(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(time_scale=None)
    store = runtime.standin.store  # type: ignore[union-attr]
    poller = next(p for p in runtime.pollers if p.source.queue == QUEUE)
    poller.stop()  # the hand-off queue fills, as it does while every poller is busy under a burst
    journeys = [start(runtime) for _ in range(10)]
    wait_for(lambda: runtime.queue_depth(QUEUE) == 10, timeout_s=60, what="ten journeys queued for hand-off")
    store.reset_calls()
    sqs = boto3.client("sqs", region_name=REGION)
    url = runtime.queue_urls[QUEUE]
    messages: list[dict[str, Any]] = []
    while len(messages) < 10:
        messages += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    event = {"Records": [sqs_record(m, "arn:aws:sqs:::HandOffQueue", REGION) for m in messages]}
    answer = runtime.lambdas.invoke("HandOffFunction", event)
    assert answer == {"batchItemFailures": []}
    sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
    )
    for contact, arn in journeys:
        waiting_for(runtime, contact, "decision")
        assert states(arn)[:3] == ["Route", "HandOff", "DirectToSql"]
        assert len(store.associations("contacts", contact, "tasks")) == 1
    # Ten hand-offs, one call of each kind: not thirty.
    assert store.calls_by_route() == {
        "tasks.batch_create": 1,
        "contacts.batch_update": 1,
        "notes.batch_create": 1,
    }


def test_a_lone_lead_is_handed_off_at_once_by_the_queue_s_poller(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(time_scale=None)
    contact, arn = start(runtime)
    record = waiting_for(runtime, contact, "decision")
    assert record.task_id and states(arn)[:2] == ["Route", "HandOff"]


def test_a_message_that_is_no_hand_off_is_given_back_for_the_dead_letter_queue(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    from leadflow.handlers import journey_steps

    runtime_factory(time_scale=None)
    stray = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": '{"state": {}}'}
    event = {"Records": [sqs_record(stray, "arn:aws:sqs:::HandOffQueue", REGION)]}
    answer = journey_steps.handoff(
        event, LocalContext("HandOffFunction", "arn:aws:lambda:::function:HandOff")
    )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
