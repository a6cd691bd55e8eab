"""`leadflow hubspot actions`: leadflow's custom workflow actions, defined from the configuration and
created or updated in a HubSpot app through hubspot-api-client.

The definitions follow HubSpot's automation actions v4 reference
(https://developers.hubspot.com/docs/api/automation/custom-workflow-actions): the action URL, the
object types, the enrolled record's properties HubSpot sends along (`objectRequestOptions`, so
scoring needs no read of its own), the input and output fields, and English labels. The outcome,
reason, team and SQL path outputs are picklists a workflow's branches can be built on; their
options come from leadflow's outcomes, the decision reason codes and the configured teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hubspot import HubSpot
from hubspot.automation.actions import PublicActionDefinitionEgg, PublicActionDefinitionPatch
from hubspot.automation.actions.exceptions import ApiException

from leadflow.core.config import LeadflowConfig
from leadflow.core.decisions import ALL_REASONS
from leadflow.core.lifecycle import Prop
from leadflow.core.workflow_outcome import OUTCOMES

SCORE_PATH = "/score"
HANDOFF_PATH = "/handoff"
SQL_PATHS = ("engagement_required", "fast_track", "meeting_booked")


def _field(
    name: str, type_: str = "string", field_type: str = "text", options: tuple[str, ...] = ()
) -> dict[str, Any]:
    definition: dict[str, Any] = {"name": name, "type": type_, "fieldType": field_type}
    if options:
        definition["options"] = [{"label": o.replace("_", " "), "value": o} for o in options]
    return {"typeDefinition": definition}


def _enum(name: str, options: tuple[str, ...]) -> dict[str, Any]:
    return _field(name, "enumeration", "select", options)


def _labels(
    name: str, description: str, outputs: list[dict[str, Any]], inputs: dict[str, str]
) -> dict[str, Any]:
    return {
        "en": {
            "actionName": name,
            "actionDescription": description,
            "appDisplayName": "leadflow",
            "inputFieldLabels": inputs,
            "outputFieldLabels": {
                o["typeDefinition"]["name"]: o["typeDefinition"]["name"].replace("_", " ").capitalize()
                for o in outputs
            },
        }
    }


def score_definition(config: LeadflowConfig, base_url: str) -> dict[str, Any]:
    """ "Score with leadflow": answers at once with the contact's score card."""
    outputs = [
        _field("score", "number", "number"),
        _field("fit_score", "number", "number"),
        _field("intent_score", "number", "number"),
        _enum("tier", ("A", "B", "C")),
        _field("persona"),
        _field("reason"),
        _field("evidence"),
        _enum("is_mql", ("true", "false")),
        _field("disqualified_by"),
    ]
    scored = sorted(
        {p for p in config.scoring.properties if not p.startswith("company.")} | {Prop.COMPANY_ID}
    )
    return {
        "actionUrl": base_url.rstrip("/") + SCORE_PATH,
        "published": True,
        "objectTypes": ["CONTACT"],
        "objectRequestOptions": {"properties": scored},
        "inputFields": [],
        "outputFields": outputs,
        "functions": [],
        "labels": _labels(
            "Score with leadflow", "Score the contact: fit, intent, tier, persona and why.", outputs, {}
        ),
    }


def handoff_definition(config: LeadflowConfig, base_url: str) -> dict[str, Any]:
    """ "Hand off with leadflow": waits for the contact's journey to end, then branches on its outcome."""
    outputs = [
        _enum("outcome", OUTCOMES),
        _enum("reason", ALL_REASONS),
        _field("error"),
        _field("owner_email"),
        _field("owner_id"),
        _enum("team", tuple(sorted(config.routing.teams))),
        _enum("sql_path", SQL_PATHS),
        _field("deal_id"),
        _field("lead_id"),
        _field("hours_to_decision", "number", "number"),
    ]
    inputs = [
        {
            **_field("sales_ready", "bool", "booleancheckbox"),
            "supportedValueTypes": ["STATIC_VALUE"],
            "isRequired": False,
        },
        {**_field("reason"), "supportedValueTypes": ["STATIC_VALUE", "OBJECT_PROPERTY"], "isRequired": False},
    ]
    return {
        "actionUrl": base_url.rstrip("/") + HANDOFF_PATH,
        "published": True,
        "objectTypes": ["CONTACT"],
        "objectRequestOptions": {"properties": sorted(config.contact_properties)},
        "inputFields": inputs,
        "outputFields": outputs,
        "functions": [],
        "labels": _labels(
            "Hand off with leadflow",
            "Route the contact to sales; go on when its journey ends (SQL, recycled, rejected, no response).",
            outputs,
            {
                "sales_ready": "Hand off even if leadflow does not score it an MQL",
                "reason": "Why it is sales ready",
            },
        ),
    }


class ActionsError(RuntimeError):
    """HubSpot refused a definition; the message says which and why."""


@dataclass
class ActionsReport:
    """What `leadflow hubspot actions` did, by action name: definition ids created and updated."""

    created: dict[str, str] = field(default_factory=dict)
    updated: dict[str, str] = field(default_factory=dict)


def publish(
    client: HubSpot, app_id: int, config: LeadflowConfig, base_url: str, dry_run: bool = False
) -> ActionsReport:
    """Create leadflow's actions in the app, or update the ones already there (matched by URL)."""
    api = client.automation.actions.definitions_api
    report = ActionsReport()
    try:
        existing = {d.action_url: d.id for d in api.get_page(app_id, limit=100).results}
        for definition in (score_definition(config, base_url), handoff_definition(config, base_url)):
            name, url = definition["labels"]["en"]["actionName"], definition["actionUrl"]
            if url in existing:
                if not dry_run:
                    api.update(existing[url], app_id, public_action_definition_patch=_patch(definition))
                report.updated[name] = existing[url]
            else:
                created = (
                    "(dry run)"
                    if dry_run
                    else api.create(app_id, public_action_definition_egg=_egg(definition)).id
                )
                report.created[name] = str(created)
    except ApiException as exc:
        raise ActionsError(f"HubSpot answered {exc.status}: {exc.body or exc.reason}") from None
    return report


_FIELDS = {
    "actionUrl": "action_url",
    "published": "published",
    "objectTypes": "object_types",
    "objectRequestOptions": "object_request_options",
    "inputFields": "input_fields",
    "outputFields": "output_fields",
    "functions": "functions",
    "labels": "labels",
}


def _egg(definition: dict[str, Any]) -> PublicActionDefinitionEgg:
    return PublicActionDefinitionEgg(**{_FIELDS[k]: v for k, v in definition.items()})


def _patch(definition: dict[str, Any]) -> PublicActionDefinitionPatch:
    return PublicActionDefinitionPatch(**{_FIELDS[k]: v for k, v in definition.items() if k != "functions"})
