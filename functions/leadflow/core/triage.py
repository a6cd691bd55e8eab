"""Which webhook events leadflow acts on, and what each one asks for."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from leadflow.core.lifecycle import LEAD_OBJECT_TYPE, LeadProp, Prop
from leadflow.webhooks.events import WebhookEvent


class Action(StrEnum):
    """What an event asks of the lead-events function."""

    RESCORE = "rescore"
    DECISION = "decision"
    ENGAGEMENT = "engagement"
    LEAD_MOVE = "lead_move"


# Generic subscriptions name the object by its type id; contacts are "0-1"
# (https://developers.hubspot.com/changelog/public-beta-generic-webhook-subscriptions).
CONTACT_OBJECT_TYPE: Final = "0-1"
# A lead's stage, and the reason a rep gives for disqualifying it, are the rep's decisions.
LEAD_PROPERTIES: Final = (LeadProp.STAGE, Prop.DECISION_REASON)
_GENERIC: Final = {"object.creation": "contact.creation", "object.propertyChange": "contact.propertyChange"}


def triage(
    event: WebhookEvent,
    scored_properties: frozenset[str],
    engagement_properties: frozenset[str] = frozenset(),
) -> Action | None:
    """The action an event calls for, or None when leadflow ignores it.

    Changes leadflow makes itself (its own properties) are ignored, except the rep's
    decision and its reason, so leadflow's writes never feed back into a loop. A contact's
    generic event (`object.*` of type 0-1) means what its legacy `contact.*` form does.
    """
    kind = event.subscription_type
    if kind in _GENERIC:
        if event.object_type_id == LEAD_OBJECT_TYPE:
            moved = kind == "object.propertyChange" and event.property_name in LEAD_PROPERTIES
            return Action.LEAD_MOVE if moved else None
        if event.object_type_id != CONTACT_OBJECT_TYPE:
            return None
        kind = _GENERIC[kind]
    if kind == "contact.creation":
        return Action.RESCORE
    if kind == "contact.propertyChange":
        if event.property_name in (Prop.DECISION, Prop.DECISION_REASON):
            return Action.DECISION if event.property_value else None
        if event.property_name in engagement_properties:
            return Action.ENGAGEMENT if event.property_value else None
        if event.property_name in scored_properties:
            return Action.RESCORE
    return None
