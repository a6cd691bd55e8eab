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


def _api_event(body: str, headers: dict[str, str], path: str = "/webhooks/hubspot") -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
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


def _ack_ms(runtime: LocalRuntime, path: str, bodies: list[str]) -> list[float]:
    """Latency (ms) of the webhook handler for each signed body POSTed to `path`."""
    sender = HubSpotWebhookSender(runtime.api_url + path, DEFAULT_CLIENT_SECRET)
    sqs = boto3.client("sqs", region_name=REGION)
    samples = []
    for body in bodies:
        event = _api_event(body, sender.signed_headers(body), path)
        started = time.perf_counter()
        answer = webhook.handler(event, CONTEXT)
        samples.append((time.perf_counter() - started) * 1000)
        assert answer["statusCode"] == 200, answer
        # moto's SQS slows down as a queue grows; a deployed queue is drained by its consumer.
        _drain(sqs, runtime.queue_urls["LeadEventsQueue"])
    return samples


def webhook_ack(runtime: LocalRuntime, events_per_request: int, requests: int) -> list[float]:
    """Latency (ms) of the webhook handler for fresh signed deliveries of n events each."""
    sender = HubSpotWebhookSender("http://unused", "unused")
    bodies = [
        json.dumps(
            [
                sender.event("contact.creation", 1000 + i * events_per_request + j)
                for j in range(events_per_request)
            ]
        )
        for i in range(requests)
    ]
    return _ack_ms(runtime, "/webhooks/hubspot", bodies)


def _sqs_event(bodies: list[str]) -> dict[str, Any]:
    """The SQS event the lead-events function receives for these message bodies."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "r",
                "eventSource": "aws:sqs",
                "awsRegion": REGION,
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "body": body,
            }
            for body in bodies
        ]
    }


def _calls_per_item(runtime: LocalRuntime, bodies: list[str], batch: int = 100) -> float:
    """HubSpot calls the lead-events function makes per queued message, in batches of `batch`."""
    assert runtime.standin is not None
    store = runtime.standin.store
    store.reset_calls()
    for start in range(0, len(bodies), batch):
        assert lead_events.handler(_sqs_event(bodies[start : start + batch]), CONTEXT) == {
            "batchItemFailures": []
        }
    return store.call_count() / len(bodies)


COLD = {"industry": "RETAIL", "numemployees": "1-5"}


def calls_per_event(runtime: LocalRuntime, events: int = 1000) -> float:
    """HubSpot calls made by the lead-events function for a burst of contact events."""
    assert runtime.standin is not None
    ids = [runtime.standin.store.create_object("contacts", dict(COLD)) for _ in range(events)]
    sender = HubSpotWebhookSender("http://unused", "unused")
    return _calls_per_item(
        runtime, [json.dumps({"events": [sender.event("contact.creation", c)]}) for c in ids]
    )


def _full_record(contact_id: str, props: dict[str, str]) -> dict[str, Any]:
    """A workflow's "include all properties" body for a contact (the contacts API record)."""
    return {
        "vid": int(contact_id),
        "canonical-vid": int(contact_id),
        "properties": {k: {"value": v} for k, v in props.items()},
    }


def calls_per_workflow_record(runtime: LocalRuntime, records: int = 500) -> float:
    """HubSpot calls made for workflow records carrying every property scoring reads: no contact read."""
    from leadflow.webhooks.workflow_records import read_record

    assert runtime.standin is not None
    ids = [runtime.standin.store.create_object("contacts", dict(COLD)) for _ in range(records)]
    bodies = []
    for contact_id in ids:
        raw = json.dumps(_full_record(contact_id, COLD))
        bodies.append(
            json.dumps({"records": [json.loads(read_record(json.loads(raw), raw).model_dump_json())]})
        )
    return _calls_per_item(runtime, bodies)


def workflow_ack(runtime: LocalRuntime, requests: int, first: int = 50_000) -> list[float]:
    """Latency (ms) of the webhook handler for signed "Send a webhook" requests, each a new contact."""
    bodies = [
        json.dumps(_full_record(str(first + i), {**COLD, "email": f"p{i}@prospect.example"}))
        for i in range(requests)
    ]
    return _ack_ms(runtime, "/workflows/webhook", bodies)


def run(requests: int = 200) -> list[Metric]:
    """Webhook p50/p99 for 1 and 100 events per request and for a workflow record, and HubSpot calls
    per event and per workflow record."""
    metrics = []
    options = LocalOptions(template=ROOT / "template.yaml", port=0, consume_queues=False)
    with LocalRuntime(options) as runtime:
        for size in (1, 100):
            webhook_ack(runtime, size, 10)  # warm-up: imports, clients, connection pools
            samples = webhook_ack(runtime, size, requests)
            metrics += [
                Metric(f"webhook_ack_ms.{size}_event.p50", median(samples), "ms"),
                Metric(f"webhook_ack_ms.{size}_event.p99", percentile(samples, 99), "ms"),
            ]
        workflow_ack(runtime, 10, first=40_000)
        samples = workflow_ack(runtime, requests)
        metrics += [
            Metric("webhook_ack_ms.workflow_record.p50", median(samples), "ms"),
            Metric("webhook_ack_ms.workflow_record.p99", percentile(samples, 99), "ms"),
        ]
        metrics.append(Metric("hubspot_calls_per_event", calls_per_event(runtime), "calls/event"))
        metrics.append(
            Metric("hubspot_calls_per_workflow_record", calls_per_workflow_record(runtime), "calls/record")
        )
    return metrics
