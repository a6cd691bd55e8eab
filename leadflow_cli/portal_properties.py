"""The portal's property definitions as the RevOps tools read them: labels, types and dropdown options.

HubSpot exports name each column by its property's *label* and write each dropdown value as its
option's *label* ("Computer Software"), while the API, and so leadflow's rules, use internal
names and values (`industry`, `COMPUTER_SOFTWARE`). A `PropertyCatalog` maps one to the other,
from the portal's own definitions (`GET /crm/v3/properties/{object}` with a token:
https://developers.hubspot.com/docs/api-reference/crm-properties-v3/guide) or, offline, from
HubSpot's default properties shipped with the stand-in plus leadflow's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from leadflow.core.config import CustomProperty
from leadflow_cli.hubspot_standin.properties import default_properties

OBJECTS: Final = ("contacts", "companies")

# The labels HubSpot gives its default properties (Settings > Properties; the knowledge base's
# "HubSpot's default contact properties" and "... company properties"). Where an export's header
# can take more than one wording, the others follow. The shipped definitions carry no labels.
_LABELS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "contacts": {
        "hs_object_id": ("Record ID", "Contact ID"),
        "email": ("Email",),
        "firstname": ("First Name",),
        "lastname": ("Last Name",),
        "company": ("Company Name",),
        "jobtitle": ("Job Title",),
        "country": ("Country/Region", "Country"),
        "city": ("City",),
        "state": ("State/Region",),
        "phone": ("Phone Number",),
        "website": ("Website URL",),
        "industry": ("Industry",),
        "numemployees": ("Number of Employees",),
        "annualrevenue": ("Annual Revenue",),
        "hs_lead_status": ("Lead Status",),
        "lifecyclestage": ("Lifecycle Stage",),
        "hubspot_owner_id": ("Contact owner",),
        "associatedcompanyid": (
            "Primary Associated Company ID",
            "Associated Company ID",
            "Associated Company IDs (Primary)",
        ),
        "hs_analytics_last_url": ("Last Page Seen",),
        "hs_analytics_last_timestamp": ("Time Last Seen", "Last Visit"),
        "hs_buying_role": ("Buying Role",),
        "hs_seniority": ("Seniority",),
        "recent_conversion_event_name": ("Recent Conversion",),
        "recent_conversion_date": ("Recent Conversion Date",),
        "engagements_last_meeting_booked": ("Date of last meeting booked in meetings tool",),
        "hs_sales_email_last_replied": ("Recent Sales Email Replied Date",),
        "createdate": ("Create Date",),
        "lastmodifieddate": ("Last Modified Date",),
        "hs_merged_object_ids": ("Merged Contact IDs",),
    },
    "companies": {
        "hs_object_id": ("Record ID", "Company ID"),
        "name": ("Company name", "Name"),
        "domain": ("Company Domain Name", "Domain"),
        "industry": ("Industry",),
        "numberofemployees": ("Number of Employees",),
        "annualrevenue": ("Annual Revenue",),
        "hs_is_target_account": ("Target Account",),
        "hubspot_owner_id": ("Company owner",),
        "country": ("Country/Region", "Country"),
    },
}
# Option labels of the shipped dropdowns that their values' words do not spell (see `words`).
_OPTION_LABELS: Final[dict[str, dict[str, str]]] = {
    "lifecyclestage": {
        "marketingqualifiedlead": "Marketing Qualified Lead",
        "salesqualifiedlead": "Sales Qualified Lead",
    },
}
# Properties HubSpot keeps on every record, whatever the definitions list.
_STAMPS: Final[dict[str, dict[str, Any]]] = {
    "hs_object_id": {"type": "number", "fieldType": "number"},
    "createdate": {"type": "datetime", "fieldType": "date"},
    "lastmodifieddate": {"type": "datetime", "fieldType": "date"},
}
_LABELS["companies"] |= {"createdate": ("Create Date",), "lastmodifieddate": ("Last Modified Date",)}
# HubSpot's single checkbox properties have the options true and false, labelled Yes and No.
_BOOLEAN_OPTIONS: Final = (("Yes", "true"), ("No", "false"))


def split_property(qualified: str) -> tuple[str, str]:
    """A property as rules write it (`industry`, `company.industry`): its object type and its name."""
    if qualified.startswith("company."):
        return "companies", qualified.removeprefix("company.")
    return "contacts", qualified


def words(text: str) -> tuple[str, ...]:
    """A label's or value's words, as HubSpot makes internal values from labels: "Hospital & Health
    Care" and HOSPITAL_HEALTH_CARE, "Legal & Compliance" and LEGAL_AND_COMPLIANCE have the same."""
    return tuple(w for w in re.split(r"[^0-9a-z]+", text.casefold()) if w and w != "and")


@dataclass(frozen=True)
class Option:
    """One option of a dropdown (or of a checkbox) property."""

    label: str
    value: str


