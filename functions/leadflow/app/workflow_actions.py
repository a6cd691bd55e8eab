"""leadflow's own custom workflow actions: "Score with leadflow" and "Hand off with leadflow".

"Score with leadflow" answers at once with the contact's score card. "Hand off with leadflow"
starts the contact's journey (or joins the one already running), answers BLOCK, and the journey
completes the callback when it ends (`journey.context.release_workflows`), with the outputs the
workflow branches on. A retried execution (HubSpot sends the same callbackId again when an
answer is late) finds the journey its first request tied it to, and never starts a second.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, Field, ValidationError

from leadflow.app.hubspot_requests import authenticate
from leadflow.app.intake.rescoring import Rescoring, mql_stamp, packet
from leadflow.app.intake.starts import journey_of, latest_journey_of, start_journey
from leadflow.app.ports import HubSpot, JourneyEngine, JourneyStore, Properties, SignalStore
from leadflow.app.refusals import MalformedRequest
from leadflow.core.clock import Clock
from leadflow.core.config import LeadflowConfig
from leadflow.core.journey_record import JourneyKey, is_open
from leadflow.core.journey_state import JourneyState
from leadflow.core.lifecycle import GATES, MQL, Prop, is_before_mql
from leadflow.core.scoring import ScoreCard
from leadflow.core.signals import unique
from leadflow.core.text import clip
from leadflow.core.workflow_outcome import journey_outcome, not_handed_off
from leadflow.observability import count, logger
from leadflow.webhooks.action_requests import ActionRequest
from leadflow.webhooks.json_body import JsonBodyError, read_json
from leadflow.webhooks.signature import SignedRequest
from leadflow.webhooks.validation import describe

Answer = dict[str, dict[str, str]]
# The hand-off's own MQL reason (its `reason` input): one line for the rep, not a document.
MAX_REASON = 500


def score_outputs(card: ScoreCard) -> dict[str, str]:
    """The "Score with leadflow" output fields."""
    return {
        "score": str(card.total),
        "fit_score": str(card.fit),
        "intent_score": str(card.intent),
        "tier": card.tier,
        "persona": card.persona,
        "reason": card.reason,
        "evidence": card.intent_evidence,
        "is_mql": "true" if card.is_mql else "false",
        "disqualified_by": card.disqualified_by,
    }


def handoff_days(config: LeadflowConfig) -> int:
    """How long "Hand off with leadflow" blocks a workflow: `workflows.handoff_days`, else the longest
    a journey can take, plus a day."""
    if config.workflows.handoff_days is not None:
        return math.ceil(config.workflows.handoff_days)
    return math.ceil(config.longest_journey_days) + 1


class WorkflowActions:
    """The custom workflow actions' use cases."""

    def __init__(
        self,
        config: LeadflowConfig,
        client_secret: Callable[[], str],
        hubspot: HubSpot,
        journeys: JourneyStore,
        signals: SignalStore,
        engine: JourneyEngine,
        clock: Clock,
        now_ms: Callable[[], int],
    ) -> None:
        self._config = config
        self._rescoring = Rescoring(config)
        self._secret = client_secret
        self._hubspot = hubspot
        self._journeys = journeys
        self._signals = signals
        self._engine = engine
        self._clock = clock
        self._now_ms = now_ms
        self._block = f"P{handoff_days(config)}D"

    def _read(self, request: SignedRequest) -> ActionRequest:
        authenticate(request, self._secret(), self._now_ms(), self._config.signatures.workflow_actions)
        try:
            action = ActionRequest.model_validate(read_json(request.body, replace=True))
        except JsonBodyError as exc:
            raise MalformedRequest(f"invalid action request: {exc}") from None
        except ValidationError as exc:
            raise MalformedRequest(f"invalid action request at {describe(exc)}") from None
        if action.object.object_type.upper() != "CONTACT":
            raise MalformedRequest(f"leadflow's actions work on contacts, not {action.object.object_type}")
        return action

    def _contact(self, action: ActionRequest, current: tuple[str, ...] = ()) -> Properties:
        """The contact's properties: those HubSpot sent (the definition asks for them all; else all are
        read), with `current` read as HubSpot holds them now, and its company's as `company.<name>`."""
        contact_id = str(action.object.object_id)
        props: Properties = dict(action.object.properties)
        wanted = set(current) if props else self._config.contact_properties
        if wanted:
            props |= self._hubspot.read_contacts([contact_id], wanted).get(contact_id, {})
        company_id, company_props = props.get(Prop.COMPANY_ID), self._config.scoring.company_properties
        if company_id and company_props:
            company = self._hubspot.read_companies([company_id], company_props).get(company_id, {})
            props |= {f"company.{k}": v for k, v in company.items()}
        return props

    def _card(self, contact_id: str, props: Properties, now: datetime) -> ScoreCard:
        """The score card from the stored signals and those the contact's own properties hold."""
        stored = self._signals.load_signals([contact_id]).get(contact_id, [])
        signals = unique(stored + self._rescoring.signals_in(contact_id, props, now))
        return self._rescoring.scorer.score(props, signals, now=now)

    def score(self, request: SignedRequest) -> Answer:
        """ "Score with leadflow": the contact's score card, at once."""
        action = self._read(request)
        contact_id = str(action.object.object_id)
        card = self._card(contact_id, self._contact(action), self._clock())
        count("WorkflowActionsScored")
        return {"outputFields": {**score_outputs(card), "hs_execution_state": "SUCCESS"}}

    def hand_off(self, request: SignedRequest) -> Answer:
        """ "Hand off with leadflow": block the workflow on the contact's journey, starting it if need be.

        The MQL gates are read as HubSpot holds them now (a retried request carries the values of its
        first attempt). The `sales_ready` input hands off a contact below leadflow's gates, if it has
        not gone past MQL yet.
        """
        action = self._read(request)
        contact_id, now = str(action.object.object_id), self._clock()
        claim = self._journeys.callback_journey(action.callback_id)
        if claim is not None:  # a retried execution: the journey its first request tied it to
            return self._wait_on(action, claim.key)
        latest = self._journeys.latest_journey(contact_id)
        if latest is not None and is_open(latest.status):
            return self._wait_on(action, latest.key)
        props = self._contact(action, GATES)
        due = journey_of(contact_id, props)
        if due is not None:
            return self._wait_on(action, due.key, due)
        card = self._card(contact_id, props, now)
        if card.is_mql and self._rescoring.may_become_mql(contact_id, props, now):
            reason = card.reason
        elif not action.flag("sales_ready"):
            return {"outputFields": not_handed_off(card.disqualified_by or "below the MQL gates")}
        elif not is_before_mql(stage := props.get(Prop.LIFECYCLE)) and stage != MQL:
            return {"outputFields": not_handed_off(f"lifecycle stage {stage} is past MQL")}
        else:
            reason = clip(
                str(action.input_fields.get("reason") or "handed off by a HubSpot workflow"), MAX_REASON
            )
        stamp = {**packet(card), **mql_stamp(reason, now)}
        due = journey_of(contact_id, {**props, **stamp})
        assert due is not None, "a stamped MQL is due its journey"
        return self._wait_on(action, due.key, due, stamp)

    def _wait_on(
        self,
        action: ActionRequest,
        key: JourneyKey,
        due: JourneyState | None = None,
        stamp: dict[str, str] | None = None,
    ) -> Answer:
        """Tie the execution to the journey, stamp and start the journey when it is due, and answer BLOCK;
        a journey that has ended answers its outcome.

        The tie comes first, with the work it sets out to do: a request that fails after it (a timeout, a
        throttled StartExecution) leaves that work on the tie, and HubSpot's retry of the same callbackId
        does it (both writes are idempotent) instead of blocking the workflow on a journey that never
        started. A retry of a request that finished finds no work left and only answers.
        """
        work = None if due is None else _work(due, stamp or {})
        claim = self._journeys.claim_callback(action.callback_id, key, work)
        if not self._journeys.join(claim.key, action.callback_id):
            ended = self._journeys.journey(claim.key)
            return {"outputFields": journey_outcome(ended) if ended else not_handed_off("journey not found")}
        if claim.work is not None:
            self._do(claim.work)
            self._journeys.callback_work_done(action.callback_id)
        count("WorkflowHandoffs")
        return {"outputFields": {"hs_execution_state": "BLOCK", "hs_expiration_duration": self._block}}

    def _do(self, work: str) -> None:
        """Stamp the contact as an MQL (when the hand-off made it one) and start its journey."""
        todo = HandoffWork.model_validate_json(work)
        if todo.stamp:
            self._hubspot.update_contact(todo.state.contact_id, todo.stamp)
            logger.info(
                "handed off by a workflow",
                contact_id=todo.state.contact_id,
                reason=todo.stamp[Prop.MQL_REASON],
            )
        start_journey(self._engine, todo.state, latest_journey_of(self._journeys, todo.state.contact_id, {}))


class HandoffWork(BaseModel):
    """What a hand-off sets out to do: the MQL stamp to write (none for a contact already an MQL) and the
    journey to start."""

    state: JourneyState
    stamp: dict[str, str] = Field(default_factory=dict)


def _work(due: JourneyState, stamp: dict[str, str]) -> str:
    return HandoffWork(state=due, stamp=stamp).model_dump_json()
