"""What every journey step shares: the configuration, the ports, the clock, and the common tails.

A step is a few lines of its own decisions over these: the journey record, a task created
once per handoff, a note on the contact's timeline, a notification, and the deadline of the
next wait in the owner's business hours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from leadflow.app.ports import (
    EventQueue,
    HubSpot,
    HubSpotError,
    HubSpotRateLimited,
    HubSpotUnavailable,
    JourneyEngine,
    JourneyStore,
    Notifier,
    RoutingLedger,
)
from leadflow.core import sla
from leadflow.core.calendar import WorkCalendar
from leadflow.core.clock import Clock
from leadflow.core.config import LeadflowConfig, Member, TeamConfig
from leadflow.core.journey_record import JourneyFields, JourneyRecord, JourneyStatus
from leadflow.core.journey_state import Handoff, JourneyState, NextEscalation
from leadflow.core.lifecycle import LeadProp, Prop
from leadflow.core.routing import Owner, member_by_email
from leadflow.core.workflow_outcome import CallbackCompletion, journey_outcome
from leadflow.observability import logger


class RoutingError(RuntimeError):
    """Nobody can own the lead: not even the team's fallback owner is an active HubSpot owner."""


@dataclass(frozen=True)
class StepContext:
    """The configuration, the ports and the clock the steps run on."""

    config: LeadflowConfig
    hubspot: HubSpot
    store: JourneyStore
    ledger: RoutingLedger
    # Built on first use: most steps never resume a wait, notify nor release a workflow, and each
    # client costs a cold start (a Step Functions client alone about 50 ms).
    engine: Callable[[], JourneyEngine]
    notifier: Callable[[], Notifier]
    queue: Callable[[], EventQueue]
    clock: Clock

    def owners(self, fresh: bool = False) -> dict[str, Owner]:
        """Active HubSpot owners by lower-case email."""
        return {o.email: o for o in self.hubspot.list_owners(fresh=fresh) if o.active}

    def fallback_owner(self, team: TeamConfig, owners: dict[str, Owner]) -> Owner:
        """The team's fallback owner, who must be an active HubSpot owner."""
        owner = owners.get(team.fallback_owner.lower())
        if owner is None:
            # The owners list is cached; the last resort is worth one fresh read before failing.
            owner = self.owners(fresh=True).get(team.fallback_owner.lower())
        if owner is None:
            raise RoutingError(f"fallback owner {team.fallback_owner} is not an active HubSpot owner")
        return owner

    def team(self, state: JourneyState) -> tuple[TeamConfig, Member | None]:
        """The lead's team and the member who owns it now (None: an owner outside the rotation)."""
        assert state.assignment is not None, "runs after route"
        team = self.config.routing.teams.get(state.assignment.team)
        if team is None:
            raise RoutingError(
                f"journey {state.journey_id} belongs to team {state.assignment.team!r}, which "
                "routing.teams no longer has: put the team back in the configuration, then resume"
            )
        return team, member_by_email(team, state.assignment.owner_email)

    def deadline(self, calendar: WorkCalendar, now: datetime, hours: float) -> tuple[datetime, int]:
        """The due time `hours` of working time after `now`, and the seconds the wait until it lasts."""
        return sla.deadline(calendar, now, hours)

    def next_escalation(self, taken: int) -> NextEscalation:
        """What the next missed deadline leads to after `taken` escalations: a ladder step or the fallback."""
        return sla.next_escalation(self.config.sla, taken)

    def recorded(self, state: JourneyState) -> JourneyRecord:
        """The journey's record as stored now (an empty one before Route wrote it)."""
        found = self.store.journey(state.key)
        return found or JourneyRecord(contact_id=state.contact_id, journey_id=state.journey_id)

    def record(self, state: JourneyState, status: JourneyStatus, fields: JourneyFields) -> JourneyRecord:
        """A transition on the journey record, stamped now; the record after it."""
        return self.store.record_journey(state.key, status, self.clock(), fields)

    def release_workflows(self, state: JourneyState, record: JourneyRecord) -> None:
        """Let every workflow blocked on this journey ("Hand off with leadflow") go on with its outcome.

        The completions go through the lead-events queue, whose redelivery and dead-letter queue
        retry HubSpot's callbacks API until it answers; the journey does not wait for it.
        """
        if not record.callbacks:
            return
        outputs = journey_outcome(record)
        ids = sorted(record.callbacks)
        self.queue().send(completions=[CallbackCompletion(callback_id=c, output_fields=outputs) for c in ids])
        self.store.drop_callbacks(state.key, ids)

    def task_once(
        self, state: JourneyState, create: Callable[[], str], recorded: JourneyRecord | None = None
    ) -> str:
        """Create the task for this handoff (one per escalation count) unless a retried step already did.

        The id is kept on the journey record the moment the task exists, so a step that fails
        later (say, writing its note) and is retried by Step Functions reuses it. `recorded` is
        the journey record when the step has just read it.
        """
        kept = (recorded or self.recorded(state)).tasks.get(state.escalations)
        if kept:
            return kept
        task_id = create()
        self.store.remember(state.key, JourneyFields(tasks={state.escalations: task_id}))
        return task_id

    def complete_task(self, state: JourneyState, task_id: str) -> None:
        """Complete a task; one a rep deleted in HubSpot has nothing left to complete (noted, not failed)."""
        if not self.unless_deleted(state, lambda: self.hubspot.complete_task(task_id)):
            self.note(state, f"the task {task_id} was deleted in HubSpot; the journey goes on without it")

    def update_lead(self, state: JourneyState, properties: dict[str, str]) -> None:
        """Write to the journey's lead (when it has one); a lead a rep deleted is noted and left alone."""
        lead_id = state.lead_id
        if lead_id and not self.unless_deleted(state, lambda: self.hubspot.update_lead(lead_id, properties)):
            self._lead_deleted(state, lead_id)

    def linked(self, state: JourneyState, create: Callable[[str | None], str]) -> str:
        """Create a record associated with the journey's lead (when it has one). HubSpot refuses an
        association with a record it no longer has, so when the lead was deleted, the record is made
        without it and the journey goes on on the contact: no extra call unless the create fails."""
        lead_id = state.lead_id
        try:
            return create(lead_id)
        except HubSpotError as exc:
            retryable = isinstance(exc, (HubSpotRateLimited, HubSpotUnavailable))
            if not lead_id or retryable or lead_id in self.hubspot.read_leads([lead_id], [LeadProp.STAGE]):
                raise
        self._lead_deleted(state, lead_id)
        return create(None)

    def _lead_deleted(self, state: JourneyState, lead_id: str) -> None:
        state.lead_id = None
        self.note(state, f"the lead {lead_id} was deleted in HubSpot; the journey goes on on the contact")

    @staticmethod
    def unless_deleted(state: JourneyState, write: Callable[[], object]) -> bool:
        """Run a write to a record HubSpot may no longer have; False when it answered 404 (deleted)."""
        try:
            write()
        except HubSpotError as exc:
            if not exc.not_found:
                raise
            logger.warning("record deleted in HubSpot", contact_id=state.contact_id, error=str(exc))
            return False
        return True

    def note(self, state: JourneyState, text: str) -> None:
        """A note on the contact's (and lead's) timeline: every routing decision and escalation explains
        itself."""
        self.linked(
            state,
            lambda lead: self.hubspot.create_note(state.contact_id, note_body(text), self.clock(), lead),
        )

    def notify(self, subject: str, text: str) -> None:
        """Tell the team's channels (best effort: a dead endpoint cannot stall a lead)."""
        self.notifier().send(subject, text)


