"""`leadflow journeys` and `leadflow journey CONTACT_ID`: watch lead journeys, locally or deployed.

Both read the journey records (DynamoDB) and the executions (Step Functions) through
boto3, so the same code serves a deployed stack (the user's AWS profile) and the local
runtime (its AWS endpoint, `leadflow local --aws-port`). Times are the target's: a local
runtime's clock may run faster than the wall clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from leadflow.adapters.state_store import StateStore
from leadflow.adapters.step_functions import StepFunctionsEngine
from leadflow.core.journey_record import JourneyRecord, JourneyStatus
from leadflow_cli.owners import Owner, Owners
from leadflow_cli.targets import Target

OwnerFilter = Callable[[JourneyRecord], bool]
# The longest piece of an error a table row shows (`leadflow journey` shows it whole).
_ERROR_WIDTH = 100


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


def owner_filter(text: str, owners: Owners | None) -> OwnerFilter:
    """The journeys of the owner `text` names: an owner id, an email, or a name the portal's owners have.

    Raises LookupError when a name names nobody, or more than one owner, or cannot be looked up.
    """
    wanted = text.strip()
    if wanted.isdigit():
        return lambda r: r.owner_id == wanted
    if "@" in wanted:
        email = wanted.casefold()
        ids = {o.id for o in owners.with_email(email)} if owners else set()
        return lambda r: (r.owner_email or "").casefold() == email or r.owner_id in ids
    if owners is None:
        raise LookupError(
            f"--owner {wanted!r} is a name, and names come from HubSpot's owners: set HUBSPOT_ACCESS_TOKEN, "
            "or give the owner's id or email"
        )
    found = owners.named(wanted)
    if not found:
        raise LookupError(f"no HubSpot owner is named {wanted!r}: give their id, email or full name")
    if len(found) > 1:
        listed = ", ".join(f"{o.label} ({o.id})" for o in found)
        raise LookupError(f"{wanted!r} names {len(found)} owners ({listed}): give an id or an email")
    (owner,) = found
    return lambda r: r.owner_id == owner.id


def list_journeys(
    dynamodb: Any,
    table: str,
    *,
    status: str | None = None,
    owner: OwnerFilter | None = None,
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
        and (owner is None or owner(r))
        and (not stuck or r.stuck(now))
        and (min_age_hours is None or r.age_hours(now) >= min_age_hours)
    ]
    return sorted(rows, key=lambda r: r.began_at or datetime.min.replace(tzinfo=UTC), reverse=True)


def current_owner(row: JourneyRecord, owners: Owners | None) -> Owner | None:
    """Who owns the lead now: the portal's owner of the record's `owner_id`, else what the record says of
    them (its `owner_email` is the rep Route chose; a reassignment keeps its own; the fallback owner's
    email is not kept)."""
    if not row.owner_id:
        return None
    found = owners.get(row.owner_id) if owners else None
    if found is not None:
        return found
    emails = [r.owner_email for r in row.reassignments.values() if r.owner_id == row.owner_id]
    if emails:
        return Owner(row.owner_id, emails[-1], "")
    routed = row.step != "fallback" and not row.reassignments
    return Owner(row.owner_id, row.owner_email or "" if routed else "", "")


def _owner_label(row: JourneyRecord, owners: Owners | None) -> str:
    owner = current_owner(row, owners)
    return owner.label if owner else ""


def _summary(row: JourneyRecord, now: datetime, owners: Owners | None = None) -> dict[str, Any]:
    """The fields people and scripts read, as JSON (`owner_email` is the rep Route chose, `owner` whoever
    owns the lead now)."""
    owner = current_owner(row, owners)
    return {
        **row.model_dump(
            mode="json",
            include={"contact_id", "journey_id", "status", "owner_id", "owner_email", "team", "mql_at"}
            | {"updated_at", "sla_due_at", "escalations", "decision", "reason", "sql_path", "decided_by"}
            | {"reached", "task_id", "lead_id", "deal_id", "failed_state", "error", "cause"},
        ),
        "owner": {"id": owner.id, "email": owner.email or None, "name": owner.name or None}
        if owner
        else None,
        "escalations": row.escalations or 0,
        "age_hours": round(row.age_hours(now), 2),
        "stuck_past_sla": row.stuck(now),
        "parked_until": row.parked_until.isoformat() if row.parked_until and row.parked(now) else None,
    }


def timeline(target: Target, contact_id: str) -> dict[str, Any]:
    """The contact's latest journey: its record and every state its execution entered, with times."""
    row = StateStore(target.dynamodb, target.table).latest_journey(contact_id)
    if row is None:
        raise LookupError(f"contact {contact_id} has no journey")
    sfn = target.sfn
    execution_arn = target.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{row.journey_id}"
    execution = sfn.describe_execution(executionArn=execution_arn)
    events = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    states = [
        {"at": e["timestamp"].isoformat(timespec="seconds"), "state": e["stateEnteredEventDetails"]["name"]}
        for page in events
        for e in page["events"]
        if "stateEnteredEventDetails" in e
    ]
    return {
        "journey": _summary(row, target.now, target.owners()),
        "execution_arn": execution_arn,
        "execution_status": execution["status"],
        "states": states,
    }


