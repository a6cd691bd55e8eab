"""A rep working a HubSpot Lead: its stage moves, as webhook events for object 0-136, become the
decisions and the SQL engagement of the journey that opened the lead."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final

from leadflow.app.intake.inputs import Delivered, JourneyInputs
from leadflow.app.ports import HubSpot, JourneyStore, Properties
from leadflow.core.config import LeadsConfig
from leadflow.core.journey_record import JourneyRecord, contact_of
from leadflow.core.lead_moves import lead_move
from leadflow.core.lifecycle import LeadProp, Prop
from leadflow.observability import logger

# What a lead says about its journey: where it is, why it was disqualified, whose it is.
LEAD_READ: Final = (LeadProp.STAGE, Prop.DECISION_REASON, Prop.JOURNEY_ID)


class LeadMoves:
    """Delivers what leads' stages say to their journeys."""

    def __init__(
        self, hubspot: HubSpot, journeys: JourneyStore, inputs: JourneyInputs, leads: LeadsConfig
    ) -> None:
        self._hubspot = hubspot
        self._journeys = journeys
        self._inputs = inputs
        self._leads = leads

    def read(self, lead_ids: Iterable[str]) -> dict[str, Properties]:
        """The leads as HubSpot holds them now (one batch read per 100): the event says what changed,
        the lead says where it stands (a reason set after the move completes it)."""
        return self._hubspot.read_leads(lead_ids, LEAD_READ)

    def deliver(
        self, lead_id: str, props: Mapping[str, str | None], moved_at: datetime
    ) -> tuple[Delivered, Delivered | None]:
        """What became of the decision, and of the SQL engagement when the stage means one.

        Nothing for a lead leadflow did not open, or whose journey has ended: leadflow's own moves
        of a lead when its journey ends come back as webhook events too.
        """
        record = self._journey(props.get(Prop.JOURNEY_ID) or "")
        move = lead_move(self._leads, props.get(LeadProp.STAGE) or "", props.get(Prop.DECISION_REASON) or "")
        if record is None or move is None:
            return Delivered.IGNORED, None
        if move.problem is not None:
            self._inputs.note(record.contact_id, f"decision not accepted yet: {move.problem}", lead_id)
            return Delivered.REFUSED, None
        assert move.decision is not None
        decided = self._inputs.decide(record, move.decision, move.reason, moved_at, lead_id)
        engaged = (
            self._inputs.engagement(record.contact_id, {}, "lead_qualified", moved_at, moved_at)
            if move.qualified
            else None
        )
        logger.info("lead moved", lead_id=lead_id, stage=props.get(LeadProp.STAGE), decision=decided)
        return decided, engaged

    def _journey(self, journey_id: str) -> JourneyRecord | None:
        """The open journey a lead was opened by, if it is still the contact's latest."""
        try:
            contact_id = contact_of(journey_id)
        except ValueError:
            return None
        record = self._journeys.latest_journey(contact_id)
        if (
            record is None
            or record.journey_id != journey_id
            or record.status is None
            or record.status.is_final
        ):
            return None
        return record
