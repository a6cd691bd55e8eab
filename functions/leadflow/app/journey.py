"""The journey's steps: each Task state of the lead journey runs one method here.

Every step takes the JourneyState, does its HubSpot and DynamoDB work, and returns the
state with its own part filled in. Steps are safe to retry: Step Functions retries them
on HubSpot rate limits and outages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from leadflow.adapters.hubspot import HubSpotGateway, Owner
from leadflow.adapters.journeys import JourneyEngine
from leadflow.adapters.state_store import StateStore
from leadflow.core.config import LeadflowConfig
from leadflow.core.journey import (
    Assignment,
    Decision,
    Handoff,
    JourneyState,
    next_in_rotation,
    sla_deadline,
    utcnow,
)
from leadflow.core.lifecycle import Prop
from leadflow.observability import count, logger


class RoutingError(RuntimeError):
    """No configured owner exists and is active in HubSpot."""


class JourneySteps:
    """The use cases behind the journey's Task states."""

    def __init__(
        self,
        config: LeadflowConfig,
        hubspot: HubSpotGateway,
        store: StateStore,
        engine: JourneyEngine,
        time_scale: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._config = config
        self._hubspot = hubspot
        self._store = store
        self._engine = engine
        self._time_scale = time_scale
        self._clock = clock

    def _owners_by_email(self) -> dict[str, Owner]:
        return {o.email: o for o in self._hubspot.list_owners() if o.active}

    def _rotate(self, owners: dict[str, Owner], exclude: str | None = None) -> Owner:
        routing = self._config.routing
        members = [email.lower() for email in routing.owners if email.lower() in owners]
        if exclude and len(members) > 1:
            members = [m for m in members if owners[m].id != exclude]
        if not members:
            raise RoutingError(f"none of team {routing.team!r}'s owners is an active HubSpot owner")
        return owners[next_in_rotation(members, self._store.advance_cursor(routing.team))]

    def route(self, state: JourneyState) -> JourneyState:
        """Choose the owner: round robin over the configured team's active HubSpot owners."""
        owner = self._rotate(self._owners_by_email())
        state.assignment = Assignment(
            owner_id=owner.id, owner_email=owner.email, team=self._config.routing.team, rule="round_robin"
        )
        self._store.record_journey(
            state.contact_id,
            state.journey_id,
            "routed",
            self._clock(),
            owner_id=owner.id,
            mql_at=state.mql_at.isoformat(),
        )
        logger.info("routed", contact_id=state.contact_id, owner_id=owner.id, rule="round_robin")
        return state

    def _hand_to(self, state: JourneyState, owner_id: str, why: str) -> Handoff:
        now = self._clock()
        due_at, seconds = sla_deadline(now, state.sla_hours, self._time_scale)
        self._hubspot.update_contact(
            state.contact_id,
            {
                Prop.OWNER: owner_id,
                Prop.JOURNEY_ID: state.journey_id,
                Prop.JOURNEY_STATUS: "awaiting_decision",
                Prop.SLA_DUE_AT: due_at.isoformat(timespec="seconds"),
                Prop.ESCALATIONS: str(state.escalations),
                Prop.DECISION: "",
            },
        )
        task_id = self._hubspot.create_task(
            state.contact_id,
            owner_id,
            subject=f"MQL: accept, recycle or reject (score {state.score})",
            body=f"{why}\nWhy this is an MQL: {state.mql_reason}\n"
            f"Set 'leadflow decision' on the contact before {due_at.isoformat(timespec='minutes')}.",
            due_at=due_at,
        )
        return Handoff(task_id=task_id, due_at=due_at, timeout_seconds=seconds)

    def handoff(self, state: JourneyState) -> JourneyState:
        """Give the lead to its owner: owner set, task due at the SLA deadline."""
        assert state.assignment is not None, "handoff runs after route"
        state.handoff = self._hand_to(state, state.assignment.owner_id, "New MQL assigned to you.")
        self._store.record_journey(
            state.contact_id,
            state.journey_id,
            "awaiting_decision",
            self._clock(),
            task_id=state.handoff.task_id,
            sla_due_at=state.handoff.due_at.isoformat(),
        )
        return state

    def await_decision(self, state: JourneyState, token: str) -> None:
        """Register the task token the journey now waits on; deliver a decision already kept for it."""
        parked = self._store.set_task_token(state.contact_id, state.journey_id, token)
        if parked and self._store.claim_task_token(state.contact_id, state.journey_id, token):
            self._engine.resume(token, parked)

    def escalate(self, state: JourneyState) -> JourneyState:
        """The SLA was missed: reassign to the next owner, or to the fallback queue at the end."""
        assert state.assignment is not None and state.handoff is not None, "escalate runs after handoff"
        previous = state.assignment
        state.escalations += 1
        self._hubspot.complete_task(state.handoff.task_id)
        owners = self._owners_by_email()
        if state.escalations > state.max_escalations:
            fallback = self._config.routing.fallback_owner.lower()
            if fallback not in owners:
                raise RoutingError(f"fallback owner {fallback} is not an active HubSpot owner")
            owner, rule, state.outcome = owners[fallback], "fallback_queue", "fallback"
        else:
            owner, rule = self._rotate(owners, exclude=previous.owner_id), "sla_escalation"
        state.assignment = Assignment(
            owner_id=owner.id, owner_email=owner.email, team=self._config.routing.team, rule=rule
        )
        why = (
            f"SLA of {state.sla_hours:g} h missed by {previous.owner_email}: "
            f"reassigned to {owner.email} ({rule.replace('_', ' ')}, escalation {state.escalations})."
        )
        state.handoff = self._hand_to(state, owner.id, why)
        self._hubspot.create_note(state.contact_id, f"leadflow: {why}", self._clock())
        self._store.record_journey(
            state.contact_id,
            state.journey_id,
            "fallback" if state.outcome == "fallback" else "escalated",
            self._clock(),
            final=state.outcome == "fallback",
            owner_id=owner.id,
            task_id=state.handoff.task_id,
            escalations=str(state.escalations),
        )
        logger.info("escalated", contact_id=state.contact_id, owner_id=owner.id, rule=rule)
        count("Escalations")
        count("EscalationsByStep", step="fallback" if state.outcome == "fallback" else str(state.escalations))
        return state

    def _speed_to_lead(self, state: JourneyState) -> None:
        assert state.decision is not None
        seconds = max(0.0, (state.decision.decided_at - state.mql_at).total_seconds())
        count("SpeedToLead", seconds, MetricUnit.Seconds)
        logger.info(
            "decided", contact_id=state.contact_id, speed_to_lead_s=round(seconds), outcome=state.outcome
        )

    def mark_sal(self, state: JourneyState) -> JourneyState:
        """The rep accepted: the lead is sales accepted."""
        assert state.decision is not None and state.handoff is not None, "mark_sal runs after a decision"
        now = self._clock()
        self._hubspot.update_contact(
            state.contact_id,
            {
                Prop.JOURNEY_STATUS: "sal",
                Prop.SAL_AT: now.isoformat(timespec="seconds"),
                Prop.LEAD_STATUS: "IN_PROGRESS",
            },
        )
        self._hubspot.complete_task(state.handoff.task_id)
        state.outcome = "sal"
        count("MQLsAccepted")
        self._speed_to_lead(state)
        self._store.record_journey(
            state.contact_id, state.journey_id, "sal", now, final=True, decision="accept"
        )
        return state

    def close(self, state: JourneyState) -> JourneyState:
        """The rep recycled or rejected the lead: record it on the contact and close the journey."""
        assert state.decision is not None and state.handoff is not None, "close runs after a decision"
        recycled = state.decision.decision is Decision.RECYCLE
        if recycled:
            # HubSpot only moves lifecyclestage forward: clear it, then set it back to lead.
            self._hubspot.update_contact(state.contact_id, {Prop.LIFECYCLE: ""})
        self._hubspot.update_contact(
            state.contact_id,
            {
                Prop.JOURNEY_STATUS: "recycled" if recycled else "rejected",
                Prop.LEAD_STATUS: "BAD_TIMING" if recycled else "UNQUALIFIED",
                **({Prop.LIFECYCLE: "lead", Prop.MQL_AT: ""} if recycled else {}),
            },
        )
        self._hubspot.complete_task(state.handoff.task_id)
        state.outcome = "recycled" if recycled else "rejected"
        count("MQLsRecycled" if recycled else "MQLsRejected", reason=state.decision.reason)
        self._speed_to_lead(state)
        self._store.record_journey(
            state.contact_id,
            state.journey_id,
            state.outcome,
            self._clock(),
            final=True,
            decision=state.decision.decision.value,
            reason=state.decision.reason,
        )
        return state
