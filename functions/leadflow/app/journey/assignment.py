"""Who gets the lead: Route (team, then owner) and HandOff (the owner's task and the SLA)."""

from __future__ import annotations

import json

from leadflow.app.journey.context import Handover, RoutingError, StepContext, hand_over
from leadflow.app.journey.leads import open_lead
from leadflow.core import routing
from leadflow.core.journey_record import JourneyFields, JourneyRecord, JourneyStatus
from leadflow.core.journey_state import Assignment, JourneyState
from leadflow.core.lifecycle import Prop
from leadflow.core.routing import Routed, calendar_of
from leadflow.observability import logger


def route(ctx: StepContext, state: JourneyState) -> JourneyState:
    """Choose the team (rules, first match) and the owner (account match, then weighted round robin).

    A retried Route keeps the assignment already recorded, so a lead is never assigned twice.
    """
    kept = _kept_assignment(ctx.recorded(state))
    state.assignment = kept or _assign(ctx, state)
    team, _ = ctx.team(state)
    state.sql_policy = team.sql_policy
    state.direct_sql = team.sql_policy == "fast_track" and state.fast_track
    logger.info(
        "routed", owner_id=state.assignment.owner_id, team=state.assignment.team, rule=state.assignment.rule
    )
    return state


def _assign(ctx: StepContext, state: JourneyState) -> Assignment:
    """Route the lead and record the assignment, with what calibration and the fairness ledger read."""
    props, routed = _route(ctx, state)
    assert routed.owner is not None, "a routed lead has an owner (the fallback owner at least)"
    chosen = Assignment.of(routed.owner, routed.team, routed.rule, routed.why)
    turn = routed.turn
    ctx.record(
        state,
        JourneyStatus.ROUTED,
        JourneyFields(
            owner_id=chosen.owner_id,
            owner_email=chosen.owner_email,
            team=chosen.team,
            rule=chosen.rule,
            why=chosen.why,
            sql_policy=ctx.config.routing.teams[chosen.team].sql_policy,
            mql_at=state.mql_at,
            score=state.score,
            tier=props.get(Prop.FIT_TIER) or None,
            persona=props.get(Prop.PERSONA) or None,
            mql_reason=state.mql_reason or None,
            turn=turn.number if turn else None,
            turn_of=turn.slot if turn else None,
            pick=turn.pick if turn else None,
            skipped=json.dumps(turn.skipped_causes) if turn and turn.skipped else None,
        ),
    )
    return chosen


def _kept_assignment(recorded: JourneyRecord) -> Assignment | None:
    if not (recorded.rule and recorded.owner_id and recorded.team):
        return None
    return Assignment(
        owner_id=recorded.owner_id,
        owner_email=recorded.owner_email or "",
        team=recorded.team,
        rule=recorded.rule,
        why=recorded.why or "",
    )


def _lead_properties(ctx: StepContext, state: JourneyState) -> tuple[dict[str, str | None], str, str | None]:
    """What routing reads: the contact's (and its company's, as `company.<name>`) properties,
    the company id and the company's owner; and the tier and persona scoring gave the contact. The
    contact's come with the journey when the lead intake started it, and are read from HubSpot otherwise."""
    config = ctx.config.routing
    props = state.lead_properties
    if props is None:
        props = ctx.hubspot.read_contacts([state.contact_id], config.contact_properties).get(state.contact_id)
    if props is None:
        raise RoutingError(f"contact {state.contact_id} does not exist in HubSpot")
    company_id = props.get(Prop.COMPANY_ID) or ""
    if not company_id:
        return props, "", None
    company_props = {p.removeprefix("company.") for p in config.properties if p.startswith("company.")}
    company = ctx.hubspot.read_companies([company_id], company_props | {Prop.OWNER}).get(company_id, {})
    return {**props, **{f"company.{k}": v for k, v in company.items()}}, company_id, company.get(Prop.OWNER)


def _route(ctx: StepContext, state: JourneyState) -> tuple[dict[str, str | None], Routed]:
    """The lead's properties, and where `core.routing.route` sends it (the fallback owner when nobody in
    the team can take it)."""
    props, company_id, company_owner = _lead_properties(ctx, state)
    owners = ctx.owners()
    routed = routing.route(
        ctx.config.routing,
        props,
        owners,
        ctx.clock(),
        ctx.ledger,
        company_id=company_id,
        company_owner=company_owner,
        open_deal_owner=lambda: ctx.hubspot.open_deal_owner(company_id),
    )
    if routed.owner is None:
        routed = routed.to_fallback(ctx.fallback_owner(ctx.config.routing.teams[routed.team], owners))
    return props, routed


def handoff(ctx: StepContext, state: JourneyState) -> JourneyState:
    """Give the lead to its owner: owner set, task due at the SLA deadline, the routing explained."""
    recorded = ctx.recorded(state)
    hand_over(ctx, state, first_handover(ctx, state, recorded), recorded)
    return state


def first_handover(ctx: StepContext, state: JourneyState, recorded: JourneyRecord) -> Handover:
    """What HandOff writes: the owner's task, due at the SLA deadline, and why the lead is theirs (a team
    that hands off on leads has its lead opened first)."""
    assert state.assignment is not None, "handoff runs after route"
    team, member = ctx.team(state)
    now = ctx.clock()
    due_at, seconds = ctx.deadline(calendar_of(team, member), now, ctx.config.sla.decision_hours)
    if state.direct_sql:
        subject = f"Fast-track SQL: call now (score {state.score})"
        ask = "High-intent ICP inbound: a deal is being created for you. Reach out today."
    else:
        subject = f"MQL: accept, recycle or reject (score {state.score})"
        ask = (
            "Set 'leadflow decision' (and a reason for recycle or reject) before "
            f"{due_at.isoformat(timespec='minutes')}."
        )
    chosen = state.assignment
    if team.handoff == "lead":
        state.lead_id = open_lead(ctx, state, recorded)
    contact = {
        **({Prop.LEAD_ID: state.lead_id} if state.lead_id else {}),
        Prop.OWNER: chosen.owner_id,
        Prop.JOURNEY_ID: state.journey_id,
        Prop.JOURNEY_STATUS: JourneyStatus.AWAITING_DECISION.value,
        Prop.TEAM: chosen.team,
        Prop.ROUTED_BY: chosen.rule,
        Prop.DECISION: "",
        Prop.DECISION_REASON: "",
    }
    body = f"Why this is an MQL: {state.mql_reason}\nWhy you: {chosen.why}\n{ask}"
    return Handover(
        status=JourneyStatus.AWAITING_DECISION,
        due_at=due_at,
        seconds=seconds,
        note=f"routed to {chosen.owner_email}: {chosen.why}",
        next_escalation=ctx.next_escalation(0),
        new_task=(subject, body),
        contact=contact,
    )
