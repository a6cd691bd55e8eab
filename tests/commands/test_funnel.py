"""`leadflow report`: the funnel numbers from journey records."""

from __future__ import annotations

import io
import json
from typing import Any

from leadflow.core.config import load_config
from leadflow.core.journey_record import JourneyRecord
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli.calibration import calibrate, print_calibration
from leadflow_cli.fairness import RoutedLead, ledger, print_ledger
from leadflow_cli.funnel import funnel, print_report, report
from leadflow_cli.html_report import report_page
from leadflow_cli.journeys_cmd import print_rows

MQL_AT = "2026-11-24T09:00:00+00:00"


def row(
    status: str,
    team: str = "sales",
    escalations: int = 0,
    sql_path: str = "",
    decided_by: str = "owner",
    **reached: str,
) -> JourneyRecord:
    return JourneyRecord.model_validate(
        {
            "contact_id": "1",
            "journey_id": "j",
            "status": status,
            "owner_id": "7001",
            "mql_at": MQL_AT,
            "updated_at": MQL_AT,
            "escalations": escalations,
            "team": team,
            "sql_path": sql_path,
            "decided_by": decided_by,
            "reached": reached,
        }
    )


def test_acceptance_speed_and_sla_compliance_count_the_reps_decisions() -> None:
    rows = [
        # Accepted after 30 minutes, became an SQL.
        row(
            "sql",
            sql_path="engagement_required",
            sal="2026-11-24T09:30:00+00:00",
            sql="2026-11-25T10:00:00+00:00",
        ),
        # Accepted after 3 hours, once the SLA had escalated: a miss.
        row("sal", escalations=1, sal="2026-11-24T12:00:00+00:00"),
        # Rejected after 10 minutes.
        row("rejected", rejected="2026-11-24T09:10:00+00:00"),
        # Nobody decided: the fallback queue has it, an SLA miss with no speed to count.
        row("fallback", escalations=4, fallback="2026-11-25T09:00:00+00:00"),
        # The fallback queue did not decide either: recycled by the deadline, still no decision.
        row(
            "recycled",
            escalations=4,
            decided_by="deadline",
            fallback="2026-11-25T09:00:00+00:00",
            recycled="2026-12-09T09:00:00+00:00",
        ),
        # Fast-tracked: no decision to make, so neither acceptance nor SLA.
        row("sql", team="enterprise", sql_path="fast_track", sql="2026-11-24T09:01:00+00:00"),
    ]
    total = funnel(rows)
    assert (total.mqls, total.open, total.decided, total.accepted) == (6, 2, 3, 2)
    assert total.acceptance_rate == 0.667
    # 2 met, of 3 decided plus 2 that reached the fallback queue with nobody deciding.
    assert (total.decided_within_sla, total.sla_compliance) == (2, 0.4)
    assert total.speed_to_lead_minutes_p50 == 30.0
    assert (total.sql, total.sql_rate) == (2, 0.5)  # 2 SQLs of the 4 closed journeys
    assert total.sql_by_path == {"engagement_required": 1, "fast_track": 1}
    assert total.outcomes == {"recycled": 1, "rejected": 1, "sql": 2}
    by_team = report(rows)
    assert set(by_team) == {"all", "enterprise", "sales"}
    assert (by_team["enterprise"].mqls, by_team["enterprise"].acceptance_rate) == (1, None)


def test_the_report_prints_for_people_and_for_scripts() -> None:
    funnels = report([row("rejected", rejected="2026-11-24T11:00:00+00:00")])
    people, scripts = io.StringIO(), io.StringIO()
    print_report(funnels, people, as_json=False)
    print_report(funnels, scripts, as_json=True)
    assert "accepted 0 of 1 decided (0%)" in people.getvalue()
    assert "speed to lead median 2.0 h" in people.getvalue()
    assert json.loads(scripts.getvalue())["sales"]["decided"] == 1


def test_the_report_and_the_journeys_list_show_the_journeys_on_hubspot_leads() -> None:
    on_lead = row("awaiting_decision", team="sdr").model_copy(update={"lead_id": "70001"})
    funnels = report([on_lead, row("awaiting_decision")])
    assert (funnels["all"].on_leads, funnels["sdr"].on_leads, funnels["sales"].on_leads) == (1, 1, 0)
    people, listing = io.StringIO(), io.StringIO()
    print_report(funnels, people, as_json=False)
    assert "(open 2; on HubSpot Leads 1)" in people.getvalue()
    print_rows([on_lead], listing, as_json=False)
    assert " 70001 " in listing.getvalue().splitlines()[1]
    scripts = io.StringIO()
    print_rows([on_lead], scripts, as_json=True)
    assert json.loads(scripts.getvalue())[0]["lead_id"] == "70001"


def routed(
    owner: str, turn_of: str | None, pick: str | None, skipped: dict[str, str] | None = None, **more: Any
) -> JourneyRecord:
    return JourneyRecord.model_validate(
        {
            "contact_id": "1",
            "journey_id": "j",
            "status": "awaiting_decision",
            "owner_email": owner,
            "team": "sales",
            "rule": more.pop("rule", "default"),
            "mql_at": MQL_AT,
            "turn_of": turn_of,
            "pick": pick,
            "skipped": json.dumps(skipped) if skipped else None,
            **more,
        }
    )


