"""What the journey's ASL promises about AWS's failures, read from the definition itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT

DEFINITION = json.loads((ROOT / "statemachines" / "lead_journey.asl.json").read_text(encoding="utf-8"))
LAMBDA_TASKS = {
    name: state
    for name, state in DEFINITION["States"].items()
    if state["Type"] == "Task" and state["Resource"].startswith("arn:aws:states:::lambda:invoke")
}


def _retrier(state: dict[str, Any], error: str) -> dict[str, Any]:
    found = [r for r in state.get("Retry", []) if error in r["ErrorEquals"]]
    assert found, f"no Retry names {error}"
    return found[0]


def _longest_wait_s(retrier: dict[str, Any]) -> float:
    """The most a Retry waits in all (every attempt at its full, un-jittered interval)."""
    interval, rate, cap = (
        retrier["IntervalSeconds"],
        retrier.get("BackoffRate", 2.0),
        retrier["MaxDelaySeconds"],
    )
    return sum(min(cap, interval * rate**n) for n in range(retrier["MaxAttempts"]))


@pytest.mark.parametrize("name", sorted(LAMBDA_TASKS))
def test_a_throttled_step_is_retried_for_up_to_an_hour_and_a_half(name: str) -> None:
    # Full jitter halves the expected wait: a reserved-concurrency backlog of about 45 minutes clears.
    throttled = _retrier(LAMBDA_TASKS[name], "Lambda.TooManyRequestsException")
    assert throttled["JitterStrategy"] == "FULL"
    assert _longest_wait_s(throttled) >= 90 * 60


@pytest.mark.parametrize("name", sorted(LAMBDA_TASKS))
@pytest.mark.parametrize(
    "error",
    [
        "Sandbox.Timedout",  # a function that ran out of time, as Lambda's runtimes report it
        "Lambda.Unknown",  # the same, as Step Functions' guide names it
        "AwsUnavailable",  # an AWS throttle or outage inside the function
        "HubSpotUnavailable",
        "Lambda.ServiceException",
        "Lambda.ClientExecutionTimeoutException",
    ],
)
def test_timeouts_and_outages_are_retried_with_backoff_for_minutes(name: str, error: str) -> None:
    outage = _retrier(LAMBDA_TASKS[name], error)
    assert outage["JitterStrategy"] == "FULL" and _longest_wait_s(outage) >= 15 * 60


def test_a_failed_journey_waits_for_its_repair_no_longer_than_its_own_timeout_allows() -> None:
    repair = DEFINITION["States"]["AwaitRepair"]
    assert repair["TimeoutSecondsPath"] == "$.failure.repair_timeout_seconds"
    (caught,) = [c for c in repair["Catch"] if c["ErrorEquals"] == ["States.Timeout"]]
    assert DEFINITION["States"][caught["Next"]]["Type"] == "Fail"
    payload = DEFINITION["States"]["RecordFailure"]["Parameters"]["Payload"]
    assert payload["started.$"] == "$$.Execution.StartTime"
