"""`leadflow report`: the funnel numbers from journey records."""

from __future__ import annotations

import io
import json

from leadflow.core.journey_record import JourneyRecord
from leadflow_cli.funnel import funnel, print_report, report
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
