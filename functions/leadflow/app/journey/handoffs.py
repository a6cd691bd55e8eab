"""HandOff for the journeys that reach it at the same moment: their HubSpot writes batched across them.

Under a burst (a list import, a webinar's attendees) hundreds of journeys hand off at once. One by one,
each costs a contact update, a task create and a note create; together, they cost one batch call of
each per 100 journeys, so the portal's rate limit hands off up to 100 times as many leads a second.
A lone lead is handed off by the same code, in batches of one.

What a batch cannot do together is done one by one, by the same HandOff a single journey takes: a team
that hands off on leads (its lead opened first), and every journey of a batch whose batched writes
HubSpot refused, so each learns its own error. A retried hand-off keeps the task it made before.
Each journey's outcome is its own: its state handed off, or the error its HandOff state's Retry and
Catch see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from leadflow.app.journey.assignment import first_handover, handoff
from leadflow.app.journey.context import Handover, StepContext, contact_changes, handed_over, note_body
from leadflow.app.ports import HubSpotRateLimited, HubSpotUnavailable, NewNote, NewTask
from leadflow.core.journey_record import JourneyFields, JourneyRecord
from leadflow.core.journey_state import JourneyState
from leadflow.observability import logger

Outcome = JourneyState | Exception


@dataclass(frozen=True)
class _Pending:
    """A journey whose hand-off is batched: its state, its record as read, what it writes."""

    state: JourneyState
    recorded: JourneyRecord
    handover: Handover


def hand_off_together(ctx: StepContext, states: Mapping[str, JourneyState]) -> dict[str, Outcome]:
    """Hand off every journey (keyed by the caller); each one's state handed off, or its error."""
    outcomes: dict[str, Outcome] = {}
    pending: dict[str, _Pending] = {}
    for key, state in states.items():
        try:
            team, _ = ctx.team(state)
            if team.handoff == "lead":
                outcomes[key] = handoff(ctx, state)
            else:
                recorded = ctx.recorded(state)
                pending[key] = _Pending(state, recorded, first_handover(ctx, state, recorded))
        except Exception as exc:
            outcomes[key] = _failed(state, exc)
    if not pending:
        return outcomes
    try:
        return outcomes | _batched(ctx, pending)
    except (HubSpotRateLimited, HubSpotUnavailable) as exc:
        # Nothing HubSpot refused for a journey's own reason: every journey retries later.
        return outcomes | {key: exc for key in pending}
    except Exception as exc:
        logger.warning(
            "batched hand-off refused; handing off one by one",
            journeys=len(pending),
            error=f"{type(exc).__name__}: {exc}",
        )
    for key, p in pending.items():
        try:
            outcomes[key] = handoff(ctx, p.state)
        except Exception as exc:
            outcomes[key] = _failed(p.state, exc)
    return outcomes


def _batched(ctx: StepContext, pending: Mapping[str, _Pending]) -> dict[str, Outcome]:
    """The tasks, the contacts' changes and the notes of every pending journey, a batch call each."""
    tasks = _tasks(ctx, pending)
    ctx.hubspot.update_contacts(
        {p.state.contact_id: contact_changes(p.state, p.handover) for p in pending.values()}
    )
    now = ctx.clock()
    notes = {key: NewNote(p.state.contact_id, note_body(p.handover.note), now) for key, p in pending.items()}
    written = ctx.hubspot.create_notes(notes)
    outcomes: dict[str, Outcome] = {}
    for key, p in pending.items():
        try:
            if key not in written:
                ctx.note(p.state, p.handover.note)
            handed_over(ctx, p.state, p.handover, tasks[key])
            outcomes[key] = p.state
        except Exception as exc:
            outcomes[key] = _failed(p.state, exc)
    return outcomes


def _tasks(ctx: StepContext, pending: Mapping[str, _Pending]) -> dict[str, str]:
    """Each journey's task: the one a retried hand-off made before, or one created together with the
    others and kept on its record at once (as `task_once` keeps one)."""
    kept = {
        key: p.recorded.tasks[p.state.escalations]
        for key, p in pending.items()
        if p.state.escalations in p.recorded.tasks
    }
    wanted: dict[str, NewTask] = {}
    for key, p in pending.items():
        assert p.state.assignment is not None and p.handover.new_task is not None, "a first hand-off"
        if key not in kept:
            subject, body = p.handover.new_task
            owner = p.state.assignment.owner_id
            wanted[key] = NewTask(p.state.contact_id, owner, subject, body, p.handover.due_at)
    created = ctx.hubspot.create_tasks(wanted) if wanted else {}
    for key, task_id in created.items():
        p = pending[key]
        ctx.store.remember(p.state.key, JourneyFields(tasks={p.state.escalations: task_id}))
    refused = sorted(set(wanted) - set(created))
    if refused:
        raise RuntimeError(f"HubSpot created no task for {len(refused)} of the batch's journeys")
    return kept | created


def _failed(state: JourneyState, exc: Exception) -> Exception:
    logger.warning("hand-off failed", contact_id=state.contact_id, error=f"{type(exc).__name__}: {exc}")
    return exc
