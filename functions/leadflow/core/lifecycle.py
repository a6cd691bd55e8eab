"""HubSpot lifecycle stages and the leadflow contact properties the engine writes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
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
SQL: Final = "salesqualifiedlead"


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
    SQL_AT: Final = "leadflow_sql_at"
    TEAM: Final = "leadflow_team"
    ROUTED_BY: Final = "leadflow_routed_by"
    RECYCLE_UNTIL: Final = "leadflow_recycle_until"
    REJECTED_FINGERPRINT: Final = "leadflow_rejected_fingerprint"
    ESCALATIONS: Final = "leadflow_escalations"
    # HubSpot has no contact property for a call that reached the person; a workflow on the
    # call's outcome ("Connected") stamps this one, so a one-way attempt never makes an SQL.
    CONNECTED_CALL_AT: Final = "leadflow_connected_call_at"
    # The HubSpot Lead of a journey whose team hands off on leads (on the contact and the record).
    LEAD_ID: Final = "leadflow_lead_id"
    LIFECYCLE: Final = "lifecyclestage"
    OWNER: Final = "hubspot_owner_id"
    # HubSpot keeps the id of a contact's primary company on the contact.
    COMPANY_ID: Final = "associatedcompanyid"
    LEAD_STATUS: Final = "hs_lead_status"
    # HubSpot's record of the contacts merged into this one: their ids, ";"-separated.
    MERGED_IDS: Final = "hs_merged_object_ids"
    # HubSpot answers every read with the record's own id: a merged-away id reads as the survivor.
    OBJECT_ID: Final = "hs_object_id"


# The handoff packet: what scoring writes on every contact it scores.
PACKET: Final = (
    Prop.SCORE,
    Prop.FIT_SCORE,
    Prop.INTENT_SCORE,
    Prop.FIT_TIER,
    Prop.PERSONA,
    Prop.SCORE_DETAIL,
    Prop.INTENT_EVIDENCE,
    Prop.LAST_SIGNAL_AT,
    Prop.FAST_TRACK,
    Prop.DISQUALIFIED_BY,
)
# What deciding whether a contact may become an MQL (again) reads.
GATES: Final = (
    Prop.COMPANY_ID,
    Prop.LIFECYCLE,
    Prop.MQL_AT,
    Prop.MQL_REASON,
    Prop.JOURNEY_STATUS,
    Prop.RECYCLE_UNTIL,
    Prop.REJECTED_FINGERPRINT,
)


class LeadProp:
    """HubSpot's own properties of a Lead (object 0-136)."""

    NAME: Final = "hs_lead_name"
    LABEL: Final = "hs_lead_label"
    PIPELINE: Final = "hs_pipeline"
    STAGE: Final = "hs_pipeline_stage"


# The object type id HubSpot's generic webhook events give leads.
LEAD_OBJECT_TYPE: Final = "0-136"


def contact_ids(contact_id: str, props: Mapping[str, str | None]) -> list[str]:
    """Every id the contact has had: its own and those of the contacts merged into it, whose
    journeys are its journeys."""
    merged = [i.strip() for i in (props.get(Prop.MERGED_IDS) or "").split(";") if i.strip()]
    return [contact_id, *(i for i in merged if i != contact_id)]


def fingerprint(props: Mapping[str, str | None], names: Iterable[str]) -> str:
    """A short digest of a contact's data: a rejected lead re-enters only when this changes."""
    text = "\n".join(f"{name}={(props.get(name) or '').strip().casefold()}" for name in sorted(set(names)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
