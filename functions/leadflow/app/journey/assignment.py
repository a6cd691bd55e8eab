"""Who gets the lead: Route (team, then owner) and HandOff (the owner's task and the SLA)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from leadflow.app.journey.context import Handover, RoutingError, StepContext, hand_over
from leadflow.app.journey.leads import open_lead
from leadflow.core.config import TeamConfig
from leadflow.core.journey_record import JourneyFields, JourneyRecord, JourneyStatus
from leadflow.core.journey_state import Assignment, JourneyState
from leadflow.core.lifecycle import Prop
from leadflow.core.routing import (
    Owner,
    TeamChoice,
    account_matching,
    calendar_of,
    choose_team,
    member_by_email,
    turn_order,
    unavailable_because,
    weighted_sequence,
)
from leadflow.observability import logger


def route(ctx: StepContext, state: JourneyState) -> JourneyState:
    """Choose the team (rules, first match) and the owner (account match, then weighted round robin).

    A retried Route keeps the assignment already recorded, so a lead is never assigned twice.
    """
    recorded = ctx.recorded(state)
    kept = _kept_assignment(recorded)
    state.assignment = kept or _choose_owner(ctx, state)
    team, _ = ctx.team(state)
    state.sql_policy = team.sql_policy
    state.direct_sql = team.sql_policy == "fast_track" and state.fast_track
    if kept is None:
        chosen = state.assignment
        ctx.record(
            state,
            JourneyStatus.ROUTED,
            JourneyFields(
                owner_id=chosen.owner_id,
                owner_email=chosen.owner_email,
                team=chosen.team,
                rule=chosen.rule,
                why=chosen.why,
                sql_policy=state.sql_policy,
                mql_at=state.mql_at,
            ),
        )
    logger.info(
        "routed", owner_id=state.assignment.owner_id, team=state.assignment.team, rule=state.assignment.rule
    )
    return state


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


def _lead_properties(ctx: StepContext, contact_id: str) -> tuple[dict[str, str | None], str, str | None]:
    """What routing reads: the contact's (and its company's, as `company.<name>`) properties,
    the company id and the company's owner."""
    routing = ctx.config.routing
    wanted = {p for p in routing.properties if not p.startswith("company.")} | {Prop.COMPANY_ID}
    props = ctx.hubspot.read_contacts([contact_id], wanted).get(contact_id)
    if props is None:
        raise RoutingError(f"contact {contact_id} does not exist in HubSpot")
    company_id = props.get(Prop.COMPANY_ID) or ""
    if not company_id:
        return props, "", None
    company_props = {p.removeprefix("company.") for p in routing.properties if p.startswith("company.")}
    company = ctx.hubspot.read_companies([company_id], company_props | {Prop.OWNER}).get(company_id, {})
    return {**props, **{f"company.{k}": v for k, v in company.items()}}, company_id, company.get(Prop.OWNER)


def _choose_owner(ctx: StepContext, state: JourneyState) -> Assignment:
    props, company_id, company_owner = _lead_properties(ctx, state.contact_id)
    routing = ctx.config.routing
    choice = choose_team(routing, props)
    team = routing.teams[choice.team]
    owners, now = ctx.owners(), ctx.clock()
    if company_id and account_matching(routing, choice):
        matched = _account_owner(ctx, team, owners, company_id, company_owner, now)
        if matched is not None:
            owner, rule, note = matched
            return Assignment.of(owner, choice.team, rule, f"{note}.")
    picked, skipped, turn = rotate(ctx, choice.team, team, owners, now)
    passed = f"; skipped {', '.join(skipped)}" if skipped else ""
    ruled = _ruled(choice)
    if picked is not None:
        why = f"{ruled}; weighted round robin (turn {turn}) chose {picked.email}{passed}."
        return Assignment.of(picked, choice.team, choice.rule_name, why)
    fallback = ctx.fallback_owner(team, owners)
    why = f"{ruled}; nobody in the team could take it{passed}: fallback owner {fallback.email}."
    return Assignment.of(fallback, choice.team, "no_one_available", why)


def _ruled(choice: TeamChoice) -> str:
    if choice.rule:
        return f"rule '{choice.rule_name}' sent the lead to team {choice.team}"
    return f"no routing rule matched: default team {choice.team}"


def _account_owner(
    ctx: StepContext,
    team: TeamConfig,
    owners: dict[str, Owner],
    company_id: str,
    company_owner_id: str | None,
    now: datetime,
) -> tuple[Owner, str, str] | None:
    """The account's owner (the company's, else its open deal's) when they can take the lead.

    The open deal is looked up only when the company's owner is missing or away, which
    saves a HubSpot call on most leads.
    """
    by_id = {o.id: o for o in owners.values()}
    candidates: list[tuple[str, str, Callable[[], str | None]]] = [
        ("account_owner", "the company's owner", lambda: company_owner_id),
        (
            "open_deal_owner",
            "the owner of the company's open deal",
            lambda: ctx.hubspot.open_deal_owner(company_id),
        ),
    ]
    for rule, what, owner_of in candidates:
        owner = by_id.get(owner_of() or "")
        if owner is None:
            continue
        member = member_by_email(team, owner.email)
        # Working hours do not apply: the account's owner keeps their accounts' leads, team member or not.
        if member is None or unavailable_because(team, member, True, now, check_hours=False) is None:
            return owner, rule, f"account match: {what} {owner.email} owns company {company_id}"
    return None


def rotate(
    ctx: StepContext,
    team_name: str,
    team: TeamConfig,
    owners: dict[str, Owner],
    now: datetime,
    exclude: str | None = None,
) -> tuple[Owner | None, list[str], int]:
    """The next available member in weighted round robin whose daily cap has room.

    The cursor is one atomic counter per team, so concurrent executions each get their own
    turn; a cap is claimed with a conditional write, so it is never exceeded. Members
    deactivated (in the configuration or in HubSpot) are left out of the cycle, so their turns
    are shared by weight instead of all falling to the next member.
    """
    turn = ctx.ledger.advance_cursor(team_name)
    rotation = [m for m in team.members if m.active and m.email.lower() in owners]
    skipped = [
        f"{m.email} ({unavailable_because(team, m, m.email.lower() in owners, now)})"
        for m in team.members
        if m not in rotation
    ]
    for email in turn_order(weighted_sequence(rotation), turn):
        member, owner = member_by_email(team, email), owners[email]
        assert member is not None
        if owner.id == exclude:
            continue
        why = unavailable_because(team, member, True, now)
        if why is None and member.daily_cap is not None:
            day = calendar_of(team, member).local_date(now).isoformat()
            if not ctx.ledger.claim_capacity(owner.id, day, member.daily_cap):
                why = f"daily cap of {member.daily_cap} reached"
        if why is None:
            return owner, skipped, turn
        skipped.append(f"{email} ({why})")
    return None, skipped, turn


def handoff(ctx: StepContext, state: JourneyState) -> JourneyState:
    """Give the lead to its owner: owner set, task due at the SLA deadline, the routing explained."""
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
    recorded = ctx.recorded(state)
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
    handover = Handover(
        status=JourneyStatus.AWAITING_DECISION,
        due_at=due_at,
        seconds=seconds,
        note=f"routed to {chosen.owner_email}: {chosen.why}",
        next_escalation=ctx.next_escalation(0),
        new_task=(subject, body),
        contact=contact,
    )
    hand_over(ctx, state, handover, recorded)
    return state
