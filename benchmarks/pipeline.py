"""Warm, in-process measurements on the local runtime: webhook acknowledgement latency and
HubSpot calls per event through the lead-events function."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import boto3

from benchmarks.report import Metric, median, percentile
from leadflow.handlers import lead_events, webhook
from leadflow_cli.local.api import STAGE
from leadflow_cli.local.lambdas import LocalContext
from leadflow_cli.local.runtime import DEFAULT_CLIENT_SECRET, REGION, LocalOptions, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender

ROOT = Path(__file__).resolve().parent.parent
CONTEXT = LocalContext("bench", "arn:aws:lambda:us-east-1:123456789012:function:bench")


def _api_event(body: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "resource": "/webhooks/hubspot",
        "path": "/webhooks/hubspot",
        "httpMethod": "POST",
        "headers": headers,
        "requestContext": {"stage": STAGE, "domainName": "bench", "requestId": str(uuid.uuid4())},
        "body": body,
        "isBase64Encoded": False,
    }


def _drain(sqs: Any, url: str) -> None:
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)


def webhook_ack(runtime: LocalRuntime, events_per_request: int, requests: int) -> list[float]:
    """Latency (ms) of the webhook handler for fresh signed deliveries of n events each."""
    sender = HubSpotWebhookSender(runtime.api_url + "/webhooks/hubspot", DEFAULT_CLIENT_SECRET)
    sqs = boto3.client("sqs", region_name=REGION)
    samples = []
    for i in range(requests):
        events = [
            sender.event("contact.creation", 1000 + i * events_per_request + j)
            for j in range(events_per_request)
        ]
        body = json.dumps(events)
        event = _api_event(body, sender.signed_headers(body))
        started = time.perf_counter()
        answer = webhook.handler(event, CONTEXT)
        samples.append((time.perf_counter() - started) * 1000)
        assert answer["statusCode"] == 200, answer
        # moto's SQS slows down as a queue grows; a deployed queue is drained by its consumer.
        _drain(sqs, runtime.queue_urls["LeadEventsQueue"])
    return samples


def calls_per_event(runtime: LocalRuntime, events: int = 1000, batch: int = 100) -> float:
    """HubSpot calls made by the lead-events function for a burst of contact events."""
    assert runtime.standin is not None
    store = runtime.standin.store
    ids = [
        store.create_object("contacts", {"industry": "RETAIL", "numemployees": "5"}) for _ in range(events)
    ]
    sender = HubSpotWebhookSender("http://unused", "unused")
    store.reset_calls()
    for start in range(0, events, batch):
        records = [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "r",
                "eventSource": "aws:sqs",
                "awsRegion": REGION,
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "body": json.dumps({"events": [sender.event("contact.creation", cid)]}),
            }
            for cid in ids[start : start + batch]
        ]
        assert lead_events.handler({"Records": records}, CONTEXT) == {"batchItemFailures": []}
    return store.call_count() / events


def run(requests: int = 200) -> list[Metric]:
    """Webhook p50/p99 for 1 and 100 events per request, and HubSpot calls per event."""
    metrics = []
    options = LocalOptions(template=ROOT / "template.yaml", port=0, consume_queues=False)
    with LocalRuntime(options) as runtime:
        for size in (1, 100):
            webhook_ack(runtime, size, 10)  # warm-up: imports, clients, connection pools
            samples = webhook_ack(runtime, size, requests if size == 1 else requests // 4)
            metrics += [
                Metric(f"webhook_ack_ms.{size}_event.p50", median(samples), "ms"),
                Metric(f"webhook_ack_ms.{size}_event.p99", percentile(samples, 99), "ms"),
            ]
        metrics.append(Metric("hubspot_calls_per_event", calls_per_event(runtime), "calls/event"))
    return metrics
