"""The escalation ladder: what happens each time the decision's deadline passes.

Each rung (remind, alert the manager, reassign, then the fallback owner) decides who owns the
lead next and what the team hears; the shared tail (`hand_over`) moves the task, the contact,
the timeline and the record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from leadflow.app.journey.context import Handover, StepContext, hand_over
from leadflow.core import sla
from leadflow.core.config import Member, TeamConfig
from leadflow.core.journey_record import JourneyFields, JourneyRecord, JourneyStatus, Reassignment
from leadflow.core.journey_state import Assignment, EscalationStepName, JourneyState
from leadflow.core.lifecycle import Prop
from leadflow.core.routing import calendar_of, member_by_email, rotate
from leadflow.observability import count, logger


@dataclass(frozen=True)
class Rung:
    """What one step of the ladder decided: the handover, the notification, the record it read."""

    handover: Handover
    notice: tuple[str, str]
    recorded: JourneyRecord | None = None


def escalate(ctx: StepContext, state: JourneyState, step: EscalationStepName) -> JourneyState:
    """The SLA was missed: take the ladder's next step (remind, alert the manager, reassign, fallback).

    Safe to retry: a reassignment's pick is kept on the journey record before anything is
    written to HubSpot, and the notification goes out last, once the step has done its work.
    """
    assert state.assignment is not None and state.handoff is not None, "escalate runs after handoff"
    state.escalations += 1
    rung = _RUNGS[step](ctx, state)
    hand_over(ctx, state, rung.handover, rung.recorded)
    ctx.notify(*rung.notice)
    logger.info("escalated", step=step, owner_id=state.assignment.owner_id)
    count("Escalations")
    count("EscalationsByStep", step=step)
    return state


def _missed(state: JourneyState, step: str) -> str:
    assert state.assignment is not None
    what = step.replace("_", " ")
    return f"SLA missed by {state.assignment.owner_email} (escalation {state.escalations}, {what})"


def _ladder_handover(
    ctx: StepContext,
    state: JourneyState,
    step: str,
    why: str,
    member: Member | None,
    new_task: tuple[str, str] | None = None,
    contact: dict[str, str] | None = None,
    lead: dict[str, str] | None = None,
) -> Handover:
    """The handover of a ladder step: the next wait lasts the step's hours in the owner's calendar."""
    assert state.assignment is not None
    team, _ = ctx.team(state)
    due_at, seconds = ctx.deadline(
        calendar_of(team, member), ctx.clock(), sla.step_hours(ctx.config.sla, state.escalations)
    )
    return Handover(
        status=JourneyStatus.ESCALATED,
        due_at=due_at,
        seconds=seconds,
        note=why,
        next_escalation=ctx.next_escalation(state.escalations),
        new_task=new_task,
        contact=contact or {},
        lead=lead or {},
        fields=JourneyFields(step=step, why=why, owner_id=state.assignment.owner_id),
    )


def _keep_owner(ctx: StepContext, state: JourneyState, step: str) -> Rung:
    """Remind the owner, or alert the team's manager: the owner keeps the lead and the same task,
    with a new deadline, and the channel hears about it."""
    assert state.assignment is not None
    team, member = ctx.team(state)
    owner, manager = state.assignment.owner_email, team.manager or "no manager configured"
    since = state.mql_at.isoformat(timespec="minutes")
    did, subject, text = {
        "remind": (
            f"reminded {owner}",
            f"Reminder: MQL {state.contact_id} is waiting for {owner}",
            f"Reminder for {owner}: contact {state.contact_id} (score {state.score}) "
            f"still needs an accept / recycle / reject decision. {state.mql_reason}",
        ),
        "alert_manager": (
            f"alerted {manager}",
            f"SLA missed on MQL {state.contact_id}",
            f"For {manager}: {owner} has not decided on contact {state.contact_id} "
            f"(score {state.score}, team {state.assignment.team}) since {since}.",
        ),
    }[step]
    why = f"{_missed(state, step)}: {did}."
    return Rung(_ladder_handover(ctx, state, step, why, member), (subject, text))


def _reassign(ctx: StepContext, state: JourneyState) -> Rung:
    assert state.assignment is not None
    team, member = ctx.team(state)
    previous = state.assignment
    recorded = ctx.recorded(state)
    pick = _reassignment(ctx, state, team, recorded)
    missed = _missed(state, "reassign")
    if not pick.owner_id:
        why = (
            f"{missed}: nobody else in team {previous.team} can take it{pick.detail}; "
            f"{previous.owner_email} keeps it."
        )
        notice = (f"MQL {state.contact_id} could not be reassigned", why)
        return Rung(_ladder_handover(ctx, state, "reassign", why, member), notice, recorded)
    why = f"{missed}: reassigned by weighted round robin ({pick.detail}) to {pick.owner_email}."
    state.assignment = Assignment(
        owner_id=pick.owner_id,
        owner_email=pick.owner_email,
        team=previous.team,
        rule="sla_reassignment",
        why=why,
    )
    task = (
        f"MQL reassigned to you: accept, recycle or reject (score {state.score})",
        f"{why}\nWhy this is an MQL: {state.mql_reason}",
    )
    handover = _ladder_handover(
        ctx,
        state,
        "reassign",
        why,
        member_by_email(team, pick.owner_email),
        new_task=task,
        contact={Prop.OWNER: pick.owner_id},
        lead={Prop.OWNER: pick.owner_id},
    )
    return Rung(handover, (f"MQL {state.contact_id} reassigned", why), recorded)


def _reassignment(
    ctx: StepContext, state: JourneyState, team: TeamConfig, recorded: JourneyRecord
) -> Reassignment:
    """The rep a reassignment goes to (an empty owner and why nobody, when nobody can take it).

    Kept on the journey record at once, so a retried step reassigns to the same rep and
    takes no second turn or cap.
    """
    assert state.assignment is not None
    kept = recorded.reassignments.get(state.escalations)
    if kept is not None:
        return kept
    turn = rotate(
        state.assignment.team,
        team,
        ctx.owners(),
        ctx.clock(),
        ctx.ledger,
        exclude=state.assignment.owner_id,
    )
    if turn.owner is None:
        named = turn.passed_over
        pick = Reassignment(detail=f" ({', '.join(map(str, named))})" if named else "")
    else:
        pick = Reassignment(
            owner_id=turn.owner.id, owner_email=turn.owner.email, detail=f"turn {turn.number}"
        )
    ctx.store.remember(state.key, JourneyFields(reassignments={state.escalations: pick}))
    return pick


def _fallback(ctx: StepContext, state: JourneyState) -> Rung:
    """Every step was missed: the fallback owner gets the lead and `sla.fallback_days` to decide.

    Their decision resumes the same wait as a rep's; when the time runs out as well, the lead
    is recycled for no response instead of staying an MQL nobody works.
    """
    assert state.assignment is not None
    team, _ = ctx.team(state)
    owner = ctx.fallback_owner(team, ctx.owners())
    days = ctx.config.sla.fallback_days
    why = (
        f"every escalation step was missed (last owner {state.assignment.owner_email}): "
        f"the fallback queue {owner.email} owns the lead and has {days:g} days to decide."
    )
    due_at, seconds = sla.fallback_deadline(ctx.config.sla, ctx.clock())
    state.assignment = Assignment.of(owner, state.assignment.team, "fallback_queue", why)
    state.outcome = "fallback"
    handover = Handover(
        status=JourneyStatus.FALLBACK,
        due_at=due_at,
        seconds=seconds,
        note=why,
        next_escalation="expire",
        new_task=(
            f"Fallback queue: decide on an MQL nobody took (score {state.score})",
            f"{why}\nWhy this is an MQL: {state.mql_reason}",
        ),
        contact={Prop.OWNER: owner.id, Prop.JOURNEY_STATUS: JourneyStatus.FALLBACK.value},
        lead={Prop.OWNER: owner.id},
        fields=JourneyFields(step="fallback", why=why, owner_id=owner.id),
    )
    return Rung(handover, (f"MQL {state.contact_id} went to the fallback queue", why))


_RUNGS: dict[EscalationStepName, Callable[[StepContext, JourneyState], Rung]] = {
    "remind": lambda ctx, state: _keep_owner(ctx, state, "remind"),
    "alert_manager": lambda ctx, state: _keep_owner(ctx, state, "alert_manager"),
    "reassign": _reassign,
    "fallback": _fallback,
}
