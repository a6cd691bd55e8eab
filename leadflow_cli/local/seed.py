"""The stand-in portal `leadflow local` starts with: what the configuration says the portal has.

A real portal has a HubSpot user for every rep, manager and fallback owner the configuration routes
to, and the custom properties its rules read; without them every journey fails at routing ("not an
active HubSpot owner") and every contact with a custom value is refused. The seed gives the stand-in
both, as an admin would have set them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from leadflow.core.config import LeadflowConfig
from leadflow_cli.hubspot_standin import StandInStore
from leadflow_cli.hubspot_standin.properties import option_list
from leadflow_cli.portal_properties import split_property

# HubSpot's field type for each property type a configuration may declare
# (https://developers.hubspot.com/docs/api-reference/crm-properties-v3/guide).
_FIELD_TYPES: Final = {
    "string": "text",
    "number": "number",
    "enumeration": "select",
    "bool": "booleancheckbox",
    "date": "date",
    "datetime": "date",
}


@dataclass
class Seeded:
    """What the seed created: owner id by email, and the custom properties (as rules name them)."""

    owners: dict[str, str] = field(default_factory=dict)
    properties: list[str] = field(default_factory=list)


def people(config: LeadflowConfig) -> list[str]:
    """Everyone the configuration may hand a lead to or tell about one, by email, in order of appearance."""
    emails: dict[str, None] = {}
    for team in config.routing.teams.values():
        for email in [*(m.email for m in team.members), team.fallback_owner, team.manager]:
            if email:
                emails.setdefault(email.lower())
    return list(emails)


def seed_portal(store: StandInStore, config: LeadflowConfig) -> Seeded:
    """Create the configuration's people as active HubSpot owners and its custom properties, skipping
    what the portal has already."""
    seeded = Seeded()
    known = {o["email"].lower() for o in store.owners() + store.owners(archived=True)}
    for email in people(config):
        if email not in known:
            first = email.split("@")[0].replace(".", " ").replace("_", " ").title()
            seeded.owners[email] = store.add_owner(email, first, "")
    existing = {t: {p["name"] for p in store.properties(t)} for t in ("contacts", "companies")}
    for qualified, spec in config.portal.custom_properties.items():
        object_type, name = split_property(qualified)
        if name in existing[object_type]:
            continue
        store.create_property(
            object_type,
            {
                "name": name,
                "label": name,
                "type": spec.type,
                "fieldType": _FIELD_TYPES[spec.type],
                "groupName": "contactinformation",
                "options": option_list(spec.options),
            },
        )
        seeded.properties.append(qualified)
    return seeded
