"""HandOff batched across the journeys that reach it at once (`app.journey.handoffs`), on the fakes:
the same hand-off as one by one in one batch call of each kind, and each journey's failure its own."""

from __future__ import annotations

from leadflow.app.ports import HubSpotError, HubSpotRateLimited
from leadflow.core.journey_record import JourneyStatus
from leadflow.core.journey_state import JourneyState
from tests.fast.conftest import World, make_world


def routed(world: World, count: int) -> dict[str, JourneyState]:
    """`count` leads routed, keyed as the hand-off queue's messages are."""
    return {f"m{i}": world.steps.route(world.lead()) for i in range(count)}


def handed(world: World, state: JourneyState) -> tuple[dict[str, str | None], list[dict[str, str]]]:
    """The contact's properties and the tasks on its timeline."""
    tasks = [
        t
        for t in world.hubspot.records("tasks")
        if world.hubspot.crm.associations("tasks", t["id"], "contacts")[0][0] == state.contact_id
    ]
    return world.hubspot.contact(state.contact_id), tasks


def test_journeys_handed_off_together_get_what_one_by_one_gives_in_one_call_of_each_kind(
    world: World,
) -> None:
    alone = make_world()
    expected = alone.steps.handoff(alone.steps.route(alone.lead()))
    journeys = routed(world, 3)
    world.hubspot.calls.clear()
    outcomes = world.steps.hand_off_together(journeys)
    assert world.hubspot.calls == ["create_tasks", "update_contacts", "create_notes"]
    for key, state in journeys.items():
        done = outcomes[key]
        assert isinstance(done, JourneyState) and done.handoff is not None and done.assignment is not None
        assert (done.handoff.due_at, done.handoff.timeout_seconds, done.next_escalation) == (
            expected.handoff.due_at,  # type: ignore[union-attr]
            expected.handoff.timeout_seconds,  # type: ignore[union-attr]
            expected.next_escalation,
        )
        contact, (task,) = handed(world, state)
        assert (contact["hubspot_owner_id"], contact["leadflow_journey_status"]) == (
            done.assignment.owner_id,
            "awaiting_decision",
        )
        assert (task["id"], task["hubspot_owner_id"], task["hs_task_subject"]) == (
            done.handoff.task_id,
            done.assignment.owner_id,
            "MQL: accept, recycle or reject (score 80)",
        )
        record = world.record(state)
        assert (record.status, record.task_id, record.tasks) == (
            JourneyStatus.AWAITING_DECISION,
            done.handoff.task_id,
            {0: done.handoff.task_id},
        )
    assert sorted(world.hubspot.notes()) == sorted(
        f"leadflow: routed to {s.assignment.owner_email}: {s.assignment.why}"  # type: ignore[union-attr]
        for s in journeys.values()
    )


def test_a_deleted_contact_fails_its_own_journey_and_the_others_are_handed_off_one_by_one(
    world: World,
) -> None:
    journeys = routed(world, 3)
    world.hubspot.crm.archive_object("contacts", journeys["m1"].contact_id)
    outcomes = world.steps.hand_off_together(journeys)
    # The same refusal its hand-off alone meets: HubSpot associates nothing with a contact it no longer has.
    assert isinstance(outcomes["m1"], HubSpotError) and "does not exist" in str(outcomes["m1"])
    for key in ("m0", "m2"):
        assert isinstance(outcomes[key], JourneyState)
        assert world.record(journeys[key]).status is JourneyStatus.AWAITING_DECISION
    # HubSpot refused the batch whole, so each task was made once, one by one.
    assert len(world.hubspot.records("tasks")) == 2


def test_a_rate_limited_batch_fails_every_journey_for_its_retry_which_reuses_the_tasks(world: World) -> None:
    journeys = routed(world, 2)
    world.hubspot.fail_next("update_contacts", HubSpotRateLimited("HubSpot answered 429"))
    outcomes = world.steps.hand_off_together({k: s.model_copy(deep=True) for k, s in journeys.items()})
    assert all(isinstance(o, HubSpotRateLimited) for o in outcomes.values())
    world.hubspot.calls.clear()
    again = world.steps.hand_off_together({k: s.model_copy(deep=True) for k, s in journeys.items()})
    assert all(isinstance(o, JourneyState) for o in again.values())
    # Still together, and the tasks made the first time are the journeys' tasks.
    assert world.hubspot.calls == ["update_contacts", "create_notes"]
    assert len(world.hubspot.records("tasks")) == 2
    assert len(world.hubspot.notes()) == 2


def test_a_team_that_hands_off_on_leads_opens_each_journey_s_lead_one_by_one() -> None:
    world = make_world(lambda c: c["routing"]["teams"]["sales"].update(handoff="lead"))
    journeys = routed(world, 2)
    outcomes = world.steps.hand_off_together(journeys)
    assert all(isinstance(o, JourneyState) and o.lead_id for o in outcomes.values())
    assert "create_tasks" not in world.hubspot.calls
    assert world.hubspot.calls.count("create_task") == 2
