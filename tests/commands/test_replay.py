"""`leadflow replay`: past MQLs through a configuration in simulated time, beside the current one."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.exports import write_contacts
from leadflow.core.calendar import WorkCalendar
from leadflow.core.config import LeadflowConfig, parse_config
from leadflow.core.journey_record import JourneyRecord
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli.decision_model import FixedTimes, RecordedModel, StatedModel, draw
from leadflow_cli.html_report import replay_page
from leadflow_cli.hubspot_standin import HubSpotStandIn
from leadflow_cli.main import main
from leadflow_cli.replay import Arrival, Outcome, Replay, owners_of
from leadflow_cli.replay_cmd import CompanyOwners, hubspot_owners
from tests.conftest import hubspot_client

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def shipped_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG_FILE.read_text())
    return data


def config_with(change: Any) -> LeadflowConfig:
    data = shipped_data()
    change(data)
    return parse_config(data)


def write_config(path: Path, change: Any) -> Path:
    data = shipped_data()
    change(data)
    path.write_text(yaml.safe_dump(data))
    return path


def add_mia_and_even_out(data: dict[str, Any]) -> None:
    data["routing"]["teams"]["sales"]["members"] = [
        {"email": e} for e in ("ada@example.com", "grace@example.com", "linus@example.com", "mia@example.com")
    ]


def test_replay_json_has_the_totals_and_each_reps_share_against_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write_contacts(tmp_path / "contacts.csv", 600)
    assert main(["replay", str(export), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["leads"] == 600 and 0 < data["mqls"] < 600
    assert {
        "sla_breaches",
        "escalations",
        "fallback",
        "no_response",
        "decision_model",
        "export",
    } <= data.keys()
    sales = {r["email"]: r for r in data["reps"] if r["team"] == "sales"}
    assert {"email", "team", "assigned", "share", "target_share", "sla_breaches", "escalations"} <= set(
        sales["ada@example.com"]
    )
    assert (sales["ada@example.com"]["target_share"], sales["grace@example.com"]["target_share"]) == (
        0.5,
        0.25,
    )
    team = data["teams"]["sales"]
    assert sum(r["assigned"] for r in sales.values()) == team["leads"] - team["nobody_available"]
    assert abs(sales["ada@example.com"]["share"] - 0.5) < 0.08
    # Each missed deadline is charged to the owner of the lead at that moment.
    assert 0 < data["sla_breaches"] <= sum(r["sla_breaches"] for r in data["reps"])
    assert data["escalations"] == sum(r["escalations"] for r in data["reps"])


def relabel(source: Path, target: Path) -> Path:
    """The same export as the API would write it: internal values instead of dropdown labels."""
    values = {
        "Marketing Qualified Lead": "marketingqualifiedlead",
        "Sales Qualified Lead": "salesqualifiedlead",
        "Decision Maker": "DECISION_MAKER",
        "Champion": "CHAMPION",
        "End User": "END_USER",
        "VP": "vp",
        "Director": "director",
        "Manager": "manager",
    }
    with source.open(newline="") as inp, target.open("w", newline="") as out:
        rows = list(csv.reader(inp))
        writer = csv.writer(out)
        writer.writerow(rows[0])
        writer.writerows(
            [
                [
                    values.get(cell, cell.lower() if cell in ("Lead", "Customer", "Subscriber") else cell)
                    for cell in row
                ]
                for row in rows[1:]
            ]
        )
    return target


def test_an_export_with_dropdown_labels_and_one_with_internal_values_replay_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = write_contacts(tmp_path / "labels.csv", 400)
    values = relabel(labels, tmp_path / "values.csv")
    assert labels.read_text() != values.read_text()
    answers = []
    for export in (labels, values):
        assert main(["replay", str(export), "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        answers.append({k: v for k, v in data.items() if k not in ("export", "source")})
    assert answers[0] == answers[1]
    assert answers[0]["mqls"] > 0


def test_a_baseline_is_replayed_side_by_side_with_the_leads_whose_owner_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write_contacts(tmp_path / "contacts.csv", 800)
    proposal = write_config(tmp_path / "proposal.yaml", add_mia_and_even_out)
    args = ["replay", str(export), "--config", str(proposal), "--baseline", str(DEFAULT_CONFIG_FILE)]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    mia = next(r for r in data["reps"] if r["email"] == "mia@example.com")
    assert mia["target_share"] == 0.25 and mia["assigned"] > 0
    assert not any(r["email"] == "mia@example.com" and r["assigned"] for r in data["baseline"]["reps"])
    changes = data["owner_changes"]
    assert changes and all(c["baseline"].startswith("sales ") for c in changes)
    assert {c["proposal"] for c in changes} >= {"sales mia@example.com"}
    # Every other team routes exactly as before: the change is the sales team's alone.
    assert data["teams"]["sdr"] == data["baseline"]["teams"]["sdr"]
    assert main([*args, "--changes", "2"]) == 0
    out = capsys.readouterr().out
    assert "baseline (leadflow.yaml)" in out and "proposal (proposal.yaml)" in out
    assert f"owners that change: {len(changes):,} of {data['mqls']:,} MQLs" in out
    assert out.count(" -> sales ") == 2 and f"... and {len(changes) - 2:,} more" in out


def lead(contact: str, minutes: int) -> Arrival:
    return Arrival(contact, MONDAY + timedelta(minutes=minutes), {"numemployees": "500-1000"})


def test_a_missed_sla_climbs_the_ladder_to_the_fallback_owner_then_no_response() -> None:
    config = config_with(
        lambda d: d["routing"]["teams"]["sales"].update(members=[{"email": "ada@example.com"}])
    )
    decided = MONDAY + timedelta(hours=1)
    replay = Replay(config, FixedTimes({"1": decided}), owners_of(config))
    fast, slow = replay.run([lead("1", 0), lead("2", 10)])
    assert (fast.outcome, fast.escalations, fast.due) == ("decided", 0, MONDAY + timedelta(hours=4))
    # 4 h, then remind 2 h, alert 2 h, reassign 4 h (nobody else: ada keeps it), the fallback's 14 days.
    assert (slow.outcome, slow.escalations, slow.reassigned_to) == ("no_response", 5, [])
    assert (slow.fallback_owner, dict(slow.missed_by)) == (
        "queue@example.com",
        {"ada@example.com": 4, "queue@example.com": 1},
    )
    assert slow.due == MONDAY + timedelta(minutes=10, hours=12, days=14)
    outcome = Outcome("x", config, 2, [fast, slow], "given")
    totals = outcome.totals()
    assert (totals["sla_breaches"], totals["escalations"], totals["fallback"], totals["no_response"]) == (
        1,
        5,
        1,
        1,
    )
    ada = next(r for r in outcome.reps() if r["email"] == "ada@example.com")
    assert (ada["assigned"], ada["sla_breaches"], ada["escalations"]) == (2, 1, 4)


def test_the_stated_model_is_the_same_for_a_lead_in_the_same_hands_and_independent_between_reps() -> None:
    model = StatedModel(median_hours=2, never=0.1)
    around = WorkCalendar.of(None)
    first = model.decided_at("42", "ada@example.com", MONDAY, around)
    assert first == model.decided_at("42", "ada@example.com", MONDAY, around)
    assert draw("42", "ada@example.com") != draw("42", "grace@example.com")
    hours = sorted(model.hours(i / 1000) for i in range(1000))
    assert abs(hours[450] - 2) < 0.3 and hours[-1] == float("inf") and hours[899] != float("inf")
    assert "median; p90 7.2 h" in model.description


def record(contact: str, owner: str, mql: datetime, decided: datetime | None, **more: Any) -> JourneyRecord:
    reached = {"awaiting_decision": mql, **({"sal": decided} if decided else {})}
    return JourneyRecord.model_validate(
        {
            "contact_id": contact,
            "journey_id": f"lead-{contact}-1",
            "status": "sal" if decided else "fallback",
            "owner_email": owner,
            "team": "sales",
            "rule": "default",
            "mql_at": mql,
            "decided_by": "owner",
            "reached": reached | ({} if decided else {"fallback": mql + timedelta(hours=12)}),
            **more,
        }
    )


def test_recorded_decision_times_are_each_reps_own_and_a_recorded_decision_is_kept() -> None:
    config = config_with(lambda d: None)
    records = [
        record(str(i), "ada@example.com", MONDAY, MONDAY + timedelta(hours=i % 3 + 1)) for i in range(9)
    ]
    records.append(record("99", "ada@example.com", MONDAY, None))
    model = RecordedModel.from_records(records, config, StatedModel())
    around = WorkCalendar.of(None)
    # A recorded decision by the same rep is kept as it was; another rep's is drawn from their own times.
    assert model.decided_at("4", "ada@example.com", MONDAY, around) == MONDAY + timedelta(hours=2)
    later = MONDAY + timedelta(days=1)
    drawn = model.decided_at("4", "linus@example.com", later, around)
    assert drawn is not None and (drawn - later).total_seconds() / 3600 in (1.0, 2.0, 3.0)
    # The lead nobody decided counts as a decision that never comes.
    assert len(model.by_rep["ada@example.com"]) == 10 and model.by_rep["ada@example.com"][-1] == float("inf")
    assert "from 10 journey records" in model.description


def test_the_replay_page_is_one_self_contained_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write_contacts(tmp_path / "contacts.csv", 300)
    proposal = write_config(tmp_path / "proposal.yaml", add_mia_and_even_out)
    page = tmp_path / "replay.html"
    args = ["replay", str(export), "--config", str(proposal), "--baseline", str(DEFAULT_CONFIG_FILE)]
    assert main([*args, "--html", str(page)]) == 0
    assert f"wrote {page}" in capsys.readouterr().out
    html = page.read_text()
    assert html.startswith("<!doctype html>") and html.count("<svg") >= 5
    for section in (
        "Funnel",
        "Share against target: team sales",
        "Speed to lead",
        "Calibration by score band",
    ):
        assert f"<h2>{section}" in html
    # Nothing to fetch: no script, stylesheet, image, font or address of any kind.
    for forbidden in ("<script", "<link", "<img", "http:", "https:", "url(", "@import"):
        assert forbidden not in html
    assert "mia@example.com" in html and "proposal (proposal.yaml)" in html


def test_a_replay_needs_mqls_to_play(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay"]) == 2
    assert "a HubSpot export, or the journeys of --stack/--local" in capsys.readouterr().err


def test_the_replay_page_draws_one_configuration_too() -> None:
    config = config_with(lambda d: None)
    leads = Replay(config, StatedModel(), owners_of(config)).run([lead("1", 0), lead("2", 5)])
    html = replay_page([Outcome("leadflow.yaml", config, 2, leads, StatedModel().description)])
    assert "<h2>Share against target: team sales" in html and "target share" not in html.split("<h2>")[0]


def test_account_matching_names_company_owners_through_the_portals_owners(standin: HubSpotStandIn) -> None:
    standin.store.add_owner("zara@example.com", "Zara", "Quinn")
    names = hubspot_owners(hubspot_client(standin))
    assert names["zara quinn"] == "zara@example.com"
    config = config_with(lambda d: None)
    props = {"numemployees": "500-1000", "associatedcompanyid": "5", "company.hubspot_owner_id": "Zara Quinn"}
    arrival = Arrival("7", MONDAY, props)
    named = CompanyOwners(names)
    (lead,) = Replay(config, StatedModel(), owners_of(config, named.emails([props])), named).run([arrival])
    routing = lead.routing
    assert (routing.rule, routing.owner, routing.pick) == ("account_owner", "zara@example.com", None)
    unnamed = CompanyOwners()
    (lead,) = Replay(config, StatedModel(), owners_of(config), unnamed).run([arrival])
    assert (lead.routing.rule, lead.team, unnamed.unnamed) == ("default", "sales", {"Zara Quinn"})