def print_rows(
    rows: list[JourneyRecord],
    out: TextIO,
    as_json: bool,
    now: datetime | None = None,
    owners: Owners | None = None,
) -> None:
    """A table for people, or JSON for scripts."""
    now = now or datetime.now(UTC)
    if as_json:
        print(json.dumps([_summary(r, now, owners) for r in rows]), file=out)
        return
    labels = [_owner_label(r, owners) for r in rows]
    width = max([len("owner"), *map(len, labels)])
    header = f"{'contact':<10} {'status':<18} {'owner':<{width}} {'lead':<8} {'esc':>3} {'age h':>7} "
    print(header + f"{'SLA due':<26} decision", file=out)
    for r, label in zip(rows, labels, strict=True):
        flag = "  STUCK" if r.stuck(now) else ""
        if r.parked_until and r.parked(now):
            flag += f"  PARKED until {r.parked_until:%Y-%m-%d %H:%M} UTC (HubSpot's daily API quota)"
        if r.status is JourneyStatus.FAILED:
            flag += "  " + _failure(r)[:_ERROR_WIDTH]
        due = r.sla_due_at.isoformat(timespec="seconds") if r.sla_due_at else ""
        print(
            f"{r.contact_id:<10} {r.status or '':<18} {label:<{width}} {r.lead_id or '-':<8} "
            f"{r.escalations or 0:>3} "
            f"{r.age_hours(now):>7.1f} {due:<26} {r.decision or ''} {r.reason or ''}{flag}",
            file=out,
        )
    print(f"{len(rows)} journey(s)", file=out)
    failed = [r.contact_id for r in rows if r.status is JourneyStatus.FAILED]
    if failed:
        print(
            f"{len(failed)} failed journey(s) wait for a repair: fix the cause, then "
            f"`leadflow journey {failed[0]} --resume` (with --stack or --local as here)",
            file=out,
        )


def _failure(row: JourneyRecord) -> str:
    text = f"failed at {row.failed_state or '?'}: {row.error or 'unknown error'}"
    return f"{text}: {row.cause}" if row.cause else text


def print_timeline(view: dict[str, Any], out: TextIO, as_json: bool) -> None:
    """A journey's timeline: the record, why it failed if it did, and every state with its time."""
    if as_json:
        print(json.dumps(view), file=out)
        return
    j = view["journey"]
    status = view["execution_status"]
    waiting = " (waiting in AwaitRepair)" if j["status"] == "failed" and status == "RUNNING" else ""
    print(f"contact {j['contact_id']}  journey {j['journey_id']}  execution {status}{waiting}", file=out)
    owner = j["owner"] or {}
    shown = " ".join(p for p in (owner.get("name"), f"<{owner['email']}>" if owner.get("email") else "") if p)
    owner_id = f" ({owner['id']})" if owner.get("id") else ""
    print(
        f"owner {shown or owner.get('id') or '-'}{owner_id if shown else ''}  team {j['team'] or '-'}  "
        f"status {j['status']}  age {j['age_hours']:.1f} h  escalations {j['escalations']}  "
        f"decision {j['decision'] or '-'} {j['reason'] or ''}  "
        f"task {j['task_id'] or '-'}  lead {j['lead_id'] or '-'}  deal {j['deal_id'] or '-'}",
        file=out,
    )
    if j["status"] == "failed":
        print(f"failed at {j['failed_state'] or '?'}: {j['error'] or 'unknown error'}", file=out)
        if j["cause"]:
            print(f"  cause: {j['cause']}", file=out)
        print(f"  fix the cause, then `leadflow journey {j['contact_id']} --resume`", file=out)
    if j["parked_until"]:
        print(f"parked until {j['parked_until']}: HubSpot's daily API quota is spent", file=out)
    print(f"execution {view['execution_arn']}", file=out)
    for step in view["states"]:
        print(f"  {step['at']}  {step['state']}", file=out)
