"""`leadflow hubspot bootstrap` against the HubSpot stand-in, through the real client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3
import yaml

from leadflow.adapters.hubspot_api import HubSpotApi
from leadflow.core.config import LeadsConfig
from leadflow.core.decisions import ALL_REASONS
from leadflow.core.lifecycle import Prop
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli.hubspot_bootstrap import LEAD_PROPERTIES, PROPERTIES, BootstrapError, bootstrap
from leadflow_cli.hubspot_standin import HubSpotStandIn
from leadflow_cli.main import main
from tests.conftest import STANDIN_TOKEN

TOKEN = STANDIN_TOKEN


@pytest.fixture
def standin() -> Iterator[HubSpotStandIn]:
    """A portal leadflow has not been installed in: none of its properties yet."""
    with HubSpotStandIn(access_token=STANDIN_TOKEN, leadflow_properties=False) as server:
        yield server


def client(standin: HubSpotStandIn, token: str = TOKEN) -> HubSpotApi:
    """leadflow's transport of HubSpot's dated API, aimed at the stand-in, without client-side retries."""
    return HubSpotApi(token, standin.base_url, urllib3.util.Retry(total=False))


def writes(standin: HubSpotStandIn) -> int:
    calls = standin.store.calls_by_route()
    return sum(v for k, v in calls.items() if k.endswith(("_create", "_update")))


def test_every_leadflow_property_has_a_definition() -> None:
    names = {v for k, v in vars(Prop).items() if k.isupper() and v.startswith("leadflow_")}
    assert names == {p.name for p in PROPERTIES}


def test_first_run_creates_the_group_and_every_property(standin: HubSpotStandIn) -> None:
    report = bootstrap(client(standin), progress=lambda _: None)
    assert report.group_created and len(report.created) == len(PROPERTIES)
    decision = standin.store.property("contacts", "leadflow_decision")
    assert (decision["type"], decision["groupName"]) == ("enumeration", "leadflow")
    assert [o["value"] for o in decision["options"]] == ["accept", "recycle", "reject"]
    assert standin.store.property("contacts", "leadflow_mql_at")["type"] == "datetime"
    # Deals carry their journey, so a retried SQL step finds the deal it made.
    assert "deals.leadflow_journey_id" in report.created
    assert standin.store.property("deals", "leadflow_journey_id")["groupName"] == "leadflow"
    # The properties API's date-based version, none of the legacy v3 paths.
    assert set(standin.store.calls_by_api()) == {"2026-09"}


def test_a_second_run_changes_nothing(standin: HubSpotStandIn) -> None:
    bootstrap(client(standin), progress=lambda _: None)
    before = writes(standin)
    report = bootstrap(client(standin), progress=lambda _: None)
    assert (report.created, report.updated, report.group_created) == ([], [], False)
    assert len(report.unchanged) == len(PROPERTIES)
    assert writes(standin) == before


def test_a_property_edited_by_hand_is_corrected(standin: HubSpotStandIn) -> None:
    bootstrap(client(standin), progress=lambda _: None)
    standin.store.update_property("contacts", "leadflow_fit_tier", {"label": "Tier (old)"})
    report = bootstrap(client(standin), progress=lambda _: None)
    assert report.updated == ["leadflow_fit_tier"]
    assert standin.store.property("contacts", "leadflow_fit_tier")["label"] == "ICP fit tier"


def test_a_dry_run_writes_nothing(standin: HubSpotStandIn) -> None:
    lines: list[str] = []
    report = bootstrap(client(standin), dry_run=True, progress=lines.append)
    assert len(report.created) == len(PROPERTIES) and writes(standin) == 0
    assert lines[:2] == [
        "would create contacts property group leadflow",
        "would create deals property group leadflow",
    ]


def test_a_refused_token_is_a_clear_error_without_the_token(standin: HubSpotStandIn) -> None:
    with pytest.raises(BootstrapError, match="refused the token") as caught:
        bootstrap(client(standin, token="wrong-token-value"), progress=lambda _: None)
    assert "wrong-token-value" not in str(caught.value)


def test_the_command_reads_the_token_from_the_environment(
    standin: HubSpotStandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    assert main(["hubspot", "bootstrap", "--base-url", standin.base_url]) == 2
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    assert main(["hubspot", "bootstrap", "--base-url", standin.base_url]) == 0
    assert capsys.readouterr().out.endswith(f"{len(PROPERTIES)} created, 0 updated, 0 unchanged\n")


def test_with_teams_on_leads_it_checks_the_lead_pipeline_then_adds_the_lead_properties(
    standin: HubSpotStandIn,
) -> None:
    lines: list[str] = []
    report = bootstrap(client(standin), leads=LeadsConfig(), progress=lines.append)
    assert lines[0] == "lead pipeline lead-pipeline-id has every stage the configuration names"
    assert [n for n in report.created if n.startswith("leads.")] == [
        f"leads.{p.name}" for p in LEAD_PROPERTIES
    ]
    reason = standin.store.property("leads", Prop.DECISION_REASON)
    assert [o["value"] for o in reason["options"]] == list(ALL_REASONS)
    assert standin.store.property("leads", Prop.JOURNEY_ID)["groupName"] == "leadflow"


def test_a_portal_without_the_lead_pipeline_is_told_what_is_missing_and_nothing_is_written(
    standin: HubSpotStandIn,
) -> None:
    standin.store.remove_pipeline("lead-pipeline-id", "leads")
    standin.store.add_pipeline("1213103916", ["101", "102"], object_type="leads")
    with pytest.raises(BootstrapError, match=r"no lead pipeline 'lead-pipeline-id' \(it has 1213103916\)"):
        bootstrap(client(standin), leads=LeadsConfig(), progress=lambda _: None)
    assert writes(standin) == 0


def test_a_lead_pipeline_missing_a_configured_stage_names_the_stage(standin: HubSpotStandIn) -> None:
    standin.store.add_pipeline(
        "lead-pipeline-id", ["new-stage-id", "qualified-stage-id"], object_type="leads"
    )
    with pytest.raises(
        BootstrapError, match="has no stage attempting-stage-id, connected-stage-id, unqualified"
    ):
        bootstrap(client(standin), leads=LeadsConfig(), progress=lambda _: None)


def test_the_command_adds_lead_properties_only_for_a_configuration_with_teams_on_leads(
    standin: HubSpotStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    data = yaml.safe_load(DEFAULT_CONFIG_FILE.read_text())
    data["routing"]["teams"]["sdr"]["handoff"] = "lead"
    config = tmp_path / "leadflow.yaml"
    config.write_text(yaml.safe_dump(data))
    assert main(["hubspot", "bootstrap", "--config", str(config), "--base-url", standin.base_url]) == 0
    created = len(PROPERTIES) + len(LEAD_PROPERTIES)
    assert capsys.readouterr().out.endswith(f"{created} created, 0 updated, 0 unchanged\n")
