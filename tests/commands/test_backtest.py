"""`leadflow backtest`: a HubSpot export read as the API would answer it, then gates, rules, scores,
tiers, reasons and agreement with sales; a second definition compared lead by lead; a sweep."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadflow.core.config import LeadflowConfig, load_config, parse_config
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli.backtest import BacktestReport, backtest, changes, sweep
from leadflow_cli.hubspot_export import HubSpotExport, properties_read
from leadflow_cli.hubspot_standin import HubSpotStandIn
from leadflow_cli.main import main
from leadflow_cli.portal_properties import Option, PropertyCatalog
from tests.conftest import hubspot_client

NOW = datetime(2026, 11, 24, tzinfo=UTC)
HEADER = [
    "Record ID",
    "Email",
    "Job Title",
    "Industry",
    "Number of Employees",
    "Country/Region",
    "Recent Conversion",
    "Recent Conversion Date",
    "Lifecycle Stage",
]
HOT = [
    "1",
    "a@acme.example",
    "Head of RevOps",
    "COMPUTER_SOFTWARE",
    "450",
    "Germany",
    "Talk to sales",
    "2026-11-20T10:00:00Z",
    "Sales Qualified Lead",
]
HOT_REJECTED = ["2", *HOT[1:8], "Lead"]
OLD = ["3", *HOT[1:7], "2026-01-05T10:00:00Z", "Customer"]
COLD = ["4", "b@shop.example", "Clerk", "RETAIL", "8", "Brazil", "", "", "Lead"]
STUDENT = [
    "5",
    "c@uni.example",
    "Student",
    "COMPUTER_SOFTWARE",
    "450",
    "Germany",
    "Talk to sales",
    "2026-11-20T10:00:00Z",
    "Subscriber",
]


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def export(tmp_path: Path, rows: list[list[str]]) -> Path:
    return write(tmp_path / "contacts.csv", HEADER, rows)


def shipped() -> LeadflowConfig:
    return load_config(DEFAULT_CONFIG_FILE)


def run(
    path: Path, config: LeadflowConfig | None = None, companies: Path | None = None, *others: LeadflowConfig
) -> list[BacktestReport]:
    config = config or shipped()
    reading = HubSpotExport(
        path, PropertyCatalog.shipped(), wanted=properties_read(config), companies=companies
    )
    return backtest([config, *others], reading, now=NOW, progress=False)


def test_backtest_counts_gates_tiers_reasons_and_agreement(tmp_path: Path) -> None:
    (report,) = run(export(tmp_path, [HOT, HOT_REJECTED, OLD, COLD, STUDENT]))
    assert report.contacts == 5
    # The two recent ICP talk-to-sales rows; OLD fails recency, STUDENT is disqualified.
    assert report.mql == 2
    assert report.gates["recency"] == 3 and report.gates["fit"] == 4
    assert report.disqualified == {"student": 1}
    assert report.tiers["C"] == 1
    assert report.reasons.most_common(1) == [("talk-to-sales", 2)]
    summary = report.agreement_summary()
    assert (summary["mql_and_accepted"], summary["mql_not_accepted"], summary["accepted_not_mql"]) == (
        1,
        1,
        1,
    )
    assert (summary["precision"], summary["recall"]) == (0.5, 0.5)


def test_each_rule_counts_the_contacts_it_scored_for_and_the_scores_spread_in_bands(tmp_path: Path) -> None:
    (report,) = run(export(tmp_path, [HOT, HOT_REJECTED, OLD, COLD, STUDENT]))
    assert (report.rule_hits["talk-to-sales"], report.rule_hits_mql["talk-to-sales"]) == (4, 2)
    assert (report.rule_hits["tiny-company"], report.rule_hits_mql["tiny-company"]) == (1, 0)
    assert sum(report.scores.values()) == 5 and all(band % 10 == 0 for band in report.scores)
    data = report.as_json()
    assert data["rules"]["core-market"] == {"contacts": 4, "mqls": 2}
    assert sum(data["score_distribution"].values()) == 5


# Dropdown columns exported as labels, and the same rows as the API writes them.
LABELLED = ["Record ID", "Email", "Job Title", "Seniority", "Buying Role", "Number of Employees"]
LABELLED += [
    "Recent Conversion",
    "Recent Conversion Date",
    "Lifecycle Stage",
    "Primary Associated Company ID",
]


def labelled_rows(labels: bool) -> list[list[str]]:
    role = "Decision Maker" if labels else "DECISION_MAKER"
    stage = "Marketing Qualified Lead" if labels else "marketingqualifiedlead"
    rows = []
    for i in range(12):
        size = ("100-500", "500-1000", "1000+")[i % 3]
        person = [str(100 + i), f"p{i}@corp{i}.example", "Engineer", "director", role if i % 2 else "", size]
        rows.append([*person, "Demo request", "2026-11-20 10:00", stage, str(900 + i % 4)])
    return rows


def companies_export(path: Path, labels: bool) -> Path:
    rows = [
        [
            str(900 + i),
            f"Corp {i}",
            ("Computer Software" if labels else "COMPUTER_SOFTWARE")
            if i % 2
            else ("Retail" if labels else "RETAIL"),
            ("Yes" if labels else "true") if i < 2 else ("No" if labels else "false"),
        ]
        for i in range(4)
    ]
    return write(path, ["Record ID", "Company name", "Industry", "Target Account"], rows)


def company_industry_config() -> LeadflowConfig:
    """The shipped configuration whose target-industry rule reads the company's Industry dropdown."""
    data: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG_FILE.read_text())
    data["scoring"]["fit"]["rules"][0]["property"] = "company.industry"
    return parse_config(data)


