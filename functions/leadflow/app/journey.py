"""The journey's steps: each Task state of the lead journey runs one method here.

Every step takes the JourneyState, does its HubSpot and DynamoDB work, and returns the
state with its own part filled in. Steps are safe to retry: Step Functions retries them
on HubSpot rate limits and outages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from aws_lambda_powertools.metrics import MetricUnit

from leadflow.adapters.hubspot import HubSpotError, HubSpotGateway, Owner
from leadflow.adapters.journeys import JourneyEngine
from leadflow.adapters.notify import Notifier
from leadflow.adapters.state_store import StateStore
from leadflow.core.calendar import WorkCalendar
from leadflow.core.config import LeadflowConfig, Member, TeamConfig
from leadflow.core.journey import (
    Assignment,
    Decision,
    EscalationStepName,
    Failure,
    Handoff,
    JourneyState,
    Qualification,
    scaled_wait,
    sql_path,
    utcnow,
)
from leadflow.core.lifecycle import SQL, Prop, fingerprint
from leadflow.core.routing import (
    account_matching,
    calendar_of,
    choose_team,
    member_by_email,
    turn_order,
    unavailable_because,
    weighted_sequence,
)
from leadflow.observability import count, logger

TOKEN_MARGIN_S: Final = 1.0
# What the deal's description repeats from the handoff packet on the contact.
_PACKET = (
    Prop.MQL_REASON,
    Prop.FIT_SCORE,
    Prop.INTENT_SCORE,
    Prop.FIT_TIER,
    Prop.PERSONA,
    Prop.INTENT_EVIDENCE,
    Prop.LAST_SIGNAL_AT,
)


class RoutingError(RuntimeError):
    """Nobody can own the lead: not even the team's fallback owner is an active HubSpot owner."""


