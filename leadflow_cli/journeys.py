"""`leadflow journeys` and `leadflow journey CONTACT_ID`: watch lead journeys, locally or deployed.

Both read the journey records (DynamoDB) and the executions (Step Functions) through
boto3, so the same code serves a deployed stack (the user's AWS profile) and the local
runtime (its AWS endpoint, `leadflow local --aws-port`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from leadflow.adapters.journeys import JourneyEngine
from leadflow.adapters.state_store import StateStore, plain_item

OPEN = frozenset({"routed", "awaiting_decision", "escalated", "fallback"})


def resume_journey(dynamodb: Any, table: str, sfn: Any, contact_id: str) -> str:
    """Resume the contact's failed journey (it waits in AwaitRepair): its failed step runs again.

    Returns the journey id; raises LookupError when the journey is not waiting for a repair.
    """
    store = StateStore(dynamodb, table)
    record = store.latest_journey(contact_id)
    if record is None:
        raise LookupError(f"contact {contact_id} has no journey")
    journey_id = record["sk"].removeprefix("JOURNEY#")
    token = record.get("task_token", "")
    if record.get("status") != "failed" or record.get("waiting_for") != "repair" or not token:
        raise LookupError(
            f"journey {journey_id} is {record.get('status') or 'unknown'}, not waiting for a repair"
        )
    if not store.claim_task_token(contact_id, journey_id, token) or not JourneyEngine(sfn, "").resume(
        token, "{}"
    ):
        raise LookupError(f"journey {journey_id} was resumed by someone else")
    return journey_id


@dataclass(frozen=True)
class JourneyRow:
    """One journey as the journey record tells it."""

    contact_id: str
    journey_id: str
    status: str
    owner_id: str
    mql_at: str
    updated_at: str
    sla_due_at: str
    escalations: int
    decision: str
    reason: str
    team: str = ""
    sql_path: str = ""
    decided_by: str = ""
    # status -> when the journey first reached it (the record's at_<status> fields).
    reached: dict[str, str] = field(default_factory=dict)

    def stuck(self, now: datetime) -> bool:
        """Still waiting for a decision after its SLA deadline."""
        if self.status not in OPEN or not self.sla_due_at:
            return False
        return datetime.fromisoformat(self.sla_due_at) < now

    def age_hours(self, now: datetime) -> float:
        """Hours since the contact became an MQL."""
        return (now - datetime.fromisoformat(self.mql_at)).total_seconds() / 3600 if self.mql_at else 0.0


def _row(item: dict[str, Any]) -> JourneyRow:
    plain = plain_item(item)
    return JourneyRow(
        contact_id=plain["pk"].removeprefix("CONTACT#"),
        journey_id=plain["sk"].removeprefix("JOURNEY#"),
        status=plain.get("status", ""),
        owner_id=plain.get("owner_id", ""),
        mql_at=plain.get("mql_at", ""),
        updated_at=plain.get("updated_at", ""),
        sla_due_at=plain.get("sla_due_at", ""),
        escalations=int(plain.get("escalations", "0")),
        decision=plain.get("decision", ""),
        reason=plain.get("reason", ""),
        team=plain.get("team", ""),
        sql_path=plain.get("sql_path", ""),
        decided_by=plain.get("decided_by", ""),
        reached={k.removeprefix("at_"): v for k, v in plain.items() if k.startswith("at_")},
    )


def list_journeys(
    dynamodb: Any,
    table: str,
    *,
    status: str | None = None,
    owner: str | None = None,
    stuck: bool = False,
    min_age_hours: float | None = None,
    now: datetime | None = None,
) -> list[JourneyRow]:
    """Journeys, newest first, filtered by status, owner, past-SLA and age."""
    now = now or datetime.now(UTC)
    rows: list[JourneyRow] = []
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="begins_with(sk, :j)",
        ExpressionAttributeValues={":j": {"S": "JOURNEY#"}},
    ):
        rows += [_row(item) for item in page["Items"]]
    rows = [
        r
        for r in rows
        if (status is None or r.status == status)
        and (owner is None or r.owner_id == owner)
        and (not stuck or r.stuck(now))
        and (min_age_hours is None or r.age_hours(now) >= min_age_hours)
    ]
    return sorted(rows, key=lambda r: r.mql_at, reverse=True)


def timeline(dynamodb: Any, table: str, sfn: Any, state_machine_arn: str, contact_id: str) -> dict[str, Any]:
    """The contact's latest journey: its record and every state its execution entered, with times."""
    answer = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :j)",
        ExpressionAttributeValues={":pk": {"S": f"CONTACT#{contact_id}"}, ":j": {"S": "JOURNEY#"}},
        ScanIndexForward=False,
        Limit=1,
    )
    if not answer.get("Items"):
        raise LookupError(f"contact {contact_id} has no journey")
    row = _row(answer["Items"][0])
    execution_arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{row.journey_id}"
    execution = sfn.describe_execution(executionArn=execution_arn)
    events = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    states = [
        {"at": e["timestamp"].isoformat(timespec="seconds"), "state": e["stateEnteredEventDetails"]["name"]}
        for page in events
        for e in page["events"]
        if "stateEnteredEventDetails" in e
    ]
    return {"journey": asdict(row), "execution_status": execution["status"], "states": states}


def print_rows(rows: list[JourneyRow], out: TextIO, as_json: bool, now: datetime | None = None) -> None:
    """A table for people, or JSON for scripts."""
    now = now or datetime.now(UTC)
    if as_json:
        print(json.dumps([{**asdict(r), "stuck_past_sla": r.stuck(now)} for r in rows]), file=out)
        return
    header = f"{'contact':<10} {'status':<18} {'owner':<8} {'esc':>3} {'age h':>7} {'SLA due':<26} decision"
    print(header, file=out)
    for r in rows:
        flag = "  STUCK" if r.stuck(now) else ""
        print(
            f"{r.contact_id:<10} {r.status:<18} {r.owner_id:<8} {r.escalations:>3} {r.age_hours(now):>7.1f} "
            f"{r.sla_due_at:<26} {r.decision} {r.reason}{flag}",
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
        f"decision {j['decision'] or '-'} {j['reason']}",
        file=out,
    )
    for step in view["states"]:
        print(f"  {step['at']}  {step['state']}", file=out)
