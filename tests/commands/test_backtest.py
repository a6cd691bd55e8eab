"""`leadflow backtest`: gates, tiers, reasons and agreement with sales over a HubSpot export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from leadflow.core.config import load_config
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli.backtest import backtest, column_names
from leadflow_cli.main import main

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
HOT_REJECTED = [*HOT[:8], "Lead"]
OLD = [*HOT[:7], "2026-01-05T10:00:00Z", "Customer"]
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


def export(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_hubspot_export_labels_map_to_property_names() -> None:
    assert column_names(HEADER, {}) == [
        "hs_object_id",
        "email",
        "jobtitle",
        "industry",
        "numemployees",
        "country",
        "recent_conversion_event_name",
        "recent_conversion_date",
        "lifecyclestage",
    ]
    assert column_names(["Fav Colour"], {"Fav Colour": "colour"}) == ["colour"]
    assert column_names(["Deal Stage (Latest)"], {}) == ["deal_stage_latest"]


def test_backtest_counts_gates_tiers_reasons_and_agreement(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    path = export(tmp_path, [HOT, HOT_REJECTED, OLD, COLD, STUDENT])
    report = backtest(
        load_config(DEFAULT_CONFIG_FILE), path, now=datetime(2026, 11, 24, tzinfo=UTC), progress=False
    )
    assert report.contacts == 5
    assert (
        report.mql == 2
    )  # the two recent ICP talk-to-sales rows; OLD fails recency, STUDENT is disqualified
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


def test_backtest_command_prints_a_report_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export(tmp_path, [HOT, COLD])
    assert main(["backtest", str(path), "--now", "2026-11-24T00:00:00+00:00"]) == 0
    out = capsys.readouterr().out
    assert "MQL                      1 ( 50.0%)" in out and "precision 1.0" in out
    assert main(["backtest", str(path), "--now", "2026-11-24T00:00:00+00:00", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["contacts"], data["mql"], data["tiers"]["C"]) == (2, 1, 1)


def test_a_missing_export_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", str(tmp_path / "nope.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err
