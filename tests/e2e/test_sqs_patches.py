"""The local runtime's changes to the emulated SQS keep what a receive takes."""

from __future__ import annotations

from collections.abc import Callable

import boto3
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT
from moto.sqs.models import sqs_backends

from leadflow_cli.local.runtime import REGION, LocalRuntime


def test_a_receive_leaves_out_a_message_past_its_queues_retention_period_and_takes_the_others(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime_factory(consume_queues=False)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="retention", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    for body in ("kept", "expired"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    _, expired = sqs_backends[ACCOUNT][REGION].queues["retention"]._messages
    expired.sent_timestamp -= 61_000  # sent 61 s ago: past the queue's 60 s

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    assert [m["Body"] for m in received] == ["kept"]
