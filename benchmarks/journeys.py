"""State transitions per journey path and leads per second end to end, on the local runtime.

Step Functions Standard bills per state transition, so transitions per journey is a cost
figure; both numbers come from the real ASL executed by the embedded engine.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3

from benchmarks.report import Metric
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import DEFAULT_CLIENT_SECRET, REGION, LocalOptions, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender

ROOT = Path(__file__).resolve().parent.parent
SLA_S = 5.0  # longer than the lead-events batching window (2 s), so a prompt decision beats the SLA
TEAM = ["ada@example.com", "grace@example.com", "linus@example.com", "queue@example.com"]
MQL = {
    "industry": "COMPUTER_SOFTWARE",
    "numemployees": "500",
    "recent_conversion_event_name": "Talk to sales",
}


def _transitions(sfn: Any, arn: str) -> int:
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return sum(1 for e in events if e["type"].endswith("StateEntered"))


def _path(runtime: LocalRuntime, decision: str | None, escalations_first: int) -> int:
    """Run one journey; decide after `escalations_first` escalations (None: never decide)."""
    from leadflow import wiring

    assert runtime.standin is not None
    store = runtime.standin.store
    sfn = boto3.client("stepfunctions", region_name=REGION)
    contact = store.create_object("contacts", {**MQL, "lifecyclestage": "marketingqualifiedlead"})
    arn = runtime.start_journey(contact, max_escalations=1)
    if decision is not None:

        def waiting() -> bool:
            record = wiring.store().latest_journey(contact)
            escalated = int(record.get("escalations", "0")) if record else 0
            return bool(record and record.get("task_token") and escalated >= escalations_first)

        wait_for(waiting)
        store.update_object(
            "contacts", contact, {"leadflow_decision": decision, "leadflow_decision_reason": "not_icp"}
        )
        sender = HubSpotWebhookSender(runtime.api_url + "/webhooks/hubspot", DEFAULT_CLIENT_SECRET)
        sender.send([sender.event("contact.propertyChange", contact, "leadflow_decision", decision)])
    wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")
    return _transitions(sfn, arn)


def _count(sfn: Any, arn: str) -> int:
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=arn)
    return sum(len(page["executions"]) for page in pages)


def _leads_per_s(runtime: LocalRuntime, leads: int) -> float:
    assert runtime.standin is not None
    store = runtime.standin.store
    sfn = boto3.client("stepfunctions", region_name=REGION)
    before = _count(sfn, runtime.journey_arn)
    ids = [store.create_object("contacts", dict(MQL)) for _ in range(leads)]
    sender = HubSpotWebhookSender(runtime.api_url + "/webhooks/hubspot", DEFAULT_CLIENT_SECRET)
    started = time.perf_counter()
    for chunk in range(0, leads, 100):
        sender.send([sender.event("contact.creation", c) for c in ids[chunk : chunk + 100]])

    def all_open() -> bool:
        return _count(sfn, runtime.journey_arn) - before >= leads

    wait_for(all_open, timeout_s=300)
    return leads / (time.perf_counter() - started)


def run(leads: int = 100) -> list[Metric]:
    """Transitions per journey for each path, and leads per second from webhook to open journey."""
    options = LocalOptions(template=ROOT / "template.yaml", port=0, time_scale=4 * 3600 / SLA_S)
    with LocalRuntime(options) as runtime:
        assert runtime.standin is not None
        for email in TEAM:
            runtime.standin.store.add_owner(email, "Rep", "Rep")
        paths = {
            "sal": ("accept", 0),
            "escalated_then_sal": ("accept", 1),
            "recycled": ("recycle", 0),
            "rejected": ("reject", 0),
            "fallback": (None, 0),
        }
        metrics = [
            Metric(f"transitions_per_journey.{name}", _path(runtime, decision, first), "transitions")
            for name, (decision, first) in paths.items()
        ]
        metrics.append(Metric("e2e_leads_per_s", _leads_per_s(runtime, leads), "leads/s"))
    return metrics
