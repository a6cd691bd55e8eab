"""Starting a contact's journey once it is an MQL: one journey at a time, never twice for one MQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from leadflow.app.ports import JourneyEngine, JourneyStore, Properties
from leadflow.core.journey_record import JourneyRecord, execution_name, is_open, mql_time
from leadflow.core.journey_state import JourneyState
from leadflow.core.lifecycle import MQL, Prop, contact_ids
from leadflow.observability import logger


def journey_of(contact_id: str, props: Properties, routed: Collection[str] = ()) -> JourneyState | None:
    """The journey an MQL contact is due, or None when it is no MQL or its journey has begun. With
    `routed` (the properties routing reads, all among `props`), the journey carries them, so Route
    need not read the contact from HubSpot again."""
    mql_at = props.get(Prop.MQL_AT)
    if props.get(Prop.LIFECYCLE) != MQL or not mql_at or props.get(Prop.JOURNEY_STATUS):
        return None
    stamped = datetime.fromisoformat(mql_at.replace("Z", "+00:00"))
    return JourneyState(
        journey_id=execution_name(contact_id, stamped),
        contact_id=contact_id,
        mql_at=stamped,
        score=int(props.get(Prop.SCORE) or 0),
        mql_reason=props.get(Prop.MQL_REASON) or "",
        fast_track=props.get(Prop.FAST_TRACK) == "true",
        lead_properties={p: props.get(p) for p in sorted(routed)} if routed else None,
    )


def latest_journey_of(journeys: JourneyStore, contact_id: str, props: Properties) -> JourneyRecord | None:
    """The contact's latest journey, an open one first. A contact HubSpot merged others into has
    their journeys too: one may have begun under a merged-away id."""
    found = [r for i in contact_ids(contact_id, props) if (r := journeys.latest_journey(i)) is not None]
    running = [r for r in found if r.status is None or is_open(r.status)]
    return max(running or found, key=lambda r: mql_time(r.journey_id), default=None)


def start_journey(engine: JourneyEngine, state: JourneyState, latest: JourneyRecord | None) -> bool:
    """Start the journey unless `latest` (the contact's latest journey, see `latest_journey_of`) is
    another one still open; whether it started now.

    The execution name is deterministic, so a redelivered MQL starts nothing the second time.
    """
    if latest and is_open(latest.status) and latest.journey_id != state.journey_id:
        # One journey at a time: HubSpot's lifecycle was moved by hand while one was open.
        logger.warning("a journey is already open; not starting another", contact_id=state.contact_id)
        return False
    return engine.start(state.journey_id, state.model_dump_json())