@dataclass(frozen=True)
class PropertyDef:
    """A property of an object: its internal name, its label, its type and its options."""

    name: str
    label: str
    type: str
    options: tuple[Option, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def has_options(self) -> bool:
        """Whether its values are a fixed list (a dropdown, radio, checkboxes or a single checkbox)."""
        return bool(self.options)

    @property
    def multiple(self) -> bool:
        """Whether a value holds several options, `;`-separated (multiple checkboxes)."""
        return self.type == "enumeration:checkbox"

    def option(self, text: str) -> Option | None:
        """The option a value or label names: its internal value exactly or in any case, its label in
        any case, else the one whose words are the same; None when none is."""
        stripped = text.strip()
        folded = stripped.casefold()
        spelled = words(stripped)
        tests: tuple[Callable[[Option], bool], ...] = (
            lambda o: o.value == stripped,
            lambda o: o.value.casefold() == folded,
            lambda o: o.label.casefold() == folded,
            lambda o: bool(spelled) and spelled in (words(o.label), words(o.value)),
        )
        for test in tests:
            found = next((o for o in self.options if test(o)), None)
            if found is not None:
                return found
        return None


@dataclass
class PropertyCatalog:
    """The properties of contacts and companies, by internal name, and where they came from: the portal's
    own definitions (`portal`), or HubSpot's defaults with what the configuration declares."""

    source: str
    objects: dict[str, dict[str, PropertyDef]] = field(default_factory=dict)
    portal: bool = False

    def names(self, object_type: str) -> list[str]:
        """The internal names of an object's properties."""
        return list(self.objects.get(object_type, {}))

    def declare(self, declared: Mapping[str, CustomProperty]) -> PropertyCatalog:
        """This catalog with the portal's custom properties as a configuration declares them
        (`portal.custom_properties`: `company.<name>` for a company's, each with its type and options)."""
        objects = {object_type: dict(props) for object_type, props in self.objects.items()}
        for qualified, spec in declared.items():
            object_type, name = split_property(qualified)
            field_type = "select" if spec.type == "enumeration" else "text"
            objects.setdefault(object_type, {})[name] = PropertyDef(
                name, name, _kind(spec.type, field_type), _options(spec.type, [(o, o) for o in spec.options])
            )
        return PropertyCatalog(f"{self.source} and portal.custom_properties", objects, self.portal)

    def get(self, object_type: str, name: str) -> PropertyDef | None:
        """A property's definition, if the portal has it."""
        return self.objects.get(object_type, {}).get(name)

    def column(self, object_type: str, header: str) -> str | None:
        """The internal name of an export column: its header is the property's label (or a known wording
        of it) or its internal name, in any case."""
        folded = header.strip().casefold()
        for prop in self.objects.get(object_type, {}).values():
            if folded in (prop.name.casefold(), prop.label.casefold(), *(a.casefold() for a in prop.aliases)):
                return prop.name
        return None

    @classmethod
    def shipped(cls) -> PropertyCatalog:
        """HubSpot's default properties (as the stand-in knows them) and leadflow's own, offline."""
        from leadflow_cli.hubspot_bootstrap import PROPERTIES

        catalog = cls(source="HubSpot's default properties shipped with leadflow")
        for object_type in OBJECTS:
            labels = _LABELS[object_type]
            specs = {**_STAMPS, **default_properties(object_type)}
            catalog.objects[object_type] = {
                name: _definition(name, spec, labels.get(name, ())) for name, spec in specs.items()
            }
        for spec in PROPERTIES:
            if spec.object_type == "contacts":
                catalog.objects["contacts"][spec.name] = PropertyDef(
                    spec.name,
                    spec.label,
                    _kind(spec.type, spec.field_type),
                    tuple(Option(o, o) for o in spec.options),
                )
        return catalog

    @classmethod
    def from_hubspot(cls, client: Any) -> PropertyCatalog:
        """The portal's own definitions, read with hubspot-api-client (`crm.properties.core_api.get_all`)."""
        catalog = cls(source="the portal's property definitions", portal=True)
        api = client.crm.properties.core_api
        for object_type in OBJECTS:
            catalog.objects[object_type] = {
                p.name: PropertyDef(
                    p.name,
                    p.label or p.name,
                    _kind(p.type, p.field_type),
                    _options(p.type, [(o.label, o.value) for o in p.options or []]),
                )
                for p in api.get_all(object_type).results
            }
        return catalog


def _definition(name: str, spec: Mapping[str, Any], labels: Iterable[str]) -> PropertyDef:
    """A shipped default property: its options' labels from `_OPTION_LABELS`, else the option's value
    (which `PropertyDef.option` also matches by its words)."""
    labels = tuple(labels)
    named = _OPTION_LABELS.get(name, {})
    pairs = [(named.get(str(v), str(v)), str(v)) for v in spec.get("options") or []]
    return PropertyDef(
        name,
        labels[0] if labels else name,
        _kind(spec["type"], spec["fieldType"]),
        _options(spec["type"], pairs),
        labels[1:],
    )


def _kind(type_: str, field_type: str) -> str:
    return f"enumeration:{field_type}" if type_ == "enumeration" else type_


def _options(type_: str, pairs: list[tuple[str, str]]) -> tuple[Option, ...]:
    if type_ == "bool" and not pairs:
        pairs = list(_BOOLEAN_OPTIONS)
    return tuple(Option(label, value) for label, value in pairs)
