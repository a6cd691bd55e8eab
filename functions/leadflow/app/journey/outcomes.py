"""How a journey ends: accepted (SAL), qualified (SQL and its deal), recycled or rejected."""

from __future__ import annotations

from datetime import timedelta

from aws_lambda_powertools.metrics import MetricUnit

from leadflow.app.journey.context import StepContext
from leadflow.app.journey.deal_packet import PACKET, deal_description, deal_name
from leadflow.app.journey.leads import move_lead
from leadflow.core.calendar import WorkCalendar
from leadflow.core.decisions import Decision, sql_path
from leadflow.core.journey_record import JourneyFields, JourneyStatus
from leadflow.core.journey_state import JourneyState, Qualification
from leadflow.core.lifecycle import MQL, SQL, Prop, fingerprint
from leadflow.observability import count, logger


def _speed_to_lead(state: JourneyState) -> None:
    assert state.decision is not None
    seconds = max(0.0, (state.decision.decided_at - state.mql_at).total_seconds())
    count("SpeedToLead", seconds, MetricUnit.Seconds)
    logger.info("decided", speed_to_lead_s=round(seconds), outcome=state.outcome)


def mark_sal(ctx: StepContext, state: JourneyState) -> JourneyState:
    """The rep accepted: the lead is sales accepted and its qualification window opens."""
    assert state.decision is not None and state.handoff is not None, "mark_sal runs after a decision"
    team, _ = ctx.team(state)
    now = ctx.clock()
    due_at, seconds = ctx.deadline(WorkCalendar.of(None), now, team.qualification_days * 24)
    ctx.hubspot.update_contact(
        state.contact_id,
        {
            Prop.JOURNEY_STATUS: JourneyStatus.SAL.value,
            Prop.SAL_AT: now.isoformat(timespec="seconds"),
            Prop.LEAD_STATUS: "IN_PROGRESS",
            **({Prop.LIFECYCLE: stage} if (stage := ctx.config.journey.sal_stage) else {}),
        },
    )
    ctx.complete_task(state, state.handoff.task_id)
    state.outcome = "sal"
    state.qualification = Qualification(due_at=due_at, timeout_seconds=seconds)
    count("MQLsAccepted")
    _speed_to_lead(state)
    ctx.record(state, JourneyStatus.SAL, JourneyFields(decision="accept", qualification_due_at=due_at))
    return state


def mark_sql(ctx: StepContext, state: JourneyState, attempt: int = 0) -> JourneyState:
    """The lead qualified under its team's policy: lifecycle SQL, a deal in the team's pipeline, and
    the journey's HubSpot Lead (if any) in its Qualified stage.

    Never two deals: the deal id is kept on the journey record once known, and a retried
    step (`attempt` > 0; the create may have succeeded before its answer was lost) first
    looks for the contact's deal stamped with this journey.
    """
    assert state.assignment is not None, "mark_sql runs after route"
    path = sql_path(state.sql_policy, state.direct_sql)
    deal_id = ctx.recorded(state).deal_id
    if not deal_id and attempt > 0:
        deal_id = ctx.hubspot.deal_of_journey(state.contact_id, state.journey_id)
    state.deal_id = deal_id or _create_deal(ctx, state, path)
    state.outcome = "sql"
    count("SQLs", policy=path)
    fields = JourneyFields(
        deal_id=state.deal_id, sql_path=path, engagement=state.engagement.kind if state.engagement else ""
    )
    ctx.release_workflows(state, ctx.record(state, JourneyStatus.SQL, fields))
    # After the record: the move comes back as a webhook event, which must find the journey ended.
    move_lead(ctx, state, ctx.config.journey.leads.qualified_stage)
    logger.info("sales qualified", deal_id=state.deal_id, path=path)
    return state


