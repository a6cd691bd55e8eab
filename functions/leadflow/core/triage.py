"""Which webhook events leadflow acts on, and what each one asks for."""

from __future__ import annotations

from enum import StrEnum

from leadflow.core.lifecycle import Prop
from leadflow.webhooks.events import WebhookEvent


class Action(StrEnum):
    """What an event asks of the lead-events function."""

    RESCORE = "rescore"
    DECISION = "decision"
    ENGAGEMENT = "engagement"


def triage(
    event: WebhookEvent,
    scored_properties: frozenset[str],
    engagement_properties: frozenset[str] = frozenset(),
) -> Action | None:
    """The action an event calls for, or None when leadflow ignores it.

    Changes leadflow makes itself (its own properties) are ignored, except the rep's
    decision and its reason, so leadflow's writes never feed back into a loop.
    """
    kind = event.subscription_type
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