class JourneySteps:
    """The use cases behind the journey's Task states."""

    def __init__(
        self,
        config: LeadflowConfig,
        hubspot: HubSpotGateway,
        store: StateStore,
        engine: JourneyEngine,
        notifier: Callable[[], Notifier] | None = None,
        time_scale: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._config = config
        self._hubspot = hubspot
        self._store = store
        self._engine = engine
        # Built on first use: most steps never notify, and its clients cost a cold start.
        self._notifier = notifier or (lambda: Notifier(None, None, None))
        self._time_scale = time_scale
        self._clock = clock

    # Helpers ------------------------------------------------------------------------------

    def _owners(self, fresh: bool = False) -> dict[str, Owner]:
        """Active HubSpot owners by lower-case email."""
        return {o.email: o for o in self._hubspot.list_owners(fresh=fresh) if o.active}

    def _team(self, state: JourneyState) -> tuple[TeamConfig, Member | None]:
        assert state.assignment is not None, "runs after route"
        team = self._config.routing.teams.get(state.assignment.team)
        if team is None:
            raise RoutingError(
                f"journey {state.journey_id} belongs to team {state.assignment.team!r}, which "
                "routing.teams no longer has: put the team back in the configuration, then resume"
            )
        return team, member_by_email(team, state.assignment.owner_email)

    def _deadline(self, calendar: WorkCalendar, now: datetime, hours: float) -> tuple[datetime, int]:
        """The due time `hours` of working time from now, and the (time-scaled) wait until it.

        With a time scale the deadline shown in HubSpot is the compressed one, so what a
        rep sees and when the journey moves on agree.
        """
        due = calendar.add_business_hours(now, hours)
        seconds = scaled_wait(now, due, self._time_scale)
        return (due if self._time_scale == 1 else now + timedelta(seconds=seconds)), seconds

    def _record(self, state: JourneyState, status: str, *, final: bool = False, **fields: str) -> None:
        self._store.record_journey(
            state.contact_id, state.journey_id, status, self._clock(), final=final, **fields
        )

    def _task_once(
        self, state: JourneyState, create: Callable[[], str], recorded: dict[str, str] | None = None
    ) -> str:
        """Create the task for this handoff (one per escalation count) unless a retried step already did.

        The id is kept on the journey record the moment the task exists, so a step that fails
        later (say, writing its note) and is retried by Step Functions reuses it. `recorded` is
        the journey record when the step has just read it.
        """
        key = f"task_{state.escalations}"
        if recorded is None:
            recorded = self._store.journey(state.contact_id, state.journey_id) or {}
        if recorded.get(key):
            return recorded[key]
        task_id = create()
        self._store.remember(state.contact_id, state.journey_id, **{key: task_id})
        return task_id

    def _audit(self, state: JourneyState, text: str) -> None:
        """A note on the contact's timeline: every routing decision and escalation explains itself."""
        self._hubspot.create_note(state.contact_id, f"leadflow: {text}", self._clock())

    def _notify(self, subject: str, text: str) -> None:
        # Notifications are best effort: Notifier never raises, so a dead endpoint cannot stall a lead.
        self._notifier().send(subject, text)

    # Route --------------------------------------------------------------------------------

    def route(self, state: JourneyState) -> JourneyState:
        """Choose the team (rules, first match) and the owner (account match, then weighted round robin).

        A retried Route keeps the assignment already recorded, so a lead is never assigned twice.
        """
        recorded = self._store.journey(state.contact_id, state.journey_id) or {}
        if recorded.get("rule") and recorded.get("owner_id"):
            state.assignment = Assignment(
                owner_id=recorded["owner_id"],
                owner_email=recorded.get("owner_email", ""),
                team=recorded["team"],
                rule=recorded["rule"],
                why=recorded.get("why", ""),
            )
        else:
            state.assignment = self._choose_owner(state)
        team, _ = self._team(state)
        state.sql_policy = team.sql_policy
        state.direct_sql = team.sql_policy == "fast_track" and state.fast_track
        if not recorded.get("rule"):
            self._record(
                state,
                "routed",
                owner_id=state.assignment.owner_id,
                owner_email=state.assignment.owner_email,
                team=state.assignment.team,
                rule=state.assignment.rule,
                why=state.assignment.why,
                sql_policy=state.sql_policy,
                mql_at=state.mql_at.isoformat(),
            )
        logger.info(
            "routed",
            owner_id=state.assignment.owner_id,
            team=state.assignment.team,
            rule=state.assignment.rule,
        )
        return state

    def _choose_owner(self, state: JourneyState) -> Assignment:
        routing = self._config.routing
        wanted = {p for p in routing.properties if not p.startswith("company.")} | {Prop.COMPANY_ID}
        props = self._hubspot.read_contacts([state.contact_id], wanted).get(state.contact_id)
        if props is None:
            raise RoutingError(f"contact {state.contact_id} does not exist in HubSpot")
        company_id = props.get(Prop.COMPANY_ID) or ""
        company_props = {p.removeprefix("company.") for p in routing.properties if p.startswith("company.")}
        company: dict[str, str | None] = {}
        if company_id:
            company = self._hubspot.read_companies([company_id], company_props | {Prop.OWNER}).get(
                company_id, {}
            )
            props = {**props, **{f"company.{k}": v for k, v in company.items()}}
        choice = choose_team(routing, props)
        team = routing.teams[choice.team]
        owners = self._owners()
        now = self._clock()
        ruled = (
            f"rule '{choice.rule_name}' sent the lead to team {choice.team}"
            if choice.rule
            else f"no routing rule matched: default team {choice.team}"
        )
        if company_id and account_matching(routing, choice):
            matched = self._account_owner(team, owners, company_id, company.get(Prop.OWNER), now)
            if matched is not None:
                account, rule, note = matched
                return Assignment(
                    owner_id=account.id,
                    owner_email=account.email,
                    team=choice.team,
                    rule=rule,
                    why=f"{note}.",
                )
        picked, skipped, turn = self._rotate(choice.team, team, owners, now)
        passed = f"; skipped {', '.join(skipped)}" if skipped else ""
        if picked is not None:
            return Assignment(
                owner_id=picked.id,
                owner_email=picked.email,
                team=choice.team,
                rule=choice.rule_name,
                why=f"{ruled}; weighted round robin (turn {turn}) chose {picked.email}{passed}.",
            )
        fallback = self._fallback_owner(team, owners)
        return Assignment(
            owner_id=fallback.id,
            owner_email=fallback.email,
            team=choice.team,
            rule="no_one_available",
            why=f"{ruled}; nobody in the team could take it{passed}: fallback owner {fallback.email}.",
        )

    def _account_owner(
        self,
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
                lambda: self._hubspot.open_deal_owner(company_id),
            ),
        ]
        for rule, what, owner_of in candidates:
            owner = by_id.get(owner_of() or "")
            if owner is None:
                continue
            member = member_by_email(team, owner.email)
            # Working hours do not apply: the account's owner keeps their accounts' leads.
            why = unavailable_because(team, member, True, now, check_hours=False) if member else None
            if why is None:
                return owner, rule, f"account match: {what} {owner.email} owns company {company_id}"
        return None

    def _rotate(
        self,
        team_name: str,
        team: TeamConfig,
        owners: dict[str, Owner],
        now: datetime,
        exclude: str | None = None,
    ) -> tuple[Owner | None, list[str], int]:
        """The next available member in weighted round robin whose daily cap has room.

        The cursor is one atomic DynamoDB counter per team, so concurrent executions each get
        their own turn; a cap is claimed with a conditional write, so it is never exceeded.
        Members deactivated (in the configuration or in HubSpot) are left out of the cycle, so
        their turns are shared by weight instead of all falling to the next member.
        """
        turn = self._store.advance_cursor(team_name)
        rotation = [m for m in team.members if m.active and m.email.lower() in owners]
        skipped = [
            f"{m.email} ({unavailable_because(team, m, m.email.lower() in owners, now)})"
            for m in team.members
            if m not in rotation
        ]
        for email in turn_order(weighted_sequence(rotation), turn):
            member = member_by_email(team, email)
            owner = owners[email]
            assert member is not None
            if owner.id == exclude:
                continue
            why = unavailable_because(team, member, True, now)
            if why is None and member.daily_cap is not None:
                day = calendar_of(team, member).local_date(now).isoformat()
                if not self._store.claim_capacity(owner.id, day, member.daily_cap):
                    why = f"daily cap of {member.daily_cap} reached"
            if why is not None:
                skipped.append(f"{email} ({why})")
                continue
            return owner, skipped, turn
        return None, skipped, turn

    def _fallback_owner(self, team: TeamConfig, owners: dict[str, Owner]) -> Owner:
        owner = owners.get(team.fallback_owner.lower())
        if owner is None:
            # The owners list is cached; the last resort is worth one fresh read before failing.
            owner = self._owners(fresh=True).get(team.fallback_owner.lower())
        if owner is None:
            raise RoutingError(f"fallback owner {team.fallback_owner} is not an active HubSpot owner")
        return owner

    # Handoff ------------------------------------------------------------------------------

    def _next_escalation(self, taken: int) -> EscalationStepName:
        ladder = self._config.sla.escalation
        return ladder[taken].step if taken < len(ladder) else "fallback"

    def handoff(self, state: JourneyState) -> JourneyState:
        """Give the lead to its owner: owner set, task due at the SLA deadline, the routing explained."""
        assert state.assignment is not None, "handoff runs after route"
        team, member = self._team(state)
        now = self._clock()
        due_at, seconds = self._deadline(calendar_of(team, member), now, self._config.sla.decision_hours)
        self._hubspot.update_contact(
            state.contact_id,
            {
                Prop.OWNER: state.assignment.owner_id,
                Prop.JOURNEY_ID: state.journey_id,
                Prop.JOURNEY_STATUS: "awaiting_decision",
                Prop.SLA_DUE_AT: due_at.isoformat(timespec="seconds"),
                Prop.ESCALATIONS: str(state.escalations),
                Prop.TEAM: state.assignment.team,
                Prop.ROUTED_BY: state.assignment.rule,
                Prop.DECISION: "",
                Prop.DECISION_REASON: "",
            },
        )
        if state.direct_sql:
            subject, ask = (
                f"Fast-track SQL: call now (score {state.score})",
                "High-intent ICP inbound: a deal is being created for you. Reach out today.",
            )
        else:
            subject, ask = (
                f"MQL: accept, recycle or reject (score {state.score})",
                f"Set 'leadflow decision' (and a reason for recycle or reject) before "
                f"{due_at.isoformat(timespec='minutes')}.",
            )
        owner_id, why = state.assignment.owner_id, state.assignment.why
        task_id = self._task_once(
            state,
            lambda: self._hubspot.create_task(
                state.contact_id,
                owner_id,
                subject=subject,
                body=f"Why this is an MQL: {state.mql_reason}\nWhy you: {why}\n{ask}",
                due_at=due_at,
            ),
        )
        self._audit(state, f"routed to {state.assignment.owner_email}: {state.assignment.why}")
        state.handoff = Handoff(task_id=task_id, due_at=due_at, timeout_seconds=seconds)
        state.next_escalation = self._next_escalation(0)
        self._record(state, "awaiting_decision", task_id=task_id, sla_due_at=due_at.isoformat())
        return state

    def await_input(self, state: JourneyState, token: str, kind: str) -> None:
        """Register the task token the journey now waits on; deliver an input already kept for it."""
        timeout = {
            "decision": state.handoff.timeout_seconds if state.handoff else None,
            "engagement": state.qualification.timeout_seconds if state.qualification else None,
        }.get(kind)
        # A little early (a second, or a tenth of a short wait): an input arriving at the very end
        # waits for the next wait instead of racing the timeout.
        expires = time.time() + timeout - min(TOKEN_MARGIN_S, timeout / 10) if timeout else None
        parked = self._store.set_task_token(state.contact_id, state.journey_id, token, kind, expires)
        if parked and self._store.claim_task_token(state.contact_id, state.journey_id, token):
            self._engine.resume(token, parked)

    # Escalation ladder --------------------------------------------------------------------

    def escalate(self, state: JourneyState, step: EscalationStepName) -> JourneyState:
        """The SLA was missed: take the ladder's next step (remind, alert the manager, reassign, fallback).

        Safe to retry: a reassignment's pick is kept on the journey record before anything is
        written to HubSpot, and the notification goes out last, once the step has done its work.
        """
        assert state.assignment is not None and state.handoff is not None, "escalate runs after handoff"
        if step == "fallback":
            return self._to_fallback(state)
        team, member = self._team(state)
        previous = state.assignment
        now = self._clock()
        state.escalations += 1
        missed = (
            f"SLA missed by {previous.owner_email} (escalation {state.escalations}, {step.replace('_', ' ')})"
        )
        changes: dict[str, str] = {}
        recorded: dict[str, str] | None = None
        if step == "remind":
            why = f"{missed}: reminded {previous.owner_email}."
            notice = (
                f"Reminder: MQL {state.contact_id} is waiting for {previous.owner_email}",
                f"Reminder for {previous.owner_email}: contact {state.contact_id} (score {state.score}) "
                f"still needs an accept / recycle / reject decision. {state.mql_reason}",
            )
        elif step == "alert_manager":
            manager = team.manager or "no manager configured"
            why = f"{missed}: alerted {manager}."
            notice = (
                f"SLA missed on MQL {state.contact_id}",
                f"For {manager}: {previous.owner_email} has not decided on contact {state.contact_id} "
                f"(score {state.score}, team {previous.team}) since "
                f"{state.mql_at.isoformat(timespec='minutes')}.",
            )
        else:
            recorded = self._store.journey(state.contact_id, state.journey_id) or {}
            owner_id, owner_email, detail = self._reassignment(state, team, now, recorded)
            if not owner_id:
                why = (
                    f"{missed}: nobody else in team {previous.team} can take it{detail}; "
                    f"{previous.owner_email} keeps it."
                )
                notice = (f"MQL {state.contact_id} could not be reassigned", why)
            else:
                self._hubspot.complete_task(state.handoff.task_id)
                why = f"{missed}: reassigned by weighted round robin ({detail}) to {owner_email}."
                state.assignment = Assignment(
                    owner_id=owner_id,
                    owner_email=owner_email,
                    team=previous.team,
                    rule="sla_reassignment",
                    why=why,
                )
                member = member_by_email(team, owner_email)
                changes[Prop.OWNER] = owner_id
                notice = (f"MQL {state.contact_id} reassigned", why)
        due_at, seconds = self._deadline(calendar_of(team, member), now, self._step_hours(state.escalations))
        task_id = state.handoff.task_id
        if Prop.OWNER in changes:
            new_owner = state.assignment.owner_id
            task_id = self._task_once(
                state,
                lambda: self._hubspot.create_task(
                    state.contact_id,
                    new_owner,
                    subject=f"MQL reassigned to you: accept, recycle or reject (score {state.score})",
                    body=f"{why}\nWhy this is an MQL: {state.mql_reason}",
                    due_at=due_at,
                ),
                recorded,
            )
        else:
            self._hubspot.reschedule_task(task_id, due_at)
        self._hubspot.update_contact(
            state.contact_id,
            {
                **changes,
                Prop.SLA_DUE_AT: due_at.isoformat(timespec="seconds"),
                Prop.ESCALATIONS: str(state.escalations),
            },
        )
        self._audit(state, why)
        state.handoff = Handoff(task_id=task_id, due_at=due_at, timeout_seconds=seconds)
        state.next_escalation = self._next_escalation(state.escalations)
        self._record(
            state,
            "escalated",
            step=step,
            why=why,
            owner_id=state.assignment.owner_id,
            task_id=task_id,
            escalations=str(state.escalations),
            sla_due_at=due_at.isoformat(),
        )
        self._notify(*notice)
        logger.info("escalated", step=step, owner_id=state.assignment.owner_id)
        count("Escalations")
        count("EscalationsByStep", step=step)
        return state

    def _step_hours(self, taken: int) -> float:
        """How long the wait after the `taken`-th escalation lasts.

        A ladder shortened while journeys were on it gives its last step's hours (or the
        decision hours when it is now empty) instead of failing those journeys.
        """
        ladder = self._config.sla.escalation
        if not ladder:
            return self._config.sla.decision_hours
        return ladder[min(taken, len(ladder)) - 1].hours

    def _reassignment(
        self, state: JourneyState, team: TeamConfig, now: datetime, recorded: dict[str, str]
    ) -> tuple[str, str, str]:
        """The rep a reassignment goes to: (owner id, email, turn) or ("", "", why nobody).

        Kept on the journey record at once, so a retried step reassigns to the same rep and
        takes no second turn or cap.
        """
        assert state.assignment is not None
        key = f"reassign_{state.escalations}"
        kept = recorded.get(key)
        if kept is not None:
            owner_id, owner_email, detail = kept.split("|", 2)
            return owner_id, owner_email, detail
        owner, skipped, turn = self._rotate(
            state.assignment.team, team, self._owners(), now, exclude=state.assignment.owner_id
        )
        if owner is None:
            picked = ("", "", f" ({', '.join(skipped)})" if skipped else "")
        else:
            picked = (owner.id, owner.email, f"turn {turn}")
        self._store.remember(state.contact_id, state.journey_id, **{key: "|".join(picked)})
        return picked

    def _to_fallback(self, state: JourneyState) -> JourneyState:
        """Every step was missed: the fallback owner gets the lead and `sla.fallback_days` to decide.

        Their decision resumes the same wait as a rep's; when the time runs out as well, the lead
        is recycled for no response instead of staying an MQL nobody works.
        """
        assert state.assignment is not None and state.handoff is not None
        team, _ = self._team(state)
        owner = self._fallback_owner(team, self._owners())
        previous = state.assignment
        days = self._config.sla.fallback_days
        why = (
            f"every escalation step was missed (last owner {previous.owner_email}): "
            f"the fallback queue {owner.email} owns the lead and has {days:g} days to decide."
        )
        self._hubspot.complete_task(state.handoff.task_id)
        now = self._clock()
        due_at, seconds = self._deadline(WorkCalendar.of(None), now, days * 24)
        state.escalations += 1
        task_id = self._task_once(
            state,
            lambda: self._hubspot.create_task(
                state.contact_id,
                owner.id,
                subject=f"Fallback queue: decide on an MQL nobody took (score {state.score})",
                body=f"{why}\nWhy this is an MQL: {state.mql_reason}",
                due_at=due_at,
            ),
        )
        self._hubspot.update_contact(
            state.contact_id,
            {
                Prop.OWNER: owner.id,
                Prop.JOURNEY_STATUS: "fallback",
                Prop.SLA_DUE_AT: due_at.isoformat(timespec="seconds"),
                Prop.ESCALATIONS: str(state.escalations),
            },
        )
        self._audit(state, why)
        state.assignment = Assignment(
            owner_id=owner.id, owner_email=owner.email, team=previous.team, rule="fallback_queue", why=why
        )
        state.handoff = Handoff(task_id=task_id, due_at=due_at, timeout_seconds=seconds)
        state.next_escalation = "expire"
        state.outcome = "fallback"
        self._record(
            state,
            "fallback",
            step="fallback",
            why=why,
            owner_id=owner.id,
            task_id=task_id,
            escalations=str(state.escalations),
            sla_due_at=due_at.isoformat(),
        )
        self._notify(f"MQL {state.contact_id} went to the fallback queue", why)
        count("Escalations")
        count("EscalationsByStep", step="fallback")
        return state

    # Decisions ----------------------------------------------------------------------------

    def _speed_to_lead(self, state: JourneyState) -> None:
        assert state.decision is not None
        seconds = max(0.0, (state.decision.decided_at - state.mql_at).total_seconds())
        count("SpeedToLead", seconds, MetricUnit.Seconds)
        logger.info("decided", speed_to_lead_s=round(seconds), outcome=state.outcome)

    def mark_sal(self, state: JourneyState) -> JourneyState:
        """The rep accepted: the lead is sales accepted and its qualification window opens."""
        assert state.decision is not None and state.handoff is not None, "mark_sal runs after a decision"
        team, _ = self._team(state)
        now = self._clock()
        due_at, seconds = self._deadline(WorkCalendar.of(None), now, team.qualification_days * 24)
        self._hubspot.update_contact(
            state.contact_id,
            {
                Prop.JOURNEY_STATUS: "sal",
                Prop.SAL_AT: now.isoformat(timespec="seconds"),
                Prop.LEAD_STATUS: "IN_PROGRESS",
                **({Prop.LIFECYCLE: stage} if (stage := self._config.journey.sal_stage) else {}),
            },
        )
        self._hubspot.complete_task(state.handoff.task_id)
        state.outcome = "sal"
        state.qualification = Qualification(due_at=due_at, timeout_seconds=seconds)
        count("MQLsAccepted")
        self._speed_to_lead(state)
        self._record(state, "sal", decision="accept", qualification_due_at=due_at.isoformat())
        return state

    def mark_sql(self, state: JourneyState, attempt: int = 0) -> JourneyState:
        """The lead qualified under its team's policy: lifecycle SQL and a deal in the team's pipeline.

        Never two deals: the deal id is kept on the journey record once known, and a retried
        step (`attempt` > 0; the create may have succeeded before its answer was lost) first
        looks for the contact's deal stamped with this journey.
        """
        assert state.assignment is not None, "mark_sql runs after route"
        recorded = self._store.journey(state.contact_id, state.journey_id) or {}
        if not recorded.get("deal_id") and attempt > 0:
            found = self._hubspot.deal_of_journey(state.contact_id, state.journey_id)
            if found:
                recorded["deal_id"] = found
        path = sql_path(state.sql_policy, state.direct_sql)
        now = self._clock()
        if recorded.get("deal_id"):
            state.deal_id = recorded["deal_id"]
        else:
            wanted = {"firstname", "lastname", "email", "company", Prop.COMPANY_ID, *_PACKET}
            props = self._hubspot.read_contacts([state.contact_id], wanted).get(state.contact_id, {})
            self._hubspot.update_contact(
                state.contact_id,
                {
                    Prop.LIFECYCLE: SQL,
                    Prop.JOURNEY_STATUS: "sql",
                    Prop.SQL_AT: now.isoformat(timespec="seconds"),
                    Prop.LEAD_STATUS: "OPEN_DEAL",
                },
            )
            deal = self._config.deal_for(state.assignment.team)
            state.deal_id = self._hubspot.create_deal(
                state.contact_id,
                props.get(Prop.COMPANY_ID) or None,
                {
                    "dealname": _deal_name(state.contact_id, props),
                    "pipeline": deal.pipeline,
                    "dealstage": deal.stage,
                    Prop.OWNER: state.assignment.owner_id,
                    "description": _deal_description(state, props, path),
                    Prop.JOURNEY_ID: state.journey_id,
                },
            )
            # Kept at once: a retried MarkSql finds it and does not create a second deal.
            self._store.remember(state.contact_id, state.journey_id, deal_id=state.deal_id)
        state.outcome = "sql"
        count("SQLs", policy=path)
        self._record(
            state,
            "sql",
            final=True,
            deal_id=state.deal_id,
            sql_path=path,
            engagement=state.engagement.kind if state.engagement else "",
        )
        logger.info("sales qualified", deal_id=state.deal_id, path=path)
        return state

    def close(self, state: JourneyState) -> JourneyState:
        """Recycle (back to nurture, cooldown, owner kept or cleared) or reject (unqualified) the lead."""
        assert state.decision is not None and state.handoff is not None, "close runs after a decision"
        now = self._clock()
        recycled = state.decision.decision is Decision.RECYCLE
        # HubSpot only moves lifecyclestage forward: clear it, then set it back to lead.
        self._hubspot.update_contact(state.contact_id, {Prop.LIFECYCLE: ""})
        changes = {Prop.LIFECYCLE: "lead", Prop.MQL_AT: "", Prop.DECISION_REASON: state.decision.reason}
        if recycled:
            policy = self._config.journey.recycle
            until = now + timedelta(seconds=policy.cooldown_days * 86400 / self._time_scale)
            changes |= {
                Prop.JOURNEY_STATUS: "recycled",
                Prop.LEAD_STATUS: "ATTEMPTED_TO_CONTACT"
                if state.decision.reason == "no_response"
                else "BAD_TIMING",
                Prop.RECYCLE_UNTIL: until.isoformat(timespec="seconds"),
                **({Prop.OWNER: ""} if policy.owner == "clear" else {}),
            }
        else:
            data = self._config.scoring.data_properties
            props = self._hubspot.read_contacts([state.contact_id], data).get(state.contact_id, {})
            changes |= {
                Prop.JOURNEY_STATUS: "rejected",
                Prop.LEAD_STATUS: "UNQUALIFIED",
                Prop.REJECTED_FINGERPRINT: fingerprint(props, data),
            }
        self._hubspot.update_contact(state.contact_id, changes)
        self._hubspot.complete_task(state.handoff.task_id)
        state.outcome = "recycled" if recycled else "rejected"
        count("MQLsRecycled" if recycled else "MQLsRejected", reason=state.decision.reason)
        # A deadline is not a decision: speed to lead counts only what a person did.
        if not state.decision.automatic:
            self._speed_to_lead(state)
        self._record(
            state,
            state.outcome,
            final=True,
            decision=state.decision.decision.value,
            reason=state.decision.reason,
            decided_by="deadline" if state.decision.automatic else "owner",
        )
        return state

    # Failures -----------------------------------------------------------------------------

    def record_failure(self, state: JourneyState, execution_arn: str) -> JourneyState:
        """A step failed for good: record where and why, alert, and leave the lead for a human to resume."""
        error = state.error or {}
        failed = self._engine.failed_state(execution_arn) or "unknown"
        state.failure = Failure(
            state=failed,
            error=error.get("Error") or "unknown",
            cause=(error.get("Cause") or "")[:1000],
            at=self._clock(),
        )
        state.error = None
        self._record(
            state, "failed", failed_state=failed, error=state.failure.error, cause=state.failure.cause
        )
        try:
            self._hubspot.update_contact(state.contact_id, {Prop.JOURNEY_STATUS: "failed"})
        except HubSpotError:
            logger.warning("could not mark the contact failed in HubSpot")
        self._notify(
            f"leadflow journey failed at {failed}",
            f"Journey {state.journey_id} (contact {state.contact_id}) failed at {failed}: "
            f"{state.failure.error}: {_error_message(state.failure.cause)} "
            f"Fix the cause, then run `leadflow journey {state.contact_id} --resume`.",
        )
        count("JourneysFailed")
        logger.error("journey failed", failed_state=failed, error=state.failure.error)
        return state


