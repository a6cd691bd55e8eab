"""What an SQL's deal says (its name and the handoff packet in its description), and whom a lead names."""

from __future__ import annotations

from typing import Final

from leadflow.core.journey_state import JourneyState
from leadflow.core.lifecycle import Prop

# What the deal's description repeats from the handoff packet on the contact.
PACKET: Final = (
    Prop.MQL_REASON,
    Prop.FIT_SCORE,
    Prop.INTENT_SCORE,
    Prop.FIT_TIER,
    Prop.PERSONA,
    Prop.INTENT_EVIDENCE,
    Prop.LAST_SIGNAL_AT,
)
_HOW: Final = {
    "fast_track": "fast track (high-intent ICP inbound)",
    "meeting_booked": "a booked meeting",
    "engagement_required": "acceptance plus a two-way engagement",
}


def person_name(contact_id: str, props: dict[str, str | None]) -> str:
    """The contact's name, else its email, else "Contact <id>"."""
    name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
    return name or props.get("email") or f"Contact {contact_id}"


def deal_name(contact_id: str, props: dict[str, str | None]) -> str:
    """ "<company> - <person>", as far as the contact tells them."""
    company = props.get("company")
    return f"{company} - {person_name(contact_id, props)}" if company else person_name(contact_id, props)


def deal_description(state: JourneyState, props: dict[str, str | None], path: str) -> str:
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
    engaged = f" ({state.engagement.kind.replace('_', ' ')})" if state.engagement else ""
    lines.append(f"SQL by {_HOW[path]}{engaged}; MQL at {state.mql_at.isoformat(timespec='minutes')}")
    if state.assignment is not None and state.assignment.why:
        lines.append(f"Routing: {state.assignment.why}")
    return "\n".join(lines)
