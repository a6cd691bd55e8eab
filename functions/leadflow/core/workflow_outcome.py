"""What a HubSpot workflow blocked on "Hand off with leadflow" learns when the journey ends.

The output fields are the ones the action's definition declares, all strings (HubSpot's
callbacks API takes a map of strings), so a workflow can branch on `outcome` and copy the rest
to properties.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict

from leadflow.core.decisions import sql_path
from leadflow.core.journey_state import JourneyState

# What a journey's end is called in the `outcome` output (and what the branches are named).
OUTCOMES: Final = ("sql", "recycled", "rejected", "no_response", "failed", "not_mql")
OUTPUT_FIELDS: Final = (
    "outcome",
    "reason",
    "owner_email",
    "owner_id",
    "team",
    "sql_path",
    "deal_id",
    "hours_to_decision",
)


class CallbackCompletion(BaseModel):
    """A blocked workflow action to let go on, with the outputs the workflow branches on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    callback_id: str
    output_fields: dict[str, str]


def journey_outcome(state: JourneyState, failed: bool = False) -> dict[str, str]:
    """The output fields of a journey that ended (or failed): how, why, with whom, and how fast."""
    decision = state.decision
    if failed:
        outcome = "failed"
    elif state.outcome == "recycled" and decision is not None and decision.reason == "no_response":
        outcome = "no_response"
    else:
        outcome = state.outcome
    hours = ""
    if decision is not None and not decision.automatic:
        hours = f"{max(0.0, (decision.decided_at - state.mql_at).total_seconds()) / 3600:.1f}"
    chosen = state.assignment
    return {
        "hs_execution_state": "SUCCESS",
        "outcome": outcome,
        "reason": (state.failure.error if failed and state.failure else decision.reason if decision else ""),
        "owner_email": chosen.owner_email if chosen else "",
        "owner_id": chosen.owner_id if chosen else "",
        "team": chosen.team if chosen else "",
        "sql_path": sql_path(state.sql_policy, state.direct_sql) if state.outcome == "sql" else "",
        "deal_id": state.deal_id or "",
        "hours_to_decision": hours,
    }
