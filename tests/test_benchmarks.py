"""The benchmark suite keeps up with the template."""

from __future__ import annotations

from benchmarks.cold_start import cold_start_events
from leadflow_cli.hubspot_standin import HubSpotStandIn
from leadflow_cli.local.template import load_template
from tests.conftest import ROOT


def test_every_function_in_the_template_has_a_cold_start_event(standin: HubSpotStandIn) -> None:
    functions = set(load_template(ROOT / "template.yaml").functions)
    assert set(cold_start_events(standin, "secret")) == functions


def test_the_replay_benchmark_replays_an_export_it_writes() -> None:
    from benchmarks import replay

    seconds, rate, mqls = replay.run(rows=300)
    assert (seconds.metric, rate.metric, mqls.metric) == (
        "replay_s.300_rows",
        "replay_rows_per_s",
        "replay_mqls.300_rows",
    )
    assert mqls.value > 0
