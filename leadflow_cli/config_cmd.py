"""`leadflow config check|schema`: validate a configuration file; write its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leadflow.core.config import LeadflowConfig, load_config
from leadflow.core.lifecycle import LEAD_OBJECT_TYPE
from leadflow.core.triage import LEAD_PROPERTIES

SCHEMA_FILE = Path("schema/leadflow.schema.json")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the configuration file (for editors and CI checks)."""
    schema = LeadflowConfig.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "leadflow configuration"
    return schema


def schema_text() -> str:
    """The schema as the repository stores it."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def check(path: Path) -> str:
    """Validate a configuration file; returns its summary and the webhook subscriptions it needs.

    Raises ConfigError naming the bad field.
    """
    config = load_config(path)
    scoring = config.scoring
    negative = len(scoring.negative.properties) + len(scoring.negative.signals)
    return (
        f"{path}: valid. {scoring.rule_count} rules (fit {len(scoring.fit.rules)}, "
        f"intent {len(scoring.intent.rules)}, negative {negative}, "
        f"disqualifiers {len(scoring.disqualifiers)}, personas {len(scoring.personas)}); "
        f"gates fit {scoring.fit.threshold}, "
        f"intent {scoring.intent.threshold}, recency {scoring.recency_days:g} days; "
        f"{len(config.routing.rules)} routing rules over {len(config.routing.teams)} teams "
        f"({', '.join(f'{name} of {len(team.members)}' for name, team in config.routing.teams.items())}); "
        f"escalation ladder {' > '.join(s.step for s in config.sla.escalation) or 'none'} > fallback\n"
        "The HubSpot project (`leadflow hubspot project`) subscribes the app to contact.creation and to "
        "contact.propertyChange of: " + ", ".join(config.subscribed_properties) + _lead_subscriptions(config)
    )


def _lead_subscriptions(config: LeadflowConfig) -> str:
    """The generic subscriptions teams that hand off on leads need: their reps decide by moving leads."""
    if not config.uses_leads:
        return ""
    teams = ", ".join(name for name, team in config.routing.teams.items() if team.handoff == "lead")
    return (
        f"\nTeams {teams} hand off on HubSpot Leads: subscribe the app to object.propertyChange of "
        f"lead (object type {LEAD_OBJECT_TYPE}) for: {', '.join(LEAD_PROPERTIES)}; the app needs the "
        "crm.objects.leads.read and crm.objects.leads.write scopes"
    )
