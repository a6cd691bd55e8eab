"""The local runtime refuses what AWS refuses: IAM, function timeouts, reserved concurrency, SQS's
batch semantics; and the journey copes with each as it must on AWS."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from leadflow_cli.hubspot_standin import FaultPlan
from leadflow_cli.local.lambdas import FunctionError
from leadflow_cli.local.runtime import REGION, LocalRuntime
from tests.conftest import ROOT
from tests.handlers.test_lead_events import quota_spent_on_an_mql, received
from tests.journey.helpers import journey_record, start, states, waiting_for

# The lead-events function's permission to park a batch, which the SQS event source's own policy lacks.
PARK_PERMISSION = """            - Effect: Allow
              Action: [sqs:ChangeMessageVisibility]
              Resource: !GetAtt LeadEventsQueue.Arn
"""


def template_without(tmp_path: Path, text: str) -> Path:
    """template.yaml without `text`, beside its state machine definition."""
    original = (ROOT / "template.yaml").read_text(encoding="utf-8")
    assert text in original
    shutil.copytree(ROOT / "statemachines", tmp_path / "statemachines")
    path = tmp_path / "template.yaml"
    path.write_text(original.replace(text, "", 1), encoding="utf-8")
    return path


def _received_under_a_spent_quota(runtime: LocalRuntime) -> dict[str, Any]:
    """A new MQL's event received from the queue while HubSpot's daily quota is spent: its Lambda event."""
    _, body = quota_spent_on_an_mql(runtime)
    return received(runtime, body)[1]


def test_a_call_outside_the_functions_iam_policy_is_denied_as_aws_denies_it(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Path
) -> None:
    template = template_without(tmp_path, PARK_PERMISSION)
    runtime = runtime_factory(consume_queues=False, time_scale=None, template=template)
    with pytest.raises(FunctionError) as denied:
        runtime.lambdas.invoke("LeadEventsFunction", _received_under_a_spent_quota(runtime))
    message = str(denied.value)
    assert "is not authorized to perform: sqs:ChangeMessageVisibility on resource: arn:aws:sqs:" in message


def test_the_lead_events_function_may_park_its_batch_under_the_template_s_policy(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    event = _received_under_a_spent_quota(runtime)
    answer = runtime.lambdas.invoke("LeadEventsFunction", event)
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert runtime.queue_depth() == 1  # parked, out of sight, still on the queue


RELEASE = threading.Event()
LATE_CALLS: list[str] = []


def sleepy(event: Any, context: Any) -> None:
    """A function that outlives its timeout, then tries to reach AWS."""
    RELEASE.wait(timeout=30)
    try:
        boto3.client("sqs", region_name=REGION).list_queues()
        LATE_CALLS.append("answered")
    except Exception as exc:
        LATE_CALLS.append(str(exc))


def test_a_function_that_outlives_its_timeout_fails_as_lambda_reports_it_and_reaches_aws_no_more(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    runtime.lambdas.register("SleepyFunction", f"{__name__}.sleepy", timeout_s=0.2)
    RELEASE.clear()
    with pytest.raises(FunctionError) as timed_out:
        runtime.lambdas.invoke("SleepyFunction", {})
    assert timed_out.value.payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 0.20 seconds" in timed_out.value.payload["errorMessage"]
    RELEASE.set()
    (worker,) = runtime.lambdas.overrunning
    worker.join(timeout=10)
    assert LATE_CALLS and "timed out; its sandbox is frozen" in LATE_CALLS[-1]


def test_a_hubspot_slowdown_longer_than_a_step_s_timeout_is_retried_instead_of_failing_the_journey(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    # The first owners read answers after 6 s, past the functions' 4 s: the call gives up in time, and
    # the step's Retry runs it again once HubSpot is quick.
    runtime = runtime_factory(consume_queues=False, time_scale=None, function_timeout_s=4)
    runtime.standin.store.faults = FaultPlan(slow_for=(("owners.list", 1, 6.0),))  # type: ignore[union-attr]
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    assert "RecordFailure" not in states(arn)
    assert runtime.lambdas.timeouts == {}
    assert journey_record(contact).status == "awaiting_decision"


def test_a_burst_beyond_the_steps_reserved_concurrency_is_throttled_and_retried_never_failed(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None, parameters={"JourneyConcurrency": "1"})
    started = [start(runtime) for _ in range(4)]
    for contact, arn in started:
        waiting_for(runtime, contact, "decision")
        assert "RecordFailure" not in states(arn)
    assert sum(runtime.lambdas.throttles.values()) > 0