def test_an_export_with_dropdown_labels_and_one_with_internal_values_give_the_same_answers(
    tmp_path: Path,
) -> None:
    config = company_industry_config()
    results = []
    for labels in (True, False):
        folder = tmp_path / ("labels" if labels else "values")
        folder.mkdir()
        contacts = write(folder / "contacts.csv", LABELLED, labelled_rows(labels))
        (report,) = run(contacts, config, companies_export(folder / "companies.csv", labels))
        results.append(report)
    with_labels, with_values = results
    assert with_labels.mql == with_values.mql > 0
    assert [v.is_mql for v in with_labels.verdicts] == [v.is_mql for v in with_values.verdicts]
    assert with_labels.rule_hits == with_values.rule_hits
    assert with_labels.rule_hits["buying-role"] == 6 and with_labels.rule_hits["target-industry"] == 6
    assert with_labels.rule_hits["target-account"] == 6
    converted = with_labels.problems.converted  # contacts' cells, and companies' once per company
    assert (converted["hs_buying_role"], converted["lifecyclestage"]) == (6, 12)
    assert (converted["company.industry"], converted["company.hs_is_target_account"]) == (4, 4)
    assert not with_values.problems.converted and not with_values.problems.unknown_values


def test_columns_the_rules_read_that_the_export_lacks_and_values_no_option_names_are_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [[*HOT[:3], "Computer software", "a few", *HOT[5:]]]
    header = [*HEADER[:3], "Seniority", *HEADER[4:]]
    path = write(tmp_path / "contacts.csv", header, rows)
    (report,) = run(path)
    problems = report.problems
    assert "hs_buying_role" in problems.missing and "tech_stack" in problems.missing
    assert "company.annualrevenue (needs --companies)" in problems.missing
    assert problems.unknown_values == {
        ("hs_seniority", "Computer software"): 1,
        ("numemployees", "a few"): 1,
    }
    assert main(["backtest", str(path), "--now", NOW.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "not in the export (rules reading them never match): " in out and "hs_buying_role" in out
    assert (
        "values that are no option of their dropdown (kept as they are): hs_seniority='Computer software'"
        in (out)
    )


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("contacts.json", '[{"email": "a@b.c"}]', "is JSON, not a CSV export"),
        (
            "contacts.csv",
            "Record ID;Email;Industry\n1;a@b.c;RETAIL\n",
            "separates its columns with semicolons",
        ),
        ("contacts.tsv", "Record ID\tEmail\n1\ta@b.c\n", "separates its columns with tabs"),
        ("contacts.csv", "", "is empty"),
        ("contacts.csv", "Colour,Mood\nred,happy\n", "none of its columns is a HubSpot contact property"),
    ],
)
def test_a_file_that_is_no_hubspot_export_is_refused_saying_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert main(["backtest", str(path)]) == 2
    assert problem in capsys.readouterr().err


def test_an_excel_workbook_and_a_missing_file_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "contacts.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 64)
    assert main(["backtest", str(tmp_path / "contacts.xlsx")]) == 2
    assert "is an Excel workbook: export from HubSpot as CSV" in capsys.readouterr().err
    assert main(["backtest", str(tmp_path / "nope.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_second_definition_is_compared_lead_by_lead(tmp_path: Path) -> None:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG_FILE.read_text())
    data["scoring"]["disqualifiers"] = [d for d in data["scoring"]["disqualifiers"] if d["name"] != "student"]
    data["scoring"]["tiers"]["A"] = 80
    before, after = run(export(tmp_path, [HOT, COLD, STUDENT]), None, None, parse_config(data))
    found = {c.contact: (c.before, c.after) for c in changes(before, after)}
    assert found == {
        "1": ("MQL tier A (talk-to-sales)", "MQL tier B (talk-to-sales)"),
        "5": ("not MQL tier A: disqualified (student)", "MQL tier B (talk-to-sales)"),
    }


def test_a_sweep_shows_the_mqls_and_the_agreement_at_each_threshold(tmp_path: Path) -> None:
    config = shipped()
    (report,) = run(export(tmp_path, [HOT, HOT_REJECTED, OLD, COLD, STUDENT]), config)
    rows = sweep(report, config, "fit", [0, 30, 80])
    assert [r["mql"] for r in rows] == [2, 2, 0]
    assert rows[1] == {"threshold": 30, "mql": 2, "precision": 0.5, "recall": 0.5}


def test_backtest_command_prints_a_report_compare_sweep_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export(tmp_path, [HOT, COLD])
    args = ["backtest", str(path), "--now", "2026-11-24T00:00:00+00:00"]
    assert (
        main([*args, "--compare", str(DEFAULT_CONFIG_FILE), "--sweep", "intent", "--range", "20:30:5"]) == 0
    )
    out = capsys.readouterr().out
    assert "MQL                      1 ( 50.0%)" in out and "precision 1.0" in out
    assert "compared: MQL 1 -> 1; 0 become MQLs, 0 no longer are, 0 change tier" in out
    assert (
        "intent threshold sweep:" in out and "   25  MQL       1   precision 1.0   recall 1.0  <- now" in out
    )
    assert main([*args, "--json", "--sweep", "fit"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["contacts"], data["mql"], data["tiers"]["C"]) == (2, 1, 1)
    assert data["sweeps"]["fit"][0]["threshold"] == 15 and "export" in data


def test_the_portals_own_definitions_are_read_with_the_token(standin: HubSpotStandIn) -> None:
    catalog = PropertyCatalog.from_hubspot(hubspot_client(standin))
    assert catalog.source == "the portal's property definitions"
    industry = catalog.get("companies", "industry")
    assert industry is not None and industry.option("Computer Software") is not None
    target = catalog.get("companies", "hs_is_target_account")
    assert target is not None and target.option("Yes") == Option("Yes", "true")
    assert catalog.column("contacts", "numemployees") == "numemployees"
