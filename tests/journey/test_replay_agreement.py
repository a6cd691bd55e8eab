"""The replay and the deployed journey agree: the same arrivals and decision times give the same owners,
deadlines and escalations on the local runtime (the real ASL, handlers and DynamoDB counters) as in
`leadflow replay` (the same core, counters in memory)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from leadflow.core.config import load_config
from leadflow_cli.decision_model import FixedTimes
from leadflow_cli.local.runtime import LocalRuntime
from leadflow_cli.replay import Arrival, Replay, owners_of
from tests.conftest import MQL_PROPS
from tests.journey.helpers import config_file, decide, journey_record

CALENDAR = {"timezone": "UTC", "hours": "09:00-17:00"}


def sales_with_hours_caps_and_time_zones(data: dict[str, Any]) -> None:
    data["routing"]["teams"]["sales"] |= {
        "members": [
            {"email": "ada@example.com", "weight": 2, "daily_cap": 3},
            {"email": "grace@example.com"},
            # Working 09:00-17:00 in New York: 14:00-22:00 UTC, so outside hours every morning.
            {"email": "linus@example.com", "timezone": "America/New_York"},
        ],
        "calendar": CALENDAR,
    }


@dataclass(frozen=True)
class Lead:
    arrives: timedelta  # after Monday 09:00 UTC
    decides: timedelta | None


# Monday from 09:30 UTC: eight MQLs, five decisions (one after a reminder), three never decided.
LEADS = [
    Lead(timedelta(minutes=30), timedelta(hours=1)),
    Lead(timedelta(minutes=50), None),
    Lead(timedelta(minutes=70), timedelta(hours=3)),
    Lead(timedelta(minutes=90), timedelta(hours=6, minutes=5)),
    Lead(timedelta(minutes=110), None),
    Lead(timedelta(minutes=130), timedelta(hours=2, minutes=35)),
    Lead(timedelta(hours=5, minutes=30), timedelta(hours=6, minutes=10)),
    Lead(timedelta(hours=5, minutes=50), None),
]
HORIZON = timedelta(days=2, hours=3)  # Wednesday 12:00 UTC


def next_monday_9am(now: datetime) -> datetime:
    monday = now.date() + timedelta(days=(7 - now.weekday()) % 7 or 7)
    return datetime(monday.year, monday.month, monday.day, 9, tzinfo=UTC)


def run_to(runtime: LocalRuntime, until: datetime) -> None:
    """Move the clock to `until`, stopping at every wait's deadline on the way, so each escalation runs at
    its deadline as it would on AWS (one jump past two deadlines would run the second one late)."""
    while True:
        runtime.settle()
        due = [at for at in runtime.clock.pending() if at <= until]
        step_to = min(due, default=until)
        runtime.advance(seconds=max(0.0, (step_to - runtime.clock.now()).total_seconds()))
        if step_to >= until:
            runtime.settle()
            return


def test_the_replay_gives_the_owners_deadlines_and_escalations_the_local_runtime_gives(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Path
) -> None:
    path = config_file(tmp_path, sales_with_hours_caps_and_time_zones)
    runtime = runtime_factory(consume_queues=False, time_scale=None, config_file=path)
    store = runtime.standin.store  # type: ignore[union-attr]
    monday = next_monday_9am(runtime.clock.now())
    contacts = [store.create_object("contacts", dict(MQL_PROPS)) for _ in LEADS]
    script: list[tuple[datetime, str, str]] = []
    for contact, lead in zip(contacts, LEADS, strict=True):
        script.append((monday + lead.arrives, "arrive", contact))
        if lead.decides is not None:
            script.append((monday + lead.arrives + lead.decides, "decide", contact))
    arrivals, times = [], {}
    for at, action, contact in sorted(script):
        run_to(runtime, at)
        if action == "arrive":
            runtime.start_journey(contact)
            arrivals.append(Arrival(contact, at, dict(MQL_PROPS)))
        else:
            decide(runtime, contact, "accept")
            times[contact] = at
    run_to(runtime, monday + HORIZON)

    config = load_config(path)
    replayed = Replay(config, FixedTimes(times), owners_of(config)).run(arrivals, until=monday + HORIZON)
    email_of = {o["id"]: o["email"] for o in store.owners()}
    deployed, replay = {}, {}
    for lead in replayed:
        record = journey_record(lead.arrival.contact_id)
        deployed[lead.arrival.contact_id] = (
            record.owner_email,
            email_of[record.owner_id or ""],
            record.turn_of,
            record.pick,
            record.skipped_causes,
            record.escalations,
            record.sla_due_at if record.decided_at is None else None,
            record.decided_at is not None,
        )
        replay[lead.arrival.contact_id] = (
            lead.routing.owner,
            lead.owner,
            lead.routing.turn_of,
            lead.routing.pick,
            lead.routing.skipped,
            lead.escalations,
            lead.due if lead.outcome != "decided" else None,
            lead.outcome == "decided",
        )
    assert replay == deployed
    # The scenario exercises what it claims: a cap, a time zone made up later, every rung of the ladder.
    picks = {v[3] for v in replay.values()}
    causes = {c for v in replay.values() for c in v[4].values()}
    assert {"slot", "catch_up"} <= picks and {"daily_cap", "working_hours"} <= causes
    assert max(v[5] for v in replay.values()) >= 3 and sum(v[7] for v in replay.values()) == 5
    assert any(v[0] != v[1] for v in replay.values()), "a lead was reassigned"
