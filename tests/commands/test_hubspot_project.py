"""The HubSpot developer-platform project (hubspot-project/), the twin of template.yaml: generated from the
configuration by `leadflow hubspot project`, kept in sync (like the docs' diagrams), and checked offline
against schemas written from HubSpot's documentation and templates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from leadflow.core.config import load_config
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli import hubspot_project
from leadflow_cli.main import main
from tests.conftest import ROOT

PROJECT = ROOT / "hubspot-project"
TEMPLATES = ROOT / "tests" / "data" / "hubspot_templates"


def leads_config(tmp_path: Path) -> Path:
    """The shipped configuration with the sdr team handing off on HubSpot Leads."""
    data = yaml.safe_load(DEFAULT_CONFIG_FILE.read_text())
    data["routing"]["teams"]["sdr"]["handoff"] = "lead"
    path = tmp_path / "leadflow.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def copy(tmp_path: Path) -> Path:
    target = tmp_path / "hubspot-project"
    shutil.copytree(PROJECT, target)
    return target


def test_the_committed_project_is_what_the_configuration_makes() -> None:
    problems = hubspot_project.stale(load_config(DEFAULT_CONFIG_FILE), PROJECT)
    assert problems == [], "run `leadflow hubspot project` and commit the result: " + "; ".join(problems)


def test_the_committed_project_passes_the_offline_schemas() -> None:
    assert hubspot_project.schema_problems(PROJECT) == []


@pytest.mark.parametrize(
    ("template", "schema"),
    [
        ("hsproject.json", "hsproject"),
        ("app-hsmeta.json", "app"),
        ("webhooks-hsmeta.json", "webhooks"),
        ("workflow-actions-hsmeta.json", "workflow-action"),
    ],
)
def test_the_schemas_accept_hubspots_own_templates(template: str, schema: str) -> None:
    validator = Draft202012Validator(
        json.loads((hubspot_project.SCHEMA_DIR / f"{schema}.schema.json").read_text())
    )
    assert [e.message for e in validator.iter_errors(json.loads((TEMPLATES / template).read_text()))] == []


def test_check_fails_naming_each_stale_file_when_a_team_moves_to_leads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy(tmp_path)
    config = leads_config(tmp_path)
    assert main(["hubspot", "project", "--check", "--config", str(config), "--dir", str(project)]) == 1
    err = capsys.readouterr().err
    assert f"{project / 'src/app/app-hsmeta.json'} differs from the configuration" in err
    assert f"{project / 'src/app/webhooks/webhooks-hsmeta.json'} differs from the configuration" in err
    assert "score-hsmeta.json" not in err  # unchanged files are not named
    assert main(["hubspot", "project", "--config", str(config), "--dir", str(project)]) == 0
    assert main(["hubspot", "project", "--check", "--config", str(config), "--dir", str(project)]) == 0


def test_check_fails_on_a_component_the_configuration_does_not_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy(tmp_path)
    stray = project / "src/app/workflow-actions/old-hsmeta.json"
    stray.write_text((project / hubspot_project.SCORE_FILE).read_text())
    assert main(["hubspot", "project", "--check", "--dir", str(project)]) == 1
    assert f"{stray} is not made by the configuration" in capsys.readouterr().err


def test_check_fails_on_a_file_the_schemas_refuse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy(tmp_path)
    path = project / hubspot_project.WEBHOOKS_FILE
    component: dict[str, Any] = json.loads(path.read_text())
    del component["config"]["subscriptions"]["legacyCrmObjects"][1]["propertyName"]
    path.write_text(json.dumps(component))
    assert main(["hubspot", "project", "--check", "--dir", str(project)]) == 1
    assert "legacyCrmObjects/1: 'propertyName' is a required property" in capsys.readouterr().err


def test_scopes_and_subscriptions_follow_the_configuration(tmp_path: Path) -> None:
    shipped = load_config(DEFAULT_CONFIG_FILE)
    with_leads = load_config(leads_config(tmp_path))
    assert "crm.objects.leads.write" not in hubspot_project.required_scopes(shipped)
    assert {"crm.objects.leads.read", "crm.objects.leads.write"} <= set(
        hubspot_project.required_scopes(with_leads)
    )
    assert "automation" in hubspot_project.required_scopes(shipped)
    subscriptions = hubspot_project.webhook_subscriptions(with_leads)
    assert {(s["objectType"], s["propertyName"]) for s in subscriptions["crmObjects"]} == {
        ("lead", "hs_pipeline_stage"),
        ("lead", "leadflow_decision_reason"),
    }
    legacy = subscriptions["legacyCrmObjects"]
    assert legacy[0] == {"subscriptionType": "contact.creation", "active": True}
    assert [s["propertyName"] for s in legacy[1:]] == shipped.subscribed_properties
    assert hubspot_project.webhook_subscriptions(shipped)["crmObjects"] == []


def test_the_workflow_actions_keep_todays_fields_picklists_and_labels() -> None:
    project = hubspot_project.load(PROJECT)
    handoff = project.actions["leadflow_handoff"]
    outputs = {o["typeDefinition"]["name"]: o["typeDefinition"] for o in handoff["outputFields"]}
    assert [o["value"] for o in outputs["team"]["options"]] == ["enterprise", "sales", "sdr"]
    assert [o["value"] for o in outputs["outcome"]["options"]][:3] == ["sql", "recycled", "rejected"]
    assert handoff["labels"]["en"]["actionName"] == "Hand off with leadflow"
    assert handoff["actionUrl"] == "http://127.0.0.1:3000/workflows/actions/handoff"
    assert project.actions["leadflow_score"]["labels"]["en"]["actionName"] == "Score with leadflow"
    assert project.webhooks["settings"]["targetUrl"] == "http://127.0.0.1:3000/webhooks/hubspot"


def test_a_profile_names_its_account_and_the_stacks_urls(tmp_path: Path) -> None:
    profile = hubspot_project.Profile(
        "prod", 123, "https://x.example/Prod/webhooks/hubspot", "https://x.example/a"
    )
    hubspot_project.write(load_config(DEFAULT_CONFIG_FILE), tmp_path, (profile,))
    loaded = hubspot_project.load(tmp_path, "prod")
    assert loaded.actions["leadflow_score"]["actionUrl"] == "https://x.example/a/score"
    assert json.loads((tmp_path / "hsprofile.prod.json").read_text())["accountId"] == 123
    assert hubspot_project.schema_problems(tmp_path) == []


def test_a_variable_no_profile_sets_fails_naming_it(tmp_path: Path) -> None:
    hubspot_project.write(load_config(DEFAULT_CONFIG_FILE), tmp_path)
    (tmp_path / "hsprofile.local.json").write_text(json.dumps({"accountId": 1, "variables": {}}))
    with pytest.raises(hubspot_project.ProjectError, match="WEBHOOK_URL"):
        hubspot_project.load(tmp_path)
