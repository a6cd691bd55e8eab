"""`leadflow hubspot bootstrap`: create leadflow's contact, deal and lead properties, idempotently.

It only ever adds or corrects: a missing group or property is created, one whose label,
description, group or options drifted is patched back, nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final

from leadflow.adapters.hubspot_api import HubSpotApi, pipelines_path, properties_path
from leadflow.app.journey.leads import LEAD_PACKET
from leadflow.app.ports import HubSpotError
from leadflow.core.config import LeadsConfig
from leadflow.core.decisions import ALL_REASONS
from leadflow.core.journey_record import JourneyStatus
from leadflow.core.lifecycle import Prop

GROUP = "leadflow"
GROUP_LABEL = "leadflow"


@dataclass(frozen=True)
class PropertySpec:
    """One custom property leadflow reads or writes (on contacts unless it says otherwise)."""

    name: str
    label: str
    description: str
    type: str = "string"
    field_type: str = "text"
    options: tuple[str, ...] = ()
    object_type: str = "contacts"

    @property
    def qualified_name(self) -> str:
        """The name as reports show it: deal properties as `deals.<name>`."""
        return self.name if self.object_type == "contacts" else f"{self.object_type}.{self.name}"


def _enum(
    name: str, label: str, description: str, options: tuple[str, ...], field_type: str = "select"
) -> PropertySpec:
    return PropertySpec(name, label, description, "enumeration", field_type, options)


def _number(name: str, label: str, description: str) -> PropertySpec:
    return PropertySpec(name, label, description, "number", "number")


def _time(name: str, label: str, description: str) -> PropertySpec:
    return PropertySpec(name, label, description, "datetime", "date")


PROPERTIES: tuple[PropertySpec, ...] = (
    _number(Prop.SCORE, "leadflow score", "Fit plus intent score leadflow computed."),
    PropertySpec(
        Prop.SCORE_DETAIL,
        "leadflow score detail",
        "Every rule that scored, with its evidence.",
        field_type="textarea",
    ),
    _number(Prop.FIT_SCORE, "leadflow fit score", "How well the contact and company match the ICP."),
    _number(
        Prop.INTENT_SCORE, "leadflow intent score", "Buying intent from recent signals, decayed with age."
    ),
    _enum(Prop.FIT_TIER, "ICP fit tier", "A, B or C by fit score.", ("A", "B", "C")),
    PropertySpec(Prop.PERSONA, "Primary persona", "The persona the contact's title matches."),
    PropertySpec(
        Prop.INTENT_EVIDENCE,
        "Intent evidence",
        "One or two sentences of the strongest intent signals.",
        field_type="textarea",
    ),
    _time(Prop.LAST_SIGNAL_AT, "Last qualifying signal", "When the most recent qualifying signal happened."),
    _enum(
        Prop.FAST_TRACK,
        "Fast track to SQL",
        "High-intent ICP inbound lead marked for direct SQL.",
        ("true", "false"),
        field_type="booleancheckbox",
    ),
    PropertySpec(
        Prop.DISQUALIFIED_BY, "Disqualified by", "The disqualifier that ruled the contact out, if any."
    ),
    PropertySpec(Prop.MQL_REASON, "MQL reason", "The single strongest trigger that made the contact an MQL."),
    _time(Prop.MQL_AT, "MQL date", "When leadflow made the contact a marketing qualified lead."),
    PropertySpec(Prop.JOURNEY_ID, "leadflow journey", "The Step Functions execution carrying this lead."),
    _enum(
        Prop.JOURNEY_STATUS,
        "Journey status",
        "Where the lead is in leadflow's MQL to SAL to SQL journey.",
        tuple(s.value for s in JourneyStatus if s not in (JourneyStatus.ROUTED, JourneyStatus.ESCALATED)),
    ),
    _time(Prop.SLA_DUE_AT, "SLA due", "When the owner's accept / recycle / reject decision is due."),
    _enum(
        Prop.DECISION,
        "leadflow decision",
        "The owner's decision on this MQL; setting it resumes the journey.",
        ("accept", "recycle", "reject"),
    ),
    _enum(
        Prop.DECISION_REASON,
        "Decision reason",
        "Why the owner recycled or rejected the lead.",
        ALL_REASONS,
    ),
    _time(Prop.SAL_AT, "SAL date", "When the owner accepted the lead (sales accepted)."),
    _time(
        Prop.CONNECTED_CALL_AT,
        "Last connected call",
        "When a call with this contact last connected (set by a workflow on the call outcome).",
    ),
    _time(Prop.SQL_AT, "SQL date", "When the lead became sales qualified (and its deal was created)."),
    PropertySpec(Prop.TEAM, "leadflow team", "The team the routing rules sent the lead to."),
    PropertySpec(
        Prop.ROUTED_BY, "Routed by", "What chose the owner: a routing rule, account_owner, or fallback."
    ),
    _time(Prop.RECYCLE_UNTIL, "Recycle cooldown until", "A recycled lead cannot become an MQL before this."),
    PropertySpec(
        Prop.REJECTED_FINGERPRINT,
        "Rejected data fingerprint",
        "The contact's data when it was rejected: it re-enters only after this data changes.",
    ),
    _number(Prop.ESCALATIONS, "SLA escalations", "How many times the lead was reassigned for a missed SLA."),
    PropertySpec(
        Prop.LEAD_ID,
        "leadflow lead",
        "The HubSpot Lead leadflow opened for this contact's journey (teams that hand off on leads).",
    ),
    PropertySpec(
        Prop.JOURNEY_ID,
        "leadflow journey",
        "The lead journey whose SQL created this deal (a retried step finds the deal by it).",
        object_type="deals",
    ),
)

_BY_NAME: Final = {spec.name: spec for spec in PROPERTIES}
# What a lead carries: the handoff packet, its journey (a retried step finds the lead by it), the
# team, and the reason its rep disqualified it (which makes the disqualification a recycle or a reject).
LEAD_PROPERTIES: Final = (
    *(
        replace(_BY_NAME[name], object_type="leads")
        for name in (*LEAD_PACKET, Prop.TEAM, Prop.DECISION_REASON)
    ),
    PropertySpec(
        Prop.JOURNEY_ID,
        "leadflow journey",
        "The lead journey that opened this lead; its stage moves are the rep's decisions.",
        object_type="leads",
    ),
)


class BootstrapError(RuntimeError):
    """HubSpot refused a request; the message names what (never the token)."""


@dataclass
class BootstrapReport:
    """What bootstrap did (or, in a dry run, would do)."""

    group_created: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _options(spec: PropertySpec) -> list[dict[str, Any]]:
    return [{"label": o, "value": o, "displayOrder": i, "hidden": False} for i, o in enumerate(spec.options)]


def _drift(spec: PropertySpec, current: dict[str, Any]) -> bool:
    options = tuple(o["value"] for o in current.get("options") or [])
    return (current.get("label"), current.get("description") or "", current.get("groupName"), options) != (
        spec.label,
        spec.description,
        GROUP,
        spec.options,
    )


def _refused(exc: HubSpotError, what: str) -> BootstrapError:
    if exc.status in (401, 403):
        return BootstrapError(f"HubSpot refused the token ({exc.status}) while {what}")
    from leadflow_cli.cli_errors import hubspot_problem

    return BootstrapError(f"{hubspot_problem(exc)} (while {what})")


def bootstrap(
    client: HubSpotApi,
    *,
    leads: LeadsConfig | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] = print,
) -> BootstrapReport:
    """Ensure the leadflow property groups and every property exist as specified; with `leads` (a
    configuration with teams that hand off on leads), check the portal's lead pipeline first and
    add the lead properties."""
    if leads is not None:
        check_leads(client, leads)
        progress(f"lead pipeline {leads.pipeline} has every stage the configuration names")
    specs = PROPERTIES + (LEAD_PROPERTIES if leads is not None else ())
    report = BootstrapReport()
    for object_type in dict.fromkeys(spec.object_type for spec in specs):
        _ensure_group(client, object_type, report, dry_run, progress)
    for spec in specs:
        try:
            _ensure_property(client, spec, report, dry_run, progress)
        except HubSpotError as exc:
            raise _refused(exc, f"writing {spec.qualified_name}") from None
    return report


def check_leads(client: HubSpotApi, leads: LeadsConfig) -> None:
    """Fail, saying exactly what is missing, unless the portal has leads (Sales Hub Professional or
    Enterprise) with the configured pipeline and every stage the configuration names
    (GET /crm/pipelines/2026-09/leads, https://developers.hubspot.com/docs/api-reference/crm-pipelines-v3/guide)."""
    try:
        pipelines = client.call("GET", pipelines_path("leads")).get("results") or []
    except HubSpotError as exc:
        if exc.status in (400, 403, 404):
            raise BootstrapError(
                f"the portal has no leads ({exc.status} reading the lead pipelines): leads need Sales Hub "
                "Professional or Enterprise and the crm.objects.leads.read scope; or set every team's "
                "handoff to contact"
            ) from None
        raise _refused(exc, "reading the lead pipelines") from None
    found = {
        p["id"]: {stage["id"] for stage in p.get("stages") or []} for p in pipelines if not p.get("archived")
    }
    if leads.pipeline not in found:
        raise BootstrapError(
            f"the portal has no lead pipeline {leads.pipeline!r} (it has "
            f"{', '.join(sorted(found)) or 'none'}): set journey.leads.pipeline to one of them"
        )
    named = {leads.stage, leads.qualified_stage, leads.disqualified_stage, *leads.moves}
    missing = sorted(named - found[leads.pipeline])
    if missing:
        raise BootstrapError(
            f"lead pipeline {leads.pipeline!r} has no stage {', '.join(missing)} (it has "
            f"{', '.join(sorted(found[leads.pipeline]))}): fix journey.leads or the pipeline's stages"
        )


def _ensure_group(
    client: HubSpotApi,
    object_type: str,
    report: BootstrapReport,
    dry_run: bool,
    progress: Callable[[str], None],
) -> None:
    try:
        client.call("GET", properties_path(object_type, "groups", GROUP))
        return
    except HubSpotError as exc:
        if exc.status != 404:
            raise _refused(exc, f"reading {object_type} property group {GROUP}") from None
    if not dry_run:
        try:
            body = {"name": GROUP, "label": GROUP_LABEL}
            client.call("POST", properties_path(object_type, "groups"), body)
        except HubSpotError as exc:
            raise _refused(exc, f"creating {object_type} property group {GROUP}") from None
    report.group_created = True
    progress(f"{'would create' if dry_run else 'created'} {object_type} property group {GROUP}")


def _ensure_property(
    client: HubSpotApi,
    spec: PropertySpec,
    report: BootstrapReport,
    dry_run: bool,
    progress: Callable[[str], None],
) -> None:
    current: dict[str, Any] | None
    try:
        current = client.call("GET", properties_path(spec.object_type, spec.name))
    except HubSpotError as exc:
        if exc.status != 404:
            raise _refused(exc, f"reading {spec.qualified_name}") from None
        current = None
    if current is None:
        if not dry_run:
            body = {
                "name": spec.name,
                "label": spec.label,
                "type": spec.type,
                "fieldType": spec.field_type,
                "groupName": GROUP,
                "description": spec.description,
                "options": _options(spec),
            }
            client.call("POST", properties_path(spec.object_type), body)
        report.created.append(spec.qualified_name)
        progress(f"{'would create' if dry_run else 'created'} {spec.qualified_name}")
    elif _drift(spec, current):
        if not dry_run:
            update: dict[str, Any] = {
                "label": spec.label,
                "description": spec.description,
                "groupName": GROUP,
            }
            if spec.options:
                update["options"] = _options(spec)
            client.call("PATCH", properties_path(spec.object_type, spec.name), update)
        report.updated.append(spec.qualified_name)
        progress(f"{'would update' if dry_run else 'updated'} {spec.qualified_name}")
    else:
        report.unchanged.append(spec.qualified_name)
        progress(f"unchanged {spec.qualified_name}")