def _create_deal(ctx: StepContext, state: JourneyState, path: str) -> str:
    """Lifecycle SQL on the contact, and the deal carrying the handoff packet; its id, kept at once."""
    assert state.assignment is not None
    wanted = {"firstname", "lastname", "email", "company", Prop.COMPANY_ID, *PACKET}
    props = ctx.hubspot.read_contacts([state.contact_id], wanted).get(state.contact_id, {})
    ctx.hubspot.update_contact(
        state.contact_id,
        {
            Prop.LIFECYCLE: SQL,
            Prop.JOURNEY_STATUS: JourneyStatus.SQL.value,
            Prop.SQL_AT: ctx.clock().isoformat(timespec="seconds"),
            Prop.LEAD_STATUS: "OPEN_DEAL",
        },
    )
    deal = ctx.config.deal_for(state.assignment.team)
    properties = {
        "dealname": deal_name(state.contact_id, props),
        "pipeline": deal.pipeline,
        "dealstage": deal.stage,
        Prop.OWNER: state.assignment.owner_id,
        "description": deal_description(state, props, path),
        Prop.JOURNEY_ID: state.journey_id,
    }
    company_id = props.get(Prop.COMPANY_ID) or None
    deal_id = ctx.linked(
        state, lambda lead: ctx.hubspot.create_deal(state.contact_id, company_id, properties, lead_id=lead)
    )
    # Kept at once: a retried MarkSql finds it and does not create a second deal.
    ctx.store.remember(state.key, JourneyFields(deal_id=deal_id))
    return deal_id


def close(ctx: StepContext, state: JourneyState) -> JourneyState:
    """Recycle (back to nurture, cooldown, owner kept or cleared) or reject (unqualified) the lead; the
    journey's HubSpot Lead (if any) goes to its Disqualified stage with the reason."""
    assert state.decision is not None and state.handoff is not None, "close runs after a decision"
    recycled = state.decision.decision is Decision.RECYCLE
    changes = {Prop.MQL_AT: "", Prop.DECISION_REASON: state.decision.reason}
    _back_to_lead(ctx, state, changes | (_recycled(ctx, state) if recycled else _rejected(ctx, state)))
    ctx.complete_task(state, state.handoff.task_id)
    status = JourneyStatus.RECYCLED if recycled else JourneyStatus.REJECTED
    state.outcome = "recycled" if recycled else "rejected"
    count("MQLsRecycled" if recycled else "MQLsRejected", reason=state.decision.reason)
    # A deadline is not a decision: speed to lead counts only what a person did.
    if not state.decision.automatic:
        _speed_to_lead(state)
    fields = JourneyFields(
        decision=state.decision.decision.value,
        reason=state.decision.reason,
        decided_by="deadline" if state.decision.automatic else "owner",
    )
    ctx.release_workflows(state, ctx.record(state, status, fields))
    disqualified = ctx.config.journey.leads.disqualified_stage
    move_lead(ctx, state, disqualified, {Prop.DECISION_REASON: state.decision.reason})
    return state


def _back_to_lead(ctx: StepContext, state: JourneyState, changes: dict[str, str]) -> None:
    """The closing `changes`, and the lifecycle stage back to `lead`. HubSpot only moves lifecyclestage
    forward, so it is cleared (with the changes: a value HubSpot refuses fails that one write whole,
    before the stage moves), then set (https://developers.hubspot.com/docs/api/crm/contacts); when the
    set fails, the stage the journey left it in is put back, so the contact is never left without one
    while the step retries."""
    ctx.hubspot.update_contact(state.contact_id, {**changes, Prop.LIFECYCLE: ""})
    try:
        ctx.hubspot.update_contact(state.contact_id, {Prop.LIFECYCLE: "lead"})
    except Exception:
        sal_stage = ctx.config.journey.sal_stage if state.qualification is not None else None
        ctx.hubspot.update_contact(state.contact_id, {Prop.LIFECYCLE: sal_stage or MQL})
        raise


def _recycled(ctx: StepContext, state: JourneyState) -> dict[str, str]:
    assert state.decision is not None
    policy = ctx.config.journey.recycle
    until = ctx.clock() + timedelta(days=policy.cooldown_days)
    no_response = state.decision.reason == "no_response"
    return {
        Prop.JOURNEY_STATUS: JourneyStatus.RECYCLED.value,
        Prop.LEAD_STATUS: "ATTEMPTED_TO_CONTACT" if no_response else "BAD_TIMING",
        Prop.RECYCLE_UNTIL: until.isoformat(timespec="seconds"),
        **({Prop.OWNER: ""} if policy.owner == "clear" else {}),
    }


def _rejected(ctx: StepContext, state: JourneyState) -> dict[str, str]:
    data = ctx.config.scoring.data_properties
    props = ctx.hubspot.read_contacts([state.contact_id], data).get(state.contact_id, {})
    return {
        Prop.JOURNEY_STATUS: JourneyStatus.REJECTED.value,
        Prop.LEAD_STATUS: "UNQUALIFIED",
        Prop.REJECTED_FINGERPRINT: fingerprint(props, data),
    }