def _error_message(cause: str) -> str:
    """What went wrong, from a caught error's cause (Lambda's JSON, or plain text), kept short."""
    try:
        message = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        message = cause
    return str(message or "no details")[:300]


def _deal_name(contact_id: str, props: dict[str, str | None]) -> str:
    person = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p) or props.get("email")
    company = props.get("company")
    return " - ".join(p for p in (company, person) if p) or f"Lead {contact_id}"


def _deal_description(state: JourneyState, props: dict[str, str | None], path: str) -> str:
    """The handoff packet, so whoever works the deal sees why it exists without opening the contact."""
    lines = [
        f"Why an MQL: {props.get(Prop.MQL_REASON) or state.mql_reason}",
        f"Fit {props.get(Prop.FIT_SCORE) or '?'} (tier {props.get(Prop.FIT_TIER) or '?'}), "
        f"intent {props.get(Prop.INTENT_SCORE) or '?'}, score {state.score}",
    ]
    if props.get(Prop.PERSONA):
        lines.append(f"Persona: {props[Prop.PERSONA]}")
    if props.get(Prop.INTENT_EVIDENCE):
        lines.append(f"Intent evidence: {props[Prop.INTENT_EVIDENCE]}")
    if props.get(Prop.LAST_SIGNAL_AT):
        lines.append(f"Last signal: {props[Prop.LAST_SIGNAL_AT]}")
    how = {
        "fast_track": "fast track (high-intent ICP inbound)",
        "meeting_booked": "a booked meeting",
        "engagement_required": "acceptance plus a two-way engagement",
    }[path]
    engaged = f" ({state.engagement.kind.replace('_', ' ')})" if state.engagement else ""
    lines.append(f"SQL by {how}{engaged}; MQL at {state.mql_at.isoformat(timespec='minutes')}")
    if state.assignment is not None and state.assignment.why:
        lines.append(f"Routing: {state.assignment.why}")
    return "\n".join(lines)
