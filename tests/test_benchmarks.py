"""The benchmark suite keeps up with the template."""

from __future__ import annotations

from benchmarks.cold_start import cold_start_events
from leadflow_cli.hubspot_standin import HubSpotStandIn
from leadflow_cli.local.template import load_template
from tests.conftest import ROOT


def test_every_function_in_the_template_has_a_cold_start_event(standin: HubSpotStandIn) -> None:
    functions = set(load_template(ROOT / "template.yaml").functions)
    assert set(cold_start_events(standin, "secret")) == functions
