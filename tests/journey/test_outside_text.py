"""Text from outside (a partner's signal evidence, a workflow's hand-off reason) reaches the task and
note bodies HubSpot renders as HTML escaped: shown as written, never rendered as a link or a tag."""

from __future__ import annotations

import json
from collections.abc import Callable

from leadflow.handlers import lead_events
from leadflow_cli.local.runtime import LocalRuntime
from tests.conftest import COLD_PROPS
from tests.handlers.test_lead_events import CONTEXT, sqs_event
from tests.journey.helpers import waiting_for
from tests.workflows.test_custom_actions import hand_off

LINK = '<a href="https://evil.example/login">renew your seat</a>'
ESCAPED_LINK = '&lt;a href="https://evil.example/login"&gt;renew your seat&lt;/a&gt;'
FIT = {"industry": "COMPUTER_SOFTWARE", "numemployees": "500-1000", "jobtitle": "Head of RevOps"}


def bodies(runtime: LocalRuntime) -> list[str]:
    """Every task and note body on the stand-in."""
    store = runtime.standin.store  # type: ignore[union-attr]
    return [t["properties"]["hs_task_body"] for t in store.list_objects("tasks")] + [
        n["properties"]["hs_note_body"] for n in store.list_objects("notes")
    ]


def test_signal_evidence_reaches_the_reps_task_escaped(runtime_factory: Callable[..., LocalRuntime]) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    contact = runtime.standin.store.create_object("contacts", dict(FIT))  # type: ignore[union-attr]
    signal = {
        "type": "conversation_reply",
        "occurred_at": runtime.clock.now().isoformat(),
        "attributes": {"problem": "missed MQLs", "replacing": "spreadsheets"},
        "source": "inbox",
        "evidence": f"Replied: {LINK} <img src=x onerror=alert(1)>",
    }
    body = json.dumps({"signals": [{"contact_id": contact, "signal": signal}]})
    assert lead_events.handler(sqs_event([body]), CONTEXT) == {"batchItemFailures": []}
    waiting_for(runtime, contact, "decision")

    (task,) = [b for b in bodies(runtime) if "Why this is an MQL" in b]
    assert ESCAPED_LINK in task and "&lt;img src=x onerror=alert(1)&gt;" in task
    assert not any("<a " in b or "<img" in b for b in bodies(runtime))


def test_a_workflows_hand_off_reason_reaches_the_reps_task_escaped(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(time_scale=None, visibility_timeout_s=1)
    cold = runtime.standin.store.create_object("contacts", dict(COLD_PROPS))  # type: ignore[union-attr]
    _, execution = hand_off(runtime, cold, sales_ready="true", reason=f"asked for a quote: {LINK}")
    assert execution.state == "BLOCKED"
    waiting_for(runtime, cold, "decision")

    (task,) = [b for b in bodies(runtime) if "Why this is an MQL" in b]
    assert f"Why this is an MQL: asked for a quote: {ESCAPED_LINK}" in task
    assert not any("<a " in b for b in bodies(runtime))
