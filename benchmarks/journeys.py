"""State transitions and HubSpot calls per journey path (the handoff on the contact and on a HubSpot
Lead), and leads per second end to end, on the local runtime.

Step Functions Standard bills per state transition, so transitions per journey is a cost
figure; both numbers come from the real ASL executed by the embedded engine.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import yaml

from benchmarks.report import Metric
from leadflow_cli.demo import demo_config
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import DEFAULT_CLIENT_SECRET, REGION, LocalOptions, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender

ROOT = Path(__file__).resolve().parent.parent
TEAM = ["ada@example.com", "grace@example.com", "linus@example.com", "queue@example.com"]
MQL = {
    "industry": "COMPUTER_SOFTWARE",
    "numemployees": "500-1000",
    "recent_conversion_event_name": "Talk to sales",
}


_WAIT_STATES = {"decision": "AwaitDecision", "engagement": "AwaitEngagement"}


# What happens on each path: (the wait it happens in, the property set, its value, the
# escalations that must have happened first). A property is the contact's, or the journey's
# lead's when it starts with "lead."; engagements are stamped with the time.
Move = tuple[str, str, str, int]
ACCEPT: Move = ("decision", "leadflow_decision", "accept", 0)
CALL: Move = ("engagement", "leadflow_connected_call_at", "", 0)
MEETING: Move = ("engagement", "engagements_last_meeting_booked", "", 0)
WORKED: Move = ("decision", "lead.hs_pipeline_stage", "attempting-stage-id", 0)
QUALIFIED: Move = ("engagement", "lead.hs_pipeline_stage", "qualified-stage-id", 0)


def _decided(decision: str, reason: str, escalations: int = 0, *, on_lead: bool = False) -> list[Move]:
    """A recycle or reject with its reason: on the contact, or as the lead's disqualification."""
    if on_lead:
        return [
            ("decision", "lead.leadflow_decision_reason", reason, escalations),
            ("decision", "lead.hs_pipeline_stage", "unqualified-stage-id", escalations),
        ]
    return [
        ("decision", "leadflow_decision_reason", reason, escalations),
        ("decision", "leadflow_decision", decision, escalations),
    ]


def _paths(on_lead: bool) -> dict[str, tuple[dict[str, str], list[Move], bool]]:
    """Every path a journey can take, as its rep makes it on the contact or on the lead."""
    accept = WORKED if on_lead else ACCEPT
    paths = {
        "sql_fast_track": ({**MQL, "numemployees": "1000+"}, [], True),
        "sql_engagement_required": (MQL, [accept, CALL], False),
        "sql_meeting_booked": ({**MQL, "numemployees": "50-100"}, [accept, CALL, MEETING], False),
        "sql_after_one_escalation": (MQL, [(*accept[:3], 1), CALL], False),
        "rejected": (MQL, _decided("reject", "not_icp", on_lead=on_lead), False),
        "recycled": (MQL, _decided("recycle", "bad_timing", on_lead=on_lead), False),
        "recycled_no_response": (MQL, [accept], False),
        "rejected_by_the_fallback_owner_after_the_ladder": (
            MQL,
            _decided("reject", "duplicate", 4, on_lead=on_lead),
            False,
        ),
    }
    if on_lead:
        paths["sql_lead_qualified"] = (MQL, [accept, QUALIFIED], False)
    return paths


def _path(
    runtime: LocalRuntime, props: dict[str, str], moves: list[Move], fast_track: bool = False
) -> tuple[int, int]:
    """Run one journey through its moves to its end; its state transitions and HubSpot calls.

    The local clock stands still: each move is made once the journey waits for it, and when
    nothing can move, time runs on to the next deadline. The HubSpot app's lead events
    (the rep's moves and leadflow's own) are delivered as they happen.
    """
    assert runtime.standin is not None
    store = runtime.standin.store
    sfn = boto3.client("stepfunctions", region_name=REGION)
    contact = store.create_object("contacts", {**props, "lifecyclestage": "marketingqualifiedlead"})
    calls = store.call_count()
    arn = runtime.start_journey(contact, fast_track=fast_track)
    sender = HubSpotWebhookSender(
        runtime.api_url + "/webhooks/hubspot", DEFAULT_CLIENT_SECRET, clock=runtime.clock.now
    )
    pending = list(moves)
    while True:
        runtime.deliver_webhooks()
        runtime.settle()
        if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
            runtime.deliver_webhooks()
            runtime.settle()
            return len(runtime.states_entered(arn)), store.call_count() - calls
        entered = runtime.states_entered(arn)
        if (
            pending
            and entered[-1] == _WAIT_STATES[pending[0][0]]
            and entered.count("Escalate") >= pending[0][3]
        ):
            _, prop, value, _ = pending.pop(0)
            if prop.startswith("lead."):
                lead = store.get_object("contacts", contact)["properties"]["leadflow_lead_id"]
                store.update_object("leads", lead, {prop.removeprefix("lead."): value})
                continue
            value = value or str(int(runtime.clock.now().timestamp() * 1000))
            store.update_object("contacts", contact, {prop: value})
            sender.send([sender.event("contact.propertyChange", contact, prop, value)])
            continue
        runtime.clock.advance(runtime.clock.pending()[0] - runtime.clock.now())


