"""`leadflow journeys` and `leadflow journey CONTACT_ID`: watch lead journeys, locally or deployed.

Both read the journey records (DynamoDB) and the executions (Step Functions) through
boto3, so the same code serves a deployed stack (the user's AWS profile) and the local
runtime (its AWS endpoint, `leadflow local --aws-port`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TextIO

from leadflow.adapters.state_store import StateStore
from leadflow.adapters.step_functions import StepFunctionsEngine
from leadflow.core.journey_record import JourneyRecord, JourneyStatus


def resume_journey(dynamodb: Any, table: str, sfn: Any, contact_id: str) -> str:
    """Resume the contact's failed journey (it waits in AwaitRepair): its failed step runs again.

    Returns the journey id; raises LookupError when the journey is not waiting for a repair.
    """
    store = StateStore(dynamodb, table)
    record = store.latest_journey(contact_id)
    if record is None:
        raise LookupError(f"contact {contact_id} has no journey")
    token = record.task_token
    if record.status is not JourneyStatus.FAILED or record.waiting_for != "repair" or not token:
        status = record.status.value if record.status else "unknown"
        raise LookupError(f"journey {record.journey_id} is {status}, not waiting for a repair")
    if not store.claim_task_token(record.key, token) or not StepFunctionsEngine(sfn, "").resume(token, "{}"):
        raise LookupError(f"journey {record.journey_id} was resumed by someone else")
    return record.journey_id


def list_journeys(
    dynamodb: Any,
    table: str,
    *,
    status: str | None = None,
    owner: str | None = None,
    stuck: bool = False,
    min_age_hours: float | None = None,
    now: datetime | None = None,
) -> list[JourneyRecord]:
    """Journeys, newest first, filtered by status, owner, past-SLA and age."""
    now = now or datetime.now(UTC)
    rows = [
        r
        for r in StateStore(dynamodb, table).journeys()
        if (status is None or r.status == status)
        and (owner is None or r.owner_id == owner)
        and (not stuck or r.stuck(now))
        and (min_age_hours is None or r.age_hours(now) >= min_age_hours)
    ]
    return sorted(rows, key=lambda r: r.mql_at or datetime.min.replace(tzinfo=UTC), reverse=True)


def _summary(row: JourneyRecord, now: datetime) -> dict[str, Any]:
    """The fields people and scripts read, as JSON."""
    return {
        **row.model_dump(
            mode="json",
            include={"contact_id", "journey_id", "status", "owner_id", "team", "mql_at", "updated_at"}
            | {"sla_due_at", "escalations", "decision", "reason", "sql_path", "decided_by", "reached"}
            | {"lead_id", "deal_id"},
        ),
        "escalations": row.escalations or 0,
        "stuck_past_sla": row.stuck(now),
        "parked_until": row.parked_until.isoformat() if row.parked_until and row.parked(now) else None,
    }


def timeline(dynamodb: Any, table: str, sfn: Any, state_machine_arn: str, contact_id: str) -> dict[str, Any]:
    """The contact's latest journey: its record and every state its execution entered, with times."""
    row = StateStore(dynamodb, table).latest_journey(contact_id)
    if row is None:
        raise LookupError(f"contact {contact_id} has no journey")
    execution_arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{row.journey_id}"
    execution = sfn.describe_execution(executionArn=execution_arn)
    events = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    states = [
        {"at": e["timestamp"].isoformat(timespec="seconds"), "state": e["stateEnteredEventDetails"]["name"]}
        for page in events
        for e in page["events"]
        if "stateEnteredEventDetails" in e
    ]
    return {
        "journey": _summary(row, datetime.now(UTC)),
        "execution_arn": execution_arn,
        "execution_status": execution["status"],
        "states": states,
    }


def print_rows(rows: list[JourneyRecord], out: TextIO, as_json: bool, now: datetime | None = None) -> None:
    """A table for people, or JSON for scripts."""
    now = now or datetime.now(UTC)
    if as_json:
        print(json.dumps([_summary(r, now) for r in rows]), file=out)
        return
    header = (
        f"{'contact':<10} {'status':<18} {'owner':<8} {'lead':<8} {'esc':>3} {'age h':>7} {'SLA due':<26}"
    )
    header += " decision"
    print(header, file=out)
    for r in rows:
        flag = "  STUCK" if r.stuck(now) else ""
        if r.parked_until and r.parked(now):
            flag += f"  PARKED until {r.parked_until:%Y-%m-%d %H:%M} UTC (HubSpot's daily API quota)"
        due = r.sla_due_at.isoformat() if r.sla_due_at else ""
        print(
            f"{r.contact_id:<10} {r.status or '':<18} {r.owner_id or '':<8} {r.lead_id or '-':<8} "
            f"{r.escalations or 0:>3} "
            f"{r.age_hours(now):>7.1f} {due:<26} {r.decision or ''} {r.reason or ''}{flag}",
            file=out,
        )
    print(f"{len(rows)} journey(s)", file=out)


def print_timeline(view: dict[str, Any], out: TextIO, as_json: bool) -> None:
    """A journey's timeline."""
    if as_json:
        print(json.dumps(view), file=out)
        return
    j = view["journey"]
    print(f"contact {j['contact_id']}  journey {j['journey_id']}  {view['execution_status']}", file=out)
    print(
        f"owner {j['owner_id'] or '-'}  status {j['status']}  escalations {j['escalations']}  "
        f"decision {j['decision'] or '-'} {j['reason'] or ''}  "
        f"lead {j['lead_id'] or '-'}  deal {j['deal_id'] or '-'}",
        file=out,
    )
    if j["parked_until"]:
        print(f"parked until {j['parked_until']}: HubSpot's daily API quota is spent", file=out)
    print(f"execution {view['execution_arn']}", file=out)
    for step in view["states"]:
        print(f"  {step['at']}  {step['state']}", file=out)
