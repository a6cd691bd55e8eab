"""The escalation ladder on the fakes: remind, alert the manager, reassign, then the fallback owner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadflow.app.ports import HubSpotError
from leadflow.core.journey_record import JourneyStatus, Reassignment
from leadflow.core.journey_state import JourneyState
from leadflow_cli.hubspot_standin import hubspot_time
from tests.fast.conftest import World, make_world


def climb(world: World, state: JourneyState, *steps: str) -> JourneyState:
    for step in steps:
        world.clock.advance(hours=1)
        state = world.steps.escalate(state, step)  # type: ignore[arg-type]
    return state


def test_a_reminder_keeps_the_owner_moves_the_task_and_tells_the_channel(world: World) -> None:
    state = climb(world, world.handed_off(), "remind")
    assert state.assignment is not None and state.handoff is not None
    assert (state.escalations, state.next_escalation, state.assignment.owner_email) == (
        1,
        "alert_manager",
        "ada@example.com",
    )
    (task,) = world.hubspot.records("tasks")
    due = world.clock() + timedelta(hours=2)
    assert (task["hs_timestamp"], state.handoff.due_at) == (hubspot_time(due), due)
    assert (
        world.hubspot.notes()[-1]
        == "leadflow: SLA missed by ada@example.com (escalation 1, remind): reminded ada@example.com."
    )
    ((subject, text),) = world.notifier.sent
    assert subject == f"Reminder: MQL {state.contact_id} is waiting for ada@example.com"
    assert text.startswith("Reminder for ada@example.com")
    record = world.record(state)
    assert (record.status, record.step, record.escalations, record.sla_due_at) == (
        JourneyStatus.ESCALATED,
        "remind",
        1,
        due,
    )
    assert world.hubspot.contact(state.contact_id)["leadflow_escalations"] == "1"


def test_the_manager_alert_names_the_manager_and_the_owner(world: World) -> None:
    state = climb(world, world.handed_off(), "remind", "alert_manager")
    subject, text = world.notifier.sent[-1]
    assert subject == f"SLA missed on MQL {state.contact_id}"
    assert text.startswith("For maria@example.com: ada@example.com has not decided")
    assert "alerted maria@example.com" in world.hubspot.notes()[-1]
    assert state.next_escalation == "reassign"


def test_a_team_without_a_manager_says_so_instead_of_alerting_nobody() -> None:
    world = make_world(lambda c: c["routing"]["teams"]["sales"].pop("manager"))
    climb(world, world.handed_off(), "alert_manager")
    assert "alerted no manager configured" in world.hubspot.notes()[-1]


def test_a_reassignment_completes_the_old_task_and_gives_the_next_rep_a_new_one(world: World) -> None:
    handed = world.handed_off()
    state = climb(world, handed, "reassign")
    assert state.assignment is not None and state.handoff is not None
    assert (state.assignment.owner_email, state.assignment.rule) == ("grace@example.com", "sla_reassignment")
    old, new = world.hubspot.records("tasks")
    assert (old["hs_task_status"], new["hs_task_status"], new["hubspot_owner_id"]) == (
        "COMPLETED",
        "NOT_STARTED",
        world.owners["grace@example.com"],
    )
    assert new["hs_task_subject"] == "MQL reassigned to you: accept, recycle or reject (score 80)"
    assert world.hubspot.contact(state.contact_id)["hubspot_owner_id"] == world.owners["grace@example.com"]
    record = world.record(state)
    assert record.reassignments == {
        1: Reassignment(
            owner_id=world.owners["grace@example.com"], owner_email="grace@example.com", detail="turn 2"
        )
    }
    assert record.tasks == {0: old["id"], 1: new["id"]}


def test_a_retried_reassignment_goes_to_the_same_rep_with_one_new_task(world: World) -> None:
    handed = world.handed_off()
    world.hubspot.fail_next("create_note", HubSpotError("HubSpot answered 502"))
    with pytest.raises(HubSpotError):
        world.steps.escalate(handed.model_copy(deep=True), "reassign")
    again = world.steps.escalate(handed.model_copy(deep=True), "reassign")
    assert again.assignment is not None and again.assignment.owner_email == "grace@example.com"
    assert len(world.hubspot.records("tasks")) == 2
    assert world.store.cursors == {"sales": 2}  # the first pick took the only extra turn


def test_a_reassignment_with_nobody_else_available_keeps_the_owner_and_says_why() -> None:
    world = make_world(
        lambda c: c["routing"]["teams"]["sales"].update(members=[{"email": "ada@example.com"}])
    )
    state = climb(world, world.handed_off(), "reassign")
    assert state.assignment is not None and state.assignment.owner_email == "ada@example.com"
    (task,) = world.hubspot.records("tasks")
    assert task["hs_task_status"] == "NOT_STARTED"
    assert world.hubspot.notes()[-1].endswith(
        "nobody else in team sales can take it; ada@example.com keeps it."
    )
    assert world.notifier.sent[-1][0] == f"MQL {state.contact_id} could not be reassigned"


def test_after_the_last_step_the_fallback_owner_gets_the_lead_and_fourteen_days(world: World) -> None:
    state = climb(world, world.handed_off(), "remind", "alert_manager", "reassign", "fallback")
    assert state.assignment is not None and state.handoff is not None
    assert (state.assignment.owner_email, state.assignment.rule, state.outcome, state.next_escalation) == (
        "queue@example.com",
        "fallback_queue",
        "fallback",
        "expire",
    )
    assert state.handoff.due_at == world.clock() + timedelta(days=14)
    tasks = world.hubspot.records("tasks")
    assert [t["hs_task_status"] for t in tasks] == ["COMPLETED", "COMPLETED", "NOT_STARTED"]
    assert tasks[-1]["hs_task_subject"] == "Fallback queue: decide on an MQL nobody took (score 80)"
    contact = world.hubspot.contact(state.contact_id)
    assert (contact["leadflow_journey_status"], contact["hubspot_owner_id"]) == (
        "fallback",
        world.owners["queue@example.com"],
    )
    record = world.record(state)
    assert (record.status, record.step, record.escalations) == (JourneyStatus.FALLBACK, "fallback", 4)
    assert len(world.notifier.sent) == 4 and "fallback queue" in world.notifier.sent[-1][0]


def test_a_ladder_shortened_mid_journey_waits_its_last_steps_hours(world: World) -> None:
    def short(config: dict[str, Any]) -> None:
        config["sla"]["escalation"] = [{"step": "remind", "hours": 1}]

    shortened = make_world(short)
    state = shortened.handed_off()
    state.escalations = 2  # the journey had climbed a longer ladder
    state = shortened.steps.escalate(state, "alert_manager")
    assert state.handoff is not None and state.handoff.timeout_seconds == 3600
    assert state.next_escalation == "fallback"
