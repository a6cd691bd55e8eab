"""`leadflow config check|schema`: validate a configuration file; write its JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from leadflow.core.conditions import Condition
from leadflow.core.config import ConfigError, LeadflowConfig, load_config
from leadflow.core.lifecycle import LEAD_OBJECT_TYPE
from leadflow.core.scoring_config import Disqualifier, Persona, PropertyRule
from leadflow.core.triage import LEAD_PROPERTIES
from leadflow_cli.portal_properties import PropertyCatalog

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


def check(path: Path, catalog: PropertyCatalog | None = None) -> str:
    """Validate a configuration file; returns its summary and the webhook subscriptions it needs.

    Raises ConfigError naming the bad field, or each rule value that is a dropdown option's label
    (HubSpot's API, and so every rule, compares internal values) with the value to write instead.
    """
    config = load_config(path)
    catalog = catalog or PropertyCatalog.shipped()
    labels, unknown = option_problems(config, catalog)
    if labels:
        raise ConfigError(f"{path} is invalid: " + "; ".join(labels))
    notes = "".join(f"\nnote: {n}" for n in unknown)
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
        "contact.propertyChange of: "
        + ", ".join(config.subscribed_properties)
        + _lead_subscriptions(config)
        + notes
    )


def _conditions(config: LeadflowConfig) -> Iterator[tuple[str, str, Condition]]:
    """Every condition on a property value: where it is, the property, the condition."""
    scoring = config.scoring
    sections: list[tuple[str, Sequence[PropertyRule | Disqualifier | Persona]]] = [
        ("scoring.fit.rules", scoring.fit.rules),
        ("scoring.negative.properties", scoring.negative.properties),
        ("scoring.disqualifiers", scoring.disqualifiers),
        ("scoring.personas", scoring.personas),
    ]
    for where, rules in sections:
        for rule in rules:
            yield f"{where}[{rule.name}]", rule.property, rule
    for routing_rule in config.routing.rules:
        for prop, condition in routing_rule.when.items():
            yield f"routing.rules[{routing_rule.name}].when", prop, condition


def option_problems(config: LeadflowConfig, catalog: PropertyCatalog) -> tuple[list[str], list[str]]:
    """Rule values on dropdown (and checkbox) properties that are not their internal values: labels
    (errors, naming the value to write) and values no option has (notes: the portal may have added
    them, or the rule never matches)."""
    labels: list[str] = []
    unknown: list[str] = []
    for where, prop, condition in _conditions(config):
        object_type, name = ("companies", prop[8:]) if prop.startswith("company.") else ("contacts", prop)
        definition = catalog.get(object_type, name)
        if definition is None or not definition.has_options:
            continue
        values = [condition.equals] if condition.equals is not None else []
        values += [*(condition.one_of or ()), *(condition.not_in or ())]
        for value in values:
            option = definition.option(value)
            if option is None:
                unknown.append(f"{where} ({prop}): {value!r} is no option of {prop} in {catalog.source}")
            elif option.value.casefold() != value.casefold():
                labels.append(
                    f"{where} ({prop}): {value!r} is the label of the option {option.value!r}; rules "
                    f"compare HubSpot's internal values: write {option.value!r}"
                )
    return labels, unknown


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