def test_the_fairness_ledger_sets_each_reps_share_against_their_weights_and_counts_missed_turns() -> None:
    rows = [
        routed("ada@example.com", "ada@example.com", "slot"),
        routed("grace@example.com", "grace@example.com", "slot"),
        # Linus is outside his hours: his turn is owed to him, Ada fills in.
        routed("ada@example.com", "linus@example.com", "fill_in", {"linus@example.com": "working_hours"}),
        routed("ada@example.com", "ada@example.com", "slot"),
        # Back in his hours, Linus makes it up on Ada's turn, then gets his own.
        routed("linus@example.com", "ada@example.com", "catch_up"),
        routed("linus@example.com", "linus@example.com", "slot"),
        routed("zara@example.com", None, None, rule="account_owner"),
        routed(
            "queue@example.com",
            "grace@example.com",
            "none",
            {"grace@example.com": "out_of_office"},
            rule="no_one_available",
        ),
    ]
    config = load_config(DEFAULT_CONFIG_FILE)
    book = ledger(filter(None, map(RoutedLead.of, rows)), config)["sales"]
    assert (book.leads, book.rotation, book.account_matches, book.nobody) == (8, 7, 1, 1)
    ada, grace, linus = (book.reps[e] for e in ("ada@example.com", "grace@example.com", "linus@example.com"))
    assert (ada.weight, ada.target_share, ada.assigned, ada.turns, ada.own_turns, ada.filled_in) == (
        2,
        0.5,
        3,
        3,
        2,
        1,
    )
    assert (linus.turns, linus.made_up, linus.own_turns, dict(linus.missed)) == (
        2,
        1,
        1,
        {"working_hours": 1},
    )
    assert (grace.turns, dict(grace.missed), grace.share) == (2, {"out_of_office": 1}, 1 / 8)
    assert book.reps["zara@example.com"].account_matches == 1 and "queue@example.com" not in book.reps
    people = io.StringIO()
    print_ledger({"sales": book}, people)
    assert "team sales: 8 MQLs, 7 rotation turns, 1 account matches, 1 nobody could take" in people.getvalue()
    assert "working_hours 1" in people.getvalue()


def scored(
    status: str, score: int, reason: str, decision: str = "", why: str = "", **reached: str
) -> JourneyRecord:
    return row(status, decided_by="owner", **reached).model_copy(
        update={
            "score": score,
            "tier": "A" if score >= 80 else "B",
            "persona": "RevOps leader",
            "mql_reason": reason,
            "decision": decision or None,
            "reason": why or None,
        }
    )


def test_calibration_rates_each_band_and_trigger_and_suggests_a_change_to_replay_first() -> None:
    talk = "submitted the Talk to sales form on 2026-11-20"
    pricing = "viewed pricing on 2026-11-21"
    rows = [scored("sql", 90, talk, "accept", sal=MQL_AT, sql=MQL_AT) for _ in range(6)]
    rows += [scored("rejected", 35, pricing, "reject", "not_icp", rejected=MQL_AT) for _ in range(5)]
    rows += [
        scored("sal", 38, pricing, "accept", sal=MQL_AT),
        scored("recycled", 92, talk, "recycle", "bad_timing", recycled=MQL_AT),
    ]
    found = calibrate(rows, load_config(DEFAULT_CONFIG_FILE))
    bands = found.by["score_band"]
    assert list(bands) == ["30-39", "90-99"]
    assert (bands["30-39"].decided, bands["30-39"].accepted, bands["90-99"].acceptance) == (6, 1, 6 / 7)
    assert (bands["90-99"].sql, bands["90-99"].closed) == (6, 7)
    reasons = found.by["mql_reason"]
    assert (
        set(reasons) == {"talk-to-sales", "pricing-visit"} and found.by["persona"]["RevOps leader"].mqls == 13
    )
    assert found.turned_away == {
        "pricing-visit": {"reject:not_icp": 5},
        "talk-to-sales": {"recycle:bad_timing": 1},
    }
    assert len(found.suggestions) == 2
    assert found.suggestions[0].startswith("MQLs scoring under 40 were accepted 17% of the time (1 of 6)")
    assert "mostly reject not_icp" in found.suggestions[1]
    assert all("leadflow replay contacts.csv --config proposal.yaml" in s for s in found.suggestions)
    text = io.StringIO()
    print_calibration(found, text)
    assert "by score band:" in text.getvalue() and "suggestion: MQLs scoring under 40" in text.getvalue()


def test_the_report_page_is_one_self_contained_file() -> None:
    rows = [
        scored("sql", 90, "x", "accept", sal="2026-11-24T09:30:00+00:00", sql=MQL_AT),
        scored("rejected", 35, "x", "reject", "not_icp", rejected="2026-11-24T13:00:00+00:00"),
    ]
    config = load_config(DEFAULT_CONFIG_FILE)
    books = ledger(filter(None, map(RoutedLead.of, rows)), config)
    speeds = [30.0, 240.0]
    html = report_page(report(rows), books, calibrate(rows, config), speeds, "every journey")
    for section in ("Funnel", "Speed to lead", "Calibration by score band"):
        assert f"<h2>{section}" in html
    for forbidden in ("<script", "<link", "<img", "http:", "https:", "url("):
        assert forbidden not in html
