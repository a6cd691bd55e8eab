"""template.yaml within AWS's limits: names, alarms and the stack's secret, whatever the stack is called."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadflow_cli.local.intrinsics import Intrinsics
from leadflow_cli.local.runtime import LocalRuntime
from leadflow_cli.local.template import TemplateError, load_template
from tests.conftest import ROOT

TEMPLATE = load_template(ROOT / "template.yaml")
SECRET_PARAMETERS = ("HubSpotAccessToken", "HubSpotClientSecret", "SignalsSecret", "WorkflowApiKey")


def test_the_journey_s_name_fits_step_functions_80_characters_for_the_longest_stack_name() -> None:
    # CloudFormation takes stack names of up to 128 characters.
    longest = "s" * 128
    refs = {
        "AWS::StackName": longest,
        "AWS::StackId": f"arn:aws:cloudformation:eu-central-1:123456789012:stack/{longest}/"
        "6a8b2a10-2f4e-11ef-9a3d-0a1b2c3d4e5f",
    }
    machine = TEMPLATE.resources["LeadJourneyStateMachine"]["Properties"]
    name = Intrinsics(refs, {}).resolve(machine["Name"])
    assert name == "lead-journey-6a8b2a10-2f4e-11ef-9a3d-0a1b2c3d4e5f" and len(name) <= 80


def test_the_journey_failure_alarm_counts_failed_timed_out_and_aborted_executions() -> None:
    alarm = TEMPLATE.resources["JourneyFailedAlarm"]["Properties"]
    watched = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert watched == {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}
    (alarmed,) = [m for m in alarm["Metrics"] if m["ReturnData"]]
    assert all(m["Id"] in alarmed["Expression"] for m in alarm["Metrics"] if "MetricStat" in m)


@pytest.mark.parametrize("name", SECRET_PARAMETERS)
@pytest.mark.parametrize(
    "value", ['a"b', 'x", "notify_url": "https://evil.example', "back\\slash", "new\nline"]
)
def test_a_secret_that_would_break_the_secret_s_json_is_refused_at_the_parameter(
    name: str, value: str
) -> None:
    assert TEMPLATE.parameters[name]["AllowedPattern"]
    with pytest.raises(TemplateError, match=f"parameter {name} must not contain a double quote"):
        LocalRuntime(_options(name, value)).start()


def _options(name: str, value: str) -> Any:
    from leadflow_cli.local.runtime import LocalOptions

    return LocalOptions(
        template=ROOT / "template.yaml", port=0, consume_queues=False, parameters={name: value}
    )


def test_secrets_of_tokens_keys_and_urls_are_taken(runtime_factory: Callable[..., LocalRuntime]) -> None:
    runtime = runtime_factory(
        consume_queues=False, parameters={"SignalsSecret": "pat-na1-1f2e3d4c-5b6a-7980-a1b2-c3d4e5f6a7b8"}
    )
    assert runtime.api is not None


def test_a_runtime_that_cannot_start_leaves_nothing_running_behind(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    import os

    before = dict(os.environ)
    with pytest.raises(TemplateError):
        LocalRuntime(_options("SignalsSecret", 'a"b')).start()
    assert dict(os.environ) == before
    # The emulator and the patches were stopped: a runtime starts as usual after it.
    assert runtime_factory(consume_queues=False).api is not None
