"""State transitions per journey path and leads per second end to end, on the local runtime.

Step Functions Standard bills per state transition, so transitions per journey is a cost
figure; both numbers come from the real ASL executed by the embedded engine.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from benchmarks.report import Metric
from leadflow_cli.demo import demo_config
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import DEFAULT_CLIENT_SECRET, REGION, LocalOptions, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender

ROOT = Path(__file__).resolve().parent.parent
TEAM = ["ada@example.com", "grace@example.com", "linus@example.com", "queue@example.com"]
MQL = {
    "industry": "COMPUTER_SOFTWARE",
    "numemployees": "500",
    "recent_conversion_event_name": "Talk to sales",
}


_WAIT_STATES = {"decision": "AwaitDecision", "engagement": "AwaitEngagement"}


# What happens on each path: (the wait it happens in, the contact property set, its value,
# the escalations that must have happened first). Engagements are stamped with the time.
Move = tuple[str, str, str, int]
ACCEPT: Move = ("decision", "leadflow_decision", "accept", 0)
CALL: Move = ("engagement", "leadflow_connected_call_at", "", 0)
MEETING: Move = ("engagement", "engagements_last_meeting_booked", "", 0)


def _path(runtime: LocalRuntime, props: dict[str, str], moves: list[Move], fast_track: bool = False) -> int:
    """Run one journey through its moves to its end; returns its state transitions.

    The local clock stands still: each move is made once the journey waits for it, and when
    nothing can move, time runs on to the next deadline.
    """
    assert runtime.standin is not None
    store = runtime.standin.store
    sfn = boto3.client("stepfunctions", region_name=REGION)
    contact = store.create_object("contacts", {**props, "lifecyclestage": "marketingqualifiedlead"})
    arn = runtime.start_journey(contact, fast_track=fast_track)
    sender = HubSpotWebhookSender(runtime.api_url + "/webhooks/hubspot", DEFAULT_CLIENT_SECRET)
    pending = list(moves)
    while True:
        runtime.settle()
        if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
            return len(runtime.states_entered(arn))
        entered = runtime.states_entered(arn)
        if (
            pending
            and entered[-1] == _WAIT_STATES[pending[0][0]]
            and entered.count("Escalate") >= pending[0][3]
        ):
            _, prop, value, _ = pending.pop(0)
            value = value or str(int(runtime.clock.now().timestamp() * 1000))
            store.update_object("contacts", contact, {prop: value})
            sender.send([sender.event("contact.propertyChange", contact, prop, value)])
            continue
        runtime.clock.advance(runtime.clock.pending()[0] - runtime.clock.now())


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
    with tempfile.TemporaryDirectory() as scratch:
        options = LocalOptions(
            template=ROOT / "template.yaml",
            port=0,
            time_scale=None,
            config_file=demo_config(Path(scratch)),
        )
        with LocalRuntime(options) as runtime:
            assert runtime.standin is not None
            for email in TEAM:
                runtime.standin.store.add_owner(email, "Rep", "Rep")
            reason: Move = ("decision", "leadflow_decision_reason", "not_icp", 0)
            paths: dict[str, tuple[dict[str, str], list[Move], bool]] = {
                "sql_fast_track": ({**MQL, "numemployees": "5000"}, [], True),
                "sql_engagement_required": (MQL, [ACCEPT, CALL], False),
                "sql_meeting_booked": ({**MQL, "numemployees": "150"}, [ACCEPT, CALL, MEETING], False),
                "sql_after_one_escalation": (MQL, [(*ACCEPT[:3], 1), CALL], False),
                "rejected": (MQL, [reason, ("decision", "leadflow_decision", "reject", 0)], False),
                "recycled": (
                    MQL,
                    [
                        ("decision", "leadflow_decision_reason", "bad_timing", 0),
                        ("decision", "leadflow_decision", "recycle", 0),
                    ],
                    False,
                ),
                "recycled_no_response": (MQL, [ACCEPT], False),
                "rejected_by_the_fallback_owner_after_the_ladder": (
                    MQL,
                    [
                        ("decision", "leadflow_decision_reason", "duplicate", 4),
                        ("decision", "leadflow_decision", "reject", 4),
                    ],
                    False,
                ),
            }
            metrics = [
                Metric(f"transitions_per_journey.{name}", _path(runtime, props, moves, fast), "transitions")
                for name, (props, moves, fast) in paths.items()
            ]
            metrics.append(Metric("e2e_leads_per_s", _leads_per_s(runtime, leads), "leads/s"))
    return metrics
