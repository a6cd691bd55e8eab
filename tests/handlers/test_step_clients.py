"""A journey step builds only the clients it uses: each one costs its function's cold start."""

from __future__ import annotations

import json
from collections.abc import Callable

from leadflow import wiring
from leadflow.handlers import journey_steps
from leadflow_cli.local.lambdas import LocalContext
from leadflow_cli.local.runtime import LocalRuntime
from tests.conftest import MQL_PROPS, ROOT


def test_routing_a_lead_builds_no_step_functions_client(runtime_factory: Callable[..., LocalRuntime]) -> None:
    runtime = runtime_factory(consume_queues=False)
    contact = runtime.standin.store.create_object("contacts", dict(MQL_PROPS))  # type: ignore[union-attr]
    state = {**json.loads((ROOT / "events" / "journey_state.json").read_text()), "contact_id": contact}
    wiring.reset()  # a fresh container
    routed = journey_steps.route(state, LocalContext("RouteFunction", "arn:aws:lambda:::function:Route"))
    assert routed["assignment"]["team"] == "sales"
    assert (wiring.store.cache_info().currsize, wiring.engine.cache_info().currsize) == (1, 0)