@dataclass(frozen=True)
class Handover:
    """A step that (re)opens the wait for a decision: by when, what the timeline says, what changes."""

    status: JourneyStatus
    due_at: datetime
    seconds: int
    note: str
    next_escalation: NextEscalation
    # The owner's new task (subject, body); None keeps the current task and moves its due date.
    new_task: tuple[str, str] | None = None
    contact: dict[str, str] = field(default_factory=dict)
    # What changes on the journey's lead, when it has one (its owner, when the lead changes hands).
    lead: dict[str, str] = field(default_factory=dict)
    fields: JourneyFields = field(default_factory=JourneyFields)


def note_body(text: str) -> str:
    """A journey note as it reads on the timeline: signed by leadflow."""
    return f"leadflow: {text}"


def hand_over(
    ctx: StepContext, state: JourneyState, handover: Handover, recorded: JourneyRecord | None = None
) -> None:
    """The tail of HandOff, every escalation step and the fallback: task, contact, lead, note, wait, record.

    A retried step reuses the task it created (`task_once`); the previous task is completed
    when the lead gets a new one.
    """
    assert state.assignment is not None, "runs after route"
    due_at = handover.due_at
    if handover.new_task is not None:
        if state.handoff is not None:
            ctx.complete_task(state, state.handoff.task_id)
        task_id = _new_task(ctx, state, handover.new_task, due_at, recorded)
    else:
        assert state.handoff is not None, "a kept task exists"
        task_id = state.handoff.task_id
        if not ctx.unless_deleted(state, lambda: ctx.hubspot.reschedule_task(task_id, due_at)):
            # The rep deleted the SLA task: the lead still needs its decision, so it gets a new one.
            ctx.note(
                state,
                f"the task {task_id} was deleted in HubSpot; a new one is due {due_at:%Y-%m-%d %H:%M} UTC",
            )
            subject = f"MQL still waiting for your accept / recycle / reject (score {state.score})"
            task_id = _new_task(ctx, state, (subject, handover.note), due_at, recorded)
    ctx.hubspot.update_contact(state.contact_id, contact_changes(state, handover))
    if handover.lead:
        ctx.update_lead(state, handover.lead)
    ctx.note(state, handover.note)
    handed_over(ctx, state, handover, task_id)


def contact_changes(state: JourneyState, handover: Handover) -> dict[str, str]:
    """What a hand-over writes on the contact: its own changes, the SLA deadline and the escalations."""
    return {
        **handover.contact,
        Prop.SLA_DUE_AT: handover.due_at.isoformat(timespec="seconds"),
        Prop.ESCALATIONS: str(state.escalations),
    }


def handed_over(ctx: StepContext, state: JourneyState, handover: Handover, task_id: str) -> None:
    """The end of a hand-over, its HubSpot writes done: the state waits on `task_id`, the record says so."""
    due_at = handover.due_at
    state.handoff = Handoff(task_id=task_id, due_at=due_at, timeout_seconds=handover.seconds)
    state.next_escalation = handover.next_escalation
    fields = handover.fields.model_copy(
        update={"task_id": task_id, "sla_due_at": due_at, "escalations": state.escalations}
    )
    ctx.record(state, handover.status, fields)


def _new_task(
    ctx: StepContext,
    state: JourneyState,
    task: tuple[str, str],
    due_at: datetime,
    recorded: JourneyRecord | None,
) -> str:
    """The owner's task for this handoff, created once (see `task_once`)."""
    assert state.assignment is not None
    owner_id, (subject, body) = state.assignment.owner_id, task
    return ctx.task_once(
        state,
        lambda: ctx.linked(
            state,
            lambda lead: ctx.hubspot.create_task(
                state.contact_id, owner_id, subject=subject, body=body, due_at=due_at, lead_id=lead
            ),
        ),
        recorded,
    )
