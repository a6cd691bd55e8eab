"""One local clock: the engine stamps executions and their history on the time the functions, the records
and the stand-in use, however far it runs ahead of the wall clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from leadflow_cli.local.runtime import REGION, LocalRuntime
from tests.journey.helpers import journey_record, start, waiting_for

pytestmark = pytest.mark.e2e


def test_executions_and_their_history_are_stamped_on_the_local_clock_not_the_wall_clock(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    runtime.advance(days=30)
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    ahead = runtime.clock.now()
    assert ahead - datetime.now(UTC) > timedelta(days=29)

    sfn = boto3.client("stepfunctions", region_name=REGION)
    started = sfn.describe_execution(executionArn=arn)["startDate"]
    stamps = [e["timestamp"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
    record = journey_record(contact)
    assert record.mql_at is not None
    for stamp in [started, *stamps]:
        assert abs(stamp - record.mql_at) < timedelta(minutes=1)
