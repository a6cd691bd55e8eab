"""HubSpot lifecycle stages and the leadflow contact properties the engine writes."""

from __future__ import annotations

from typing import Final

# HubSpot's default lifecycle stages in their forward order.
STAGES: Final = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
MQL: Final = "marketingqualifiedlead"


def is_before_mql(stage: str | None) -> bool:
    """Whether a contact in this lifecycle stage can still become an MQL."""
    return not stage or stage in ("subscriber", "lead")


class Prop:
    """Names of the contact properties leadflow owns (created by `leadflow hubspot bootstrap`)."""

    SCORE: Final = "leadflow_score"
    SCORE_DETAIL: Final = "leadflow_score_detail"
    FIT_SCORE: Final = "leadflow_fit_score"
    INTENT_SCORE: Final = "leadflow_intent_score"
    FIT_TIER: Final = "leadflow_fit_tier"
    PERSONA: Final = "leadflow_persona"
    INTENT_EVIDENCE: Final = "leadflow_intent_evidence"
    LAST_SIGNAL_AT: Final = "leadflow_last_signal_at"
    FAST_TRACK: Final = "leadflow_fast_track"
    DISQUALIFIED_BY: Final = "leadflow_disqualified_by"
    MQL_REASON: Final = "leadflow_mql_reason"
    MQL_AT: Final = "leadflow_mql_at"
    JOURNEY_ID: Final = "leadflow_journey_id"
    JOURNEY_STATUS: Final = "leadflow_journey_status"
    SLA_DUE_AT: Final = "leadflow_sla_due_at"
    DECISION: Final = "leadflow_decision"
    DECISION_REASON: Final = "leadflow_decision_reason"
    SAL_AT: Final = "leadflow_sal_at"
    ESCALATIONS: Final = "leadflow_escalations"
    LIFECYCLE: Final = "lifecyclestage"
    OWNER: Final = "hubspot_owner_id"
    LEAD_STATUS: Final = "hs_lead_status"
