"""The HubSpot Lead of a team that hands off on leads: opened once per journey, closed with it.

Sales Hub reps work leads (object 0-136) in the prospecting workspace, so for their teams the
handoff is a lead in the configured pipeline's first stage, owned by the routed rep, labelled
by the ICP tier and carrying the handoff packet; the journey's end moves it to the Qualified
or Disqualified stage.
"""

from __future__ import annotations

from typing import Final

from leadflow.app.journey.context import StepContext
from leadflow.app.journey.deal_packet import PACKET, person_name
from leadflow.core.journey_record import JourneyFields, JourneyRecord
from leadflow.core.journey_state import JourneyState
from leadflow.core.lifecycle import LeadProp, Prop

# What the lead repeats of the handoff packet on the contact, so the rep sees why without leaving it.
LEAD_PACKET: Final = (Prop.SCORE, *PACKET)
_CONTACT_READ: Final = ("firstname", "lastname", "email", Prop.COMPANY_ID, *LEAD_PACKET)


def open_lead(ctx: StepContext, state: JourneyState, recorded: JourneyRecord) -> str:
    """The journey's lead: the one it recorded, else the contact's lead stamped with the journey, else
    a new one. One lead per journey whatever is retried.

    The contact's leads are looked up before every create, not only on a retry: HandOff is also
    re-entered after a repair with a fresh retry count, and a second lead would sit in the rep's
    workspace. A contact without leads costs one association read.
    """
    assert state.assignment is not None, "runs after route"
    lead_id = recorded.lead_id or ctx.hubspot.lead_of_journey(state.contact_id, state.journey_id)
    if lead_id is None:
        props = ctx.hubspot.read_contacts([state.contact_id], _CONTACT_READ).get(state.contact_id, {})
        leads = ctx.config.journey.leads
        label = leads.label(props.get(Prop.FIT_TIER))
        properties = {
            # "Must have a lead name" (https://developers.hubspot.com/docs/api-reference/latest/crm/
            # objects/leads/guide): HubSpot names leads after their contact.
            LeadProp.NAME: person_name(state.contact_id, props),
            LeadProp.PIPELINE: leads.pipeline,
            LeadProp.STAGE: leads.stage,
            Prop.OWNER: state.assignment.owner_id,
            Prop.JOURNEY_ID: state.journey_id,
            Prop.TEAM: state.assignment.team,
            **{p: str(v) for p in LEAD_PACKET if (v := props.get(p))},
            **({LeadProp.LABEL: label} if label else {}),
        }
        lead_id = ctx.hubspot.create_lead(state.contact_id, props.get(Prop.COMPANY_ID) or None, properties)
    if recorded.lead_id != lead_id:
        # Kept at once: a retried HandOff reuses it without asking HubSpot.
        ctx.store.remember(state.key, JourneyFields(lead_id=lead_id))
    return lead_id


def move_lead(
    ctx: StepContext, state: JourneyState, stage: str, properties: dict[str, str] | None = None
) -> None:
    """Move the journey's lead (when it has one) to `stage`, with more properties."""
    ctx.update_lead(state, {LeadProp.STAGE: stage, **(properties or {})})
