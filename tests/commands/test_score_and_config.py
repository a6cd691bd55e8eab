"""`leadflow score` and `leadflow config`: explanations and validation for RevOps."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from leadflow_cli.config_cmd import schema_text
from leadflow_cli.main import main
from tests.conftest import ROOT

CONTACT = {
    "properties": {
        "industry": "COMPUTER_SOFTWARE",
        "numemployees": "500-1000",
        "jobtitle": "Head of RevOps",
        "email": "maya@acme.example",
        "country": "Germany",
    },
    "signals": [
        {
            "type": "form_submission",
            "occurred_at": "2026-11-23T10:00:00Z",
            "attributes": {"form": "Talk to sales"},
        }
    ],
    "now": "2026-11-24T12:00:00Z",
}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "contact.json"
    path.write_text(json.dumps(data))
    return path


def test_score_explains_why_a_contact_is_an_mql(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(write(tmp_path, CONTACT))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MQL: yes\n")
    assert "Reason: submitted the Talk to sales form on 2026-11-23" in out
    assert "ICP tier A   persona RevOps leader   fast track yes" in out
    assert "target industry (COMPUTER_SOFTWARE)" in out


def test_score_json_and_the_not_mql_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    student = {**CONTACT, "properties": {**CONTACT["properties"], "jobtitle": "Student"}}  # type: ignore[dict-item]
    assert main(["score", "--json", "--fail-unless-mql", str(write(tmp_path, student))]) == 1
    card = json.loads(capsys.readouterr().out)
    assert (card["mql"], card["disqualified_by"]) == (False, "student")
    assert {"fit", "intent", "tier", "gates", "hits", "reason", "intent_evidence"} <= card.keys()


def test_score_names_the_problem_in_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = {**CONTACT, "signals": [{"type": "Form!", "occurred_at": "yesterday"}]}
    assert main(["score", str(write(tmp_path, bad))]) == 2
    assert "signals.0.type" in capsys.readouterr().err


def test_config_check_summarises_a_valid_file_lists_its_subscriptions_and_names_a_bad_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"valid\. \d+ rules \(fit \d+, intent \d+", out)
    # The subscriptions an admin must set up: scored properties, the rep's decision, engagements.
    subscriptions = out.split("contact.propertyChange of: ")[1].strip().split(", ")
    wanted = {"numemployees", "leadflow_decision", "leadflow_decision_reason", "leadflow_connected_call_at"}
    assert wanted <= set(subscriptions)
    broken = tmp_path / "leadflow.yaml"
    broken.write_text(
        (ROOT / "functions/leadflow.yaml").read_text().replace("threshold: 30", "threshold: -3")
    )
    assert main(["config", "check", str(broken)]) == 2
    assert "scoring.fit.threshold" in capsys.readouterr().err


def test_config_check_lists_the_lead_subscriptions_of_teams_that_hand_off_on_leads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "check"]) == 0
    assert "HubSpot Leads" not in capsys.readouterr().out
    on_leads = tmp_path / "leadflow.yaml"
    shipped = (ROOT / "functions/leadflow.yaml").read_text()
    on_leads.write_text(
        shipped.replace("sql_policy: meeting_booked", "sql_policy: meeting_booked\n      handoff: lead")
    )
    assert main(["config", "check", str(on_leads)]) == 0
    out = capsys.readouterr().out
    assert (
        "Teams sdr hand off on HubSpot Leads: subscribe the app to object.propertyChange of lead "
        "(object type 0-136) for: hs_pipeline_stage, leadflow_decision_reason"
    ) in out


def test_the_shipped_json_schema_is_current() -> None:
    stored = (ROOT / "schema/leadflow.schema.json").read_text()
    assert stored == schema_text(), "run `.venv/bin/leadflow config schema --write`"
    assert "fast_track" in json.loads(stored)["$defs"]["ScoringConfig"]["properties"]


def test_config_check_refuses_a_dropdown_label_in_a_rule_naming_the_internal_value_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "functions/leadflow.yaml").read_text()
    text = text.replace(
        "in: [DECISION_MAKER, BUDGET_HOLDER, CHAMPION]", "in: [Decision Maker, BUDGET_HOLDER]"
    )
    text = text.replace(
        'property: company.hs_is_target_account, equals: "true"',
        'property: company.hs_is_target_account, equals: "Yes"',
    )
    text = text.replace("when: {numemployees: {lte: 199}}", "when: {hs_lead_status: {equals: In Progress}}")
    path = tmp_path / "leadflow.yaml"
    path.write_text(text)
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert (
        "scoring.fit.rules[buying-role] (hs_buying_role): 'Decision Maker' is the label of the option "
        "'DECISION_MAKER'; rules compare HubSpot's internal values: write 'DECISION_MAKER'"
    ) in err
    assert "(company.hs_is_target_account): 'Yes' is the label of the option 'true'" in err
    assert "routing.rules[small-business].when (hs_lead_status): 'In Progress' is the label" in err
    assert "write 'IN_PROGRESS'" in err


def test_config_check_notes_a_rule_value_no_option_of_its_dropdown_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "leadflow.yaml"
    text = (ROOT / "functions/leadflow.yaml").read_text()
    path.write_text(text.replace("in: [executive, vp, director]", "in: [executive, boss]"))
    assert main(["config", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "note: scoring.fit.rules[seniority-field] (hs_seniority): 'boss' is no option of hs_seniority" in out
    )


def test_config_check_refuses_a_misspelt_property_or_option_suggesting_the_one_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "functions/leadflow.yaml").read_text()
    text = text.replace("in: [executive, vp, director]", "in: [executive, vp, directr]")
    text = text.replace("property: tech_stack", "property: tech_stak")
    text = text.replace("property: numemployees", "property: numemployes", 1)
    path = tmp_path / "leadflow.yaml"
    path.write_text(text)
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "(hs_seniority): 'directr' is no option of hs_seniority (did you mean 'director'?)" in err
    assert "unknown contact property 'tech_stak' (did you mean 'tech_stack'?)" in err
    assert "unknown contact property 'numemployes' (did you mean 'numemployees'?)" in err
    assert "portal.custom_properties does not declare it" in err


def test_a_custom_property_is_known_once_the_configuration_declares_it(tmp_path: Path) -> None:
    text = (ROOT / "functions/leadflow.yaml").read_text()
    undeclared = tmp_path / "undeclared.yaml"
    undeclared.write_text(text.replace("    tech_stack: {type: string}\n", ""))
    assert main(["config", "check", str(undeclared)]) == 2
    assert main(["config", "check", str(ROOT / "functions/leadflow.yaml")]) == 0
