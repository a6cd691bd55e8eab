"""What a rep's move of a HubSpot Lead means to the journey: pure rules over `journey.leads`.

A team that hands off on leads decides by working the lead in the prospecting workspace:
moving it to a stage is the decision (or the SQL engagement) the contact's `leadflow_decision`
is for other teams.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.core.config import LeadsConfig
from leadflow.core.decisions import ALL_REASONS, REASONS, Decision


@dataclass(frozen=True)
class LeadMove:
    """What a lead in a stage says: a decision (with its reason), whether it is the SQL engagement,
    or the problem that keeps it from saying anything yet."""

    decision: Decision | None = None
    reason: str = ""
    qualified: bool = False
    problem: str | None = None


def _disqualified(reason: str) -> LeadMove:
    """Disqualified means recycle or reject: the reason code says which."""
    for decision in (Decision.REJECT, Decision.RECYCLE):
        if reason in REASONS[decision]:
            return LeadMove(decision=decision, reason=reason)
    codes = ", ".join(ALL_REASONS)
    if not reason:
        return LeadMove(
            problem=f"a disqualified lead needs a reason: set 'Decision reason' on the lead to one of {codes}"
        )
    return LeadMove(problem=f"{reason!r} is not a decision reason: use one of {codes}")


def lead_move(config: LeadsConfig, stage: str, reason: str) -> LeadMove | None:
    """What a lead in `stage` (with `reason` in leadflow_decision_reason) means; None: nothing
    (its first stage, or a stage the configuration gives no meaning).

    A lead moved straight to Qualified was accepted on the way, so it is both the acceptance
    and the SQL engagement.
    """
    meaning = config.moves.get(stage)
    if meaning == "accept":
        return LeadMove(decision=Decision.ACCEPT)
    if meaning == "qualified":
        return LeadMove(decision=Decision.ACCEPT, qualified=True)
    if meaning == "disqualified":
        return _disqualified(reason.strip().lower())
    return None
