"""Registering a wait's token, and recording a step that failed for good, on the fakes."""

from __future__ import annotations

import json
from datetime import timedelta

from leadflow.app.ports import HubSpotError
from leadflow.core.journey_record import JourneyStatus
from tests.fast.conftest import World


def test_a_wait_registers_its_token_with_its_kind_and_expiry(world: World) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    record = world.record(state)
    assert (record.task_token, record.waiting_for, record.token_expires) == (
        token,
        "decision",
        world.clock().timestamp() + 14400,
    )
    assert world.engine.resumed == []


def test_a_decision_kept_before_the_wait_began_resumes_it_at_once(world: World) -> None:
    state = world.handed_off()
    kept = '{"decision": "accept", "reason": "", "decided_at": "2026-11-24T09:10:00Z"}'
    world.store.park(state.key, "decision", kept, world.clock().timestamp())
    token = world.waiting(state)
    assert world.engine.resumed == [(token, kept)]
    assert world.record(state).task_token is None  # claimed, so nobody resumes it twice


def test_an_engagement_kept_is_not_handed_to_a_decision_wait(world: World) -> None:
    state = world.handed_off()
    world.store.park(state.key, "engagement", '{"kind": "meeting_booked"}', world.clock().timestamp())
    world.waiting(state, "decision")
    assert world.engine.resumed == []


def test_a_repair_wait_never_expires(world: World) -> None:
    state = world.handed_off()
    world.waiting(state, "repair")
    assert world.record(state).token_expires is None


def test_a_failure_is_recorded_with_its_state_and_cause_and_the_team_is_told_what_to_do(world: World) -> None:
    state = world.handed_off()
    world.engine.failed_states["arn:execution"] = "MarkSql"
    cause = json.dumps(
        {"errorMessage": "HubSpot answered 400: 'partners' was not one of the allowed options"}
    )
    state.error = {"Error": "HubSpotError", "Cause": cause}
    state = world.steps.record_failure(state, "arn:execution", state.mql_at)
    assert state.failure is not None and state.error is None
    assert (state.failure.state, state.failure.error) == ("MarkSql", "HubSpotError")
    record = world.record(state)
    assert (record.status, record.failed_state, record.error) == (
        JourneyStatus.FAILED,
        "MarkSql",
        "HubSpotError",
    )
    assert world.hubspot.contact(state.contact_id)["leadflow_journey_status"] == "failed"
    ((subject, text),) = world.notifier.sent
    assert subject == "leadflow journey failed at MarkSql"
    assert "'partners' was not one of the allowed options" in text
    assert f"leadflow journey {state.contact_id} --resume" in text


def test_a_failed_journey_waits_for_its_repair_until_a_day_before_its_execution_turns_one_year_old(
    world: World,
) -> None:
    state = world.handed_off()
    state.error = {"Error": "HubSpotError", "Cause": "HubSpot answered 400"}
    started = world.clock() - timedelta(days=100)
    state = world.steps.record_failure(state, "arn:execution", started)
    assert state.failure is not None
    assert state.failure.repair_timeout_seconds == (365 - 100 - 1) * 86400


def test_a_failure_without_a_cause_or_a_reachable_hubspot_is_still_recorded(world: World) -> None:
    state = world.handed_off()
    state.error = {"Error": "RuntimeError", "Cause": None}
    world.hubspot.fail_next("update_contact", HubSpotError("HubSpot answered 503"))
    state = world.steps.record_failure(state, "arn:unknown", state.mql_at)
    record = world.record(state)
    assert (record.status, record.failed_state, record.cause) == (JourneyStatus.FAILED, "unknown", "")
    assert "no details" in world.notifier.sent[0][1]
