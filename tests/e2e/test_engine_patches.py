"""The local runtime's changes to the embedded Step Functions engine keep what an execution does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import boto3
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from leadflow_cli.local.engine_patches import _components
from leadflow_cli.local.runtime import REGION, LocalRuntime
from tests.journey.helpers import config_file, start, states


def test_a_definition_is_parsed_once_and_its_components_keys_are_drawn_before_it_is_shared(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    definition = boto3.client("stepfunctions", region_name=REGION).describe_state_machine(
        stateMachineArn=runtime.journey_arn
    )["definition"]
    first = AmazonStateLanguageParser.parse(definition)
    assert AmazonStateLanguageParser.parse(definition) is first
    components = list(_components(first[0], set()))
    assert len(components) > 100
    assert all(c._EvalComponent__heap_key is not None for c in components)  # type: ignore[attr-defined]


def test_a_task_calls_its_function_directly_and_a_function_error_is_caught_as_on_aws(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Path
) -> None:
    nobody = config_file(
        tmp_path, lambda c: c["routing"]["teams"]["sales"].update(fallback_owner="ghost@example.com")
    )
    runtime = runtime_factory(consume_queues=False, time_scale=None, config_file=nobody)
    store = runtime.standin.store  # type: ignore[union-attr]
    for owner in store.owners():
        store.archive_owner(owner["id"])
    _, arn = start(runtime)
    runtime.settle()
    assert states(arn) == ["Route", "RecordFailure", "AwaitRepair"]
    history = boto3.client("stepfunctions", region_name=REGION).get_execution_history(executionArn=arn)
    failed = [e for e in history["events"] if e["type"] == "TaskFailed"]
    assert failed and failed[0]["taskFailedEventDetails"]["error"] == "RoutingError"
    assert runtime.lambdas.invocations["RouteFunction"] == 1  # a RoutingError is not retried
