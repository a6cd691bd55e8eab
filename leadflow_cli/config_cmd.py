"""`leadflow config check|schema`: validate a configuration file; write its JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from leadflow.core.conditions import Condition
from leadflow.core.config import ConfigError, LeadflowConfig, load_config
from leadflow.core.config_errors import did_you_mean
from leadflow.core.lifecycle import LEAD_OBJECT_TYPE
from leadflow.core.scoring_config import Disqualifier, Persona, PropertyRule
from leadflow.core.triage import LEAD_PROPERTIES
from leadflow_cli.portal_properties import PropertyCatalog, split_property

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


def validate(path: Path, catalog: PropertyCatalog | None = None) -> tuple[LeadflowConfig, list[str]]:
    """Load a configuration file and check it against HubSpot's properties: the configuration and the
    notes worth reading (values that may be the portal's own).

    Raises ConfigError naming the bad field, each property no catalog knows (with the one probably
    meant), and each rule value that is a dropdown option's label or a misspelt option.
    """
    config = load_config(path)
    catalog = catalog or PropertyCatalog.shipped()
    if not catalog.portal:
        catalog = catalog.declare(config.portal.custom_properties)
    errors, notes = property_problems(config, catalog)
    if errors:
        raise ConfigError(f"{path} is invalid: " + "; ".join(errors))
    return config, notes


def check(path: Path, catalog: PropertyCatalog | None = None) -> str:
    """Validate a configuration file (see `validate`); returns its summary and the webhook subscriptions
    it needs."""
    config, notes = validate(path, catalog)
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
        + "".join(f"\nnote: {n}" for n in notes)
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


def _properties_read(config: LeadflowConfig) -> Iterator[tuple[str, str]]:
    """Every property the configuration names: where, and the property (`company.` for a company's)."""
    for where, prop, _ in _conditions(config):
        yield where, prop
    for name, spec in config.scoring.signal_properties.items():
        yield "scoring.signal_properties", name
        if spec.at_property:
            yield f"scoring.signal_properties.{name}.at_property", spec.at_property
    for name in config.journey.engagements:
        yield "journey.engagements", name


def property_problems(config: LeadflowConfig, catalog: PropertyCatalog) -> tuple[list[str], list[str]]:
    """What the configuration says of HubSpot's properties that the catalog contradicts: errors (a property
    it does not have, a dropdown's label or a misspelt option where its internal value belongs, a declared
    custom property the portal lacks) and notes (values no option has, which the portal may have added)."""
    errors: list[str] = []
    for where, prop in dict.fromkeys(_properties_read(config)):
        object_type, name = split_property(prop)
        if catalog.get(object_type, name) is None:
            errors.append(_unknown_property(where, prop, catalog))
    if catalog.portal:
        errors += [
            f"portal.custom_properties: the portal has no property {prop!r}"
            for prop in config.portal.custom_properties
            if catalog.get(*split_property(prop)) is None
        ]
    labels, notes = option_problems(config, catalog)
    if config.journey.sal_stage:
        stage = option_problem("journey.sal_stage", "lifecyclestage", config.journey.sal_stage, catalog)
        if stage is not None:
            (labels if stage[0] else notes).append(stage[1])
    return errors + labels, notes


def _unknown_property(where: str, prop: str, catalog: PropertyCatalog) -> str:
    object_type = split_property(prop)[0]
    prefix = "company." if object_type == "companies" else ""
    known = [prefix + n for n in catalog.names(object_type)]
    kind = "company" if object_type == "companies" else "contact"
    text = f"{where}: unknown {kind} property {prop!r}" + did_you_mean(prop, known)
    if catalog.portal:
        return text + ": the portal has no such property"
    return text + ": no default property of HubSpot's, and portal.custom_properties does not declare it"


def option_problems(config: LeadflowConfig, catalog: PropertyCatalog) -> tuple[list[str], list[str]]:
    """Rule values on dropdown (and checkbox) properties that are not their internal values: errors (a
    label, naming the value to write; a value close to an option's, naming it; with the portal's own
    definitions, any value no option has) and notes (offline, a value no option has: the portal may have
    added it, or the rule never matches)."""
    errors: list[str] = []
    notes: list[str] = []
    for where, prop, condition in _conditions(config):
        values = [condition.equals] if condition.equals is not None else []
        values += [*(condition.one_of or ()), *(condition.not_in or ())]
        for value in values:
            found = option_problem(f"{where} ({prop})", prop, value, catalog)
            if found is not None:
                (errors if found[0] else notes).append(found[1])
    return errors, notes


def option_problem(where: str, prop: str, value: str, catalog: PropertyCatalog) -> tuple[bool, str] | None:
    """What is wrong with a value of a dropdown property, if anything: (an error?, the sentence)."""
    definition = catalog.get(*split_property(prop))
    if definition is None or not definition.has_options:
        return None
    option = definition.option(value)
    if option is not None and option.value.casefold() == value.casefold():
        return None
    if option is not None:
        return True, (
            f"{where}: {value!r} is the label of the option {option.value!r}; rules compare HubSpot's "
            f"internal values: write {option.value!r}"
        )
    suggestion = did_you_mean(value, [o.value for o in definition.options])
    text = f"{where}: {value!r} is no option of {prop}{suggestion} in {catalog.source}"
    return bool(suggestion) or catalog.portal, text


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