def _count(sfn: Any, arn: str) -> int:
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=arn)
    return sum(len(page["executions"]) for page in pages)


def _leads_per_s(runtime: LocalRuntime, leads: int) -> list[Metric]:
    """Leads per second from signed webhooks to open journeys, and to journeys waiting on their rep
    (owner, task and SLA timer set)."""
    assert runtime.standin is not None
    store = runtime.standin.store
    sfn = boto3.client("stepfunctions", region_name=REGION)
    before = _count(sfn, runtime.journey_arn)
    ids = [store.create_object("contacts", dict(MQL)) for _ in range(leads)]
    sender = HubSpotWebhookSender(
        runtime.api_url + "/webhooks/hubspot", DEFAULT_CLIENT_SECRET, clock=runtime.clock.now
    )
    started = time.perf_counter()
    for chunk in range(0, leads, 100):
        sender.send([sender.event("contact.creation", c) for c in ids[chunk : chunk + 100]])

    def all_open() -> bool:
        return _count(sfn, runtime.journey_arn) - before >= leads

    wait_for(all_open, timeout_s=300)
    opened = time.perf_counter() - started
    runtime.settle(timeout_s=600)
    handed_off = time.perf_counter() - started
    return [
        Metric("e2e_leads_per_s", leads / opened, "leads/s"),
        Metric("e2e_handed_off_leads_per_s", leads / handed_off, "leads/s"),
    ]


def _lone_leads(runtime: LocalRuntime, leads: int = 7) -> list[Metric]:
    """Milliseconds from one MQL's signed webhook until it has its owner and task, one lead at a time
    (the median of `leads`): what a burst's batching and pacing must not slow down."""
    assert runtime.standin is not None
    store = runtime.standin.store
    sender = HubSpotWebhookSender(
        runtime.api_url + "/webhooks/hubspot", DEFAULT_CLIENT_SECRET, clock=runtime.clock.now
    )
    times = []
    for _ in range(leads):
        runtime.settle(timeout_s=120)
        contact = store.create_object("contacts", dict(MQL))
        started = time.perf_counter()
        sender.send([sender.event("contact.creation", contact)])
        wait_for(lambda c=contact: store.associations("contacts", c, "tasks"), timeout_s=120, every_s=0.005)
        times.append((time.perf_counter() - started) * 1000)
    return [Metric("e2e_lone_lead_handed_off_ms", sorted(times)[len(times) // 2], "ms")]


def _config(directory: Path, handoff: str) -> Path:
    """The demo's configuration with every team handing off on `handoff`."""
    path = demo_config(directory)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for team in data["routing"]["teams"].values():
        team["handoff"] = handoff
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@contextmanager
def _runtime(config: Path) -> Iterator[LocalRuntime]:
    options = LocalOptions(template=ROOT / "template.yaml", port=0, time_scale=None, config_file=config)
    with LocalRuntime(options) as runtime:
        assert runtime.standin is not None
        for email in TEAM:
            runtime.standin.store.add_owner(email, "Rep", "Rep")
        yield runtime


def run(leads: int = 100) -> list[Metric]:
    """Transitions and HubSpot calls per journey for each path, with the handoff on the contact and on
    a HubSpot Lead, and leads per second from webhook to open journey."""
    metrics: list[Metric] = []
    for handoff in ("contact", "lead"):
        suffix = "" if handoff == "contact" else ".on_lead"
        with tempfile.TemporaryDirectory() as scratch, _runtime(_config(Path(scratch), handoff)) as runtime:
            for name, (props, moves, fast) in _paths(on_lead=handoff == "lead").items():
                transitions, calls = _path(runtime, props, moves, fast)
                metrics.append(Metric(f"transitions_per_journey.{name}{suffix}", transitions, "transitions"))
                metrics.append(Metric(f"hubspot_calls_per_journey.{name}{suffix}", calls, "calls"))
            if handoff == "contact":
                metrics += _lone_leads(runtime)
                metrics += _leads_per_s(runtime, leads)
    return metrics
