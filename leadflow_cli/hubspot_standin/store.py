"""The stand-in's CRM state: objects, associations, owners and properties, behind one lock.

It applies the HubSpot rules leadflow depends on: property values are strings,
`lifecyclestage` only moves forward unless cleared first, an owner id must exist,
tasks need `hs_timestamp`.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from leadflow_cli.hubspot_bootstrap import GROUP, GROUP_LABEL, LEAD_PROPERTIES, PROPERTIES
from leadflow_cli.hubspot_standin.app_webhooks import AppWebhooks
from leadflow_cli.hubspot_standin.portal_rules import PortalRules
from leadflow_cli.hubspot_standin.properties import (
    PropertyRefusal,
    checked_values,
    default_properties,
    field_type_problem,
    not_an_option,
    option_list,
    problem,
)
from leadflow_cli.hubspot_standin.rate_limits import RateLimiter, RateLimitPlan

OBJECT_TYPES: Final = ("contacts", "companies", "deals", "tasks", "notes", "leads")
# Paths name an object type by its name, plural or singular, in any case, or by its type id
# (https://developers.hubspot.com/docs/api-reference/latest/crm/understanding-the-crm, object type IDs;
# the associations guide writes `/crm/v4/objects/contact/{objectId}/associations/deal/...`).
OBJECT_TYPE_IDS: Final = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tasks": "0-27",
    "notes": "0-46",
    "leads": "0-136",
}
_OBJECT_TYPE_NAMES: Final = {
    alias: name
    for name, type_id in OBJECT_TYPE_IDS.items()
    for alias in (name, "company" if name == "companies" else name.removesuffix("s"), type_id)
}


def object_type_name(named: str) -> str:
    """The object type a path names (`contacts`, `contact`, `Contacts`, `0-1`), by its plural name; a name
    HubSpot does not know is kept, for the endpoint to refuse."""
    return _OBJECT_TYPE_NAMES.get(named.lower(), named)


# HubSpot-defined default association types: (from, to) -> type id.
DEFAULT_ASSOCIATIONS: Final = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("tasks", "contacts"): 204,
    ("contacts", "tasks"): 203,
    ("notes", "contacts"): 202,
    ("contacts", "notes"): 201,
    ("tasks", "companies"): 192,
    ("notes", "companies"): 190,
    # Leads (https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/
    # guide, "Association type ID values"): a lead's contact and company are its primary ones.
    ("leads", "contacts"): 578,
    ("contacts", "leads"): 609,
    ("leads", "companies"): 580,
    ("companies", "leads"): 611,
    ("tasks", "leads"): 647,
    ("leads", "tasks"): 646,
    ("deals", "leads"): 1038,
    ("leads", "deals"): 1037,
    ("notes", "leads"): 855,
    ("leads", "notes"): 854,
}
# Other defined types, valid at create time: a lead's (non-primary) contact and company.
_TYPE_ID_TARGET: Final = {type_id: pair for pair, type_id in DEFAULT_ASSOCIATIONS.items()} | {
    608: ("leads", "contacts"),
    610: ("leads", "companies"),
}


def hubspot_time(at: datetime | None = None) -> str:
    """A time (now by default) as HubSpot writes it: ISO 8601, milliseconds, Z."""
    return (at or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StandInError(Exception):
    """A request HubSpot would refuse: carries the HTTP status and HubSpot's error category."""

    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        # More of HubSpot's error body (the `errors` list of a portal rule's refusal).
        self.extra = extra


@dataclass
class FaultPlan:
    """Share of requests answered with a fault, for reliability tests (seeded, so repeatable)."""

    rate_limit_share: float = 0.0
    server_error_share: float = 0.0
    drop_share: float = 0.0
    retry_after_s: int = 1
    seed: int = 0
    # Routes (e.g. "deals.create") whose first answer is lost after the work is done, as when a
    # request times out on the client's side while HubSpot completes it.
    lose_answer_once: tuple[str, ...] = ()
    # Routes answered 503 for their first N requests (an outage of one API, e.g. callbacks).
    down_for: tuple[tuple[str, int], ...] = ()
    # Routes whose first N requests wait S seconds before anything is done (a slow HubSpot):
    # (route, N, S).
    slow_for: tuple[tuple[str, int, float], ...] = ()


# HubSpot's default lead pipeline and stages, as portals return them: the docs name no ids, these are
# the ones real portals answer with (New, Attempting, Connected, Qualified, Disqualified).
LEAD_PIPELINE: Final = "lead-pipeline-id"
LEAD_STAGES: Final = (
    "new-stage-id",
    "attempting-stage-id",
    "connected-stage-id",
    "qualified-stage-id",
    "unqualified-stage-id",
)
# Activities need `hs_timestamp` on create: tasks ("Required. This field marks the task's due date",
# https://developers.hubspot.com/docs/api-reference/latest/crm/activities/tasks/guide) and notes ("Required.
# This field marks the note's time of creation", .../activities/notes/guide).
_TIMESTAMPED: Final = ("tasks", "notes")
# Which property of each object type holds its pipeline, and which its stage.
_PIPELINE_PROPERTIES: Final = {
    "deals": ("pipeline", "dealstage"),
    "leads": ("hs_pipeline", "hs_pipeline_stage"),
}

DEFAULT_DEAL_STAGES: Final = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)


def _default_properties(object_type: str) -> dict[str, dict[str, Any]]:
    """HubSpot's default properties of an object type, as full definitions."""
    return {
        name: _property_definition(
            name,
            name,
            spec["type"],
            spec["fieldType"],
            "contactinformation",
            option_list(spec.get("options", [])),
            read_only=bool(spec.get("readOnlyValue")),
        )
        for name, spec in default_properties(object_type).items()
    }


def _property_definition(
    name: str,
    label: str,
    type_: str,
    field_type: str,
    group: str,
    options: list[dict[str, Any]] | None = None,
    description: str = "",
    read_only: bool = False,
) -> dict[str, Any]:
    stamp = hubspot_time()
    return {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "groupName": group,
        "description": description,
        "options": options or [],
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": False,
        "hidden": False,
        "formField": False,
        "displayOrder": -1,
        "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": read_only},
    }


class StandInStore:
    """Thread-safe in-memory CRM."""

    def __init__(
        self,
        faults: FaultPlan | None = None,
        clock: Callable[[], datetime] | None = None,
        leadflow_properties: bool = True,
    ) -> None:
        """A portal with HubSpot's default properties, and leadflow's (as `leadflow hubspot bootstrap`
        creates them) unless `leadflow_properties` is False."""
        self._lock = threading.RLock()
        # HubSpot's own clock: what it stamps records and property changes with (the local runtime's).
        self.clock = clock or (lambda: datetime.now(UTC))
        self._objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in OBJECT_TYPES}
        self._ids = {
            t: itertools.count(start)
            for t, start in zip(OBJECT_TYPES, (101, 5001, 9001, 20001, 30001, 70001), strict=True)
        }
        self._owner_ids = itertools.count(7001)
        self._owners: dict[str, dict[str, Any]] = {}
        self._associations: set[tuple[str, str, str, str, int]] = set()
        # Deleted records (HubSpot's recycling bin), and merged-away ids -> the record they merged into.
        self._archived: dict[str, dict[str, dict[str, Any]]] = {}
        self._merged_into: dict[str, dict[str, str]] = {}
        self._properties: dict[str, dict[str, dict[str, Any]]] = {
            t: _default_properties(t) for t in OBJECT_TYPES
        }
        self._groups: dict[str, dict[str, dict[str, Any]]] = {
            t: {
                "contactinformation": {
                    "name": "contactinformation",
                    "label": "Contact information",
                    "displayOrder": -1,
                    "archived": False,
                }
            }
            for t in OBJECT_TYPES
        }
        if leadflow_properties:
            self._install_leadflow_properties()
        # When the portal's definitions were read (what its pipelines and stages answer as created).
        self.created_at = hubspot_time(self.clock())
        self._calls: Counter[str] = Counter()
        self._calls_by_api: Counter[str] = Counter()
        self._answers_lost: set[str] = set()
        # HubSpot's default deal pipeline; portals add their own.
        self._pipelines: dict[str, dict[str, list[str]]] = {
            "deals": {"default": list(DEFAULT_DEAL_STAGES)},
            "leads": {LEAD_PIPELINE: list(LEAD_STAGES)},
        }
        # The app's webhook subscriptions, and the changes they caught.
        self.webhooks = AppWebhooks()
        # The admin's validation rules, enforced on writes through the 2026-09 API.
        self.portal_rules = PortalRules()
        self.faults_served: Counter[str] = Counter()
        self.faults = faults or FaultPlan()
        # HubSpot's rate limits, when a plan is set (`limit_rate`); unlimited otherwise.
        self.rate_limits: RateLimiter | None = None

    def limit_rate(self, plan: RateLimitPlan | None) -> None:
        """Enforce HubSpot's rate limits of a plan from now on (None: no limits)."""
        self.rate_limits = RateLimiter(plan, self.clock) if plan else None

    def _install_leadflow_properties(self) -> None:
        """leadflow's properties and their group, as `leadflow hubspot bootstrap` creates them."""
        for object_type in {spec.object_type for spec in PROPERTIES + LEAD_PROPERTIES}:
            self._groups[object_type][GROUP] = {
                "name": GROUP,
                "label": GROUP_LABEL,
                "displayOrder": -1,
                "archived": False,
            }
        for spec in PROPERTIES + LEAD_PROPERTIES:
            options = option_list(spec.options)
            self._properties[spec.object_type][spec.name] = _property_definition(
                spec.name, spec.label, spec.type, spec.field_type, GROUP, options, spec.description
            )

    def define_property(
        self, object_type: str, name: str, type_: str = "string", field_type: str = "text"
    ) -> None:
        """A custom property the portal's admin created (a property of the team's own, like a tech stack)."""
        with self._lock:
            self._properties[object_type].setdefault(
                name, _property_definition(name, name, type_, field_type, "contactinformation")
            )

    # Calls and faults --------------------------------------------------------------------

    def count_call(self, route: str, api: str = "legacy") -> None:
        """Record one served API request under its route name and the API version it came in on."""
        with self._lock:
            self._calls[route] += 1
            self._calls_by_api[api] += 1

    def calls_by_api(self) -> dict[str, int]:
        """API calls served, by API version (`legacy` for v1-v4, else the date)."""
        with self._lock:
            return dict(self._calls_by_api)

    def call_count(self, route: str | None = None) -> int:
        """Total API calls served, or those of one route (e.g. "contacts.batch_read")."""
        with self._lock:
            return self._calls[route] if route else sum(self._calls.values())

    def calls_by_route(self) -> dict[str, int]:
        """API calls served, by route name."""
        with self._lock:
            return dict(self._calls)

    def reset_calls(self) -> None:
        """Forget the call counts."""
        with self._lock:
            self._calls.clear()
            self._calls_by_api.clear()

    @property
    def faults(self) -> FaultPlan:
        """The fault plan in force; setting one restarts its seeded sequence."""
        return self._faults

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        with self._lock:
            self._faults = plan
            self._rng = random.Random(plan.seed)  # noqa: S311 - repeatable faults, not security

    def take_lost_answer(self, route: str) -> bool:
        """True (once per route) when the fault plan loses this route's answer after doing its work."""
        with self._lock:
            if route in self.faults.lose_answer_once and route not in self._answers_lost:
                self._answers_lost.add(route)
                return True
            return False

    def delay(self, route: str) -> float:
        """How long the fault plan holds this request of `route` before serving it (counted calls)."""
        with self._lock:
            calls = self._calls[route]
            return next((s for r, n, s in self.faults.slow_for if r == route and calls <= n), 0.0)

    def draw_fault(self, route: str = "") -> str | None:
        """Which fault, if any, the fault plan picks for the next request (counted in faults_served)."""
        plan = self.faults
        with self._lock:
            down = dict(plan.down_for).get(route, 0)
            if self._calls[route] <= down:
                self.faults_served["server_error"] += 1
                return "server_error"
        shares = (
            ("rate_limit", plan.rate_limit_share),
            ("server_error", plan.server_error_share),
            ("drop", plan.drop_share),
        )
        with self._lock:
            roll = self._rng.random()
            for name, share in shares:
                if roll < share:
                    self.faults_served[name] += 1
                    return name
                roll -= share
        return None

    # Owners -------------------------------------------------------------------------------

    def add_owner(
        self,
        email: str,
        first_name: str,
        last_name: str,
        *,
        active: bool = True,
        teams: list[str] | None = None,
    ) -> str:
        """Create an owner (a HubSpot user); returns its id."""
        with self._lock:
            owner_id = str(next(self._owner_ids))
            stamp = hubspot_time()
            self._owners[owner_id] = {
                "id": owner_id,
                "email": email,
                "firstName": first_name,
                "lastName": last_name,
                "userId": int(owner_id) + 1000,
                "type": "PERSON",
                "createdAt": stamp,
                "updatedAt": stamp,
                "archived": not active,
                "teams": [{"id": str(i), "name": t, "primary": i == 0} for i, t in enumerate(teams or [])],
            }
            return owner_id

    def archive_owner(self, owner_id: str) -> None:
        """Deactivate an owner (a user removed from the portal)."""
        with self._lock:
            self.owner(owner_id)
            self._owners[owner_id]["archived"] = True

    def owners(self, archived: bool = False) -> list[dict[str, Any]]:
        """Owners, active ones unless `archived`."""
        with self._lock:
            return [dict(o) for o in self._owners.values() if o["archived"] == archived]

    def owner(self, owner_id: str) -> dict[str, Any]:
        """One owner, or a 404 error."""
        with self._lock:
            if owner_id not in self._owners:
                raise StandInError(404, "OBJECT_NOT_FOUND", f"Owner {owner_id} not found")
            return dict(self._owners[owner_id])

    # Objects ------------------------------------------------------------------------------

    def _table(self, object_type: str) -> dict[str, dict[str, Any]]:
        if object_type not in self._objects:
            raise StandInError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type}")
        return self._objects[object_type]

    def check_object_type(self, object_type: str) -> None:
        """A 400 for an object type the portal does not have."""
        self._table(object_type)

    def _lifecycle_stages(self) -> list[str]:
        options = self._properties["contacts"]["lifecyclestage"]["options"]
        return [o["value"] for o in sorted(options, key=lambda o: o["displayOrder"])]

    def add_lifecycle_stage(self, value: str, label: str, after: str) -> None:
        """A custom lifecycle stage (as portals add a "Sales accepted lead"), placed after `after`."""
        with self._lock:
            options = self._properties["contacts"]["lifecyclestage"]["options"]
            position = next(o["displayOrder"] for o in options if o["value"] == after) + 1
            for option in options:
                if option["displayOrder"] >= position:
                    option["displayOrder"] += 1
            options.append({"label": label, "value": value, "displayOrder": position, "hidden": False})

    def add_pipeline(self, pipeline_id: str, stages: list[str], object_type: str = "deals") -> None:
        """A pipeline with its stages (internal values), as a portal admin creates one."""
        with self._lock:
            self._pipelines[object_type][pipeline_id] = list(stages)

    def remove_pipeline(self, pipeline_id: str, object_type: str) -> None:
        """Delete a pipeline (a portal without leads set up has no lead pipeline)."""
        with self._lock:
            self._pipelines[object_type].pop(pipeline_id, None)

    def pipelines(self, object_type: str) -> dict[str, list[str]]:
        """The pipelines of an object type, each with its stages."""
        with self._lock:
            if object_type not in self._pipelines:
                raise StandInError(400, "VALIDATION_ERROR", f"{object_type} have no pipelines")
            return {p: list(stages) for p, stages in self._pipelines[object_type].items()}

    def _pipeline_problems(self, object_type: str, old: dict[str, str], values: dict[str, str]) -> list[Any]:
        """A pipeline or stage the object type's pipelines lack (their ids are the options)."""
        pipelines = self._pipelines[object_type]
        pipeline_prop, stage_prop = _PIPELINE_PROPERTIES[object_type]
        pipeline = values.get(pipeline_prop) or old.get(pipeline_prop) or next(iter(pipelines), "default")
        if pipeline not in pipelines:
            return [not_an_option(pipeline_prop, pipeline, sorted(pipelines))]
        stage = values.get(stage_prop)
        if stage and stage not in pipelines[pipeline]:
            return [not_an_option(stage_prop, stage, pipelines[pipeline])]
        return []

    def _check(
        self, object_type: str, old: dict[str, str], new: dict[str, Any], api: bool = False
    ) -> dict[str, str]:
        """The values a write stores; a 400 listing every problem, HubSpot's way, when any is wrong."""
        not_text = [k for k, v in new.items() if isinstance(v, (dict, list))]
        if not_text:
            # HubSpot reads property values as text: an object or array is no value (openapi.py refuses it
            # on the wire; this keeps callers of the store to the same rule).
            raise StandInError(
                400, "VALIDATION_ERROR", f"Invalid input JSON: {', '.join(not_text)}: not text"
            )
        raw = {k: "" if v is None else str(v) for k, v in new.items()}
        try:
            values = checked_values(self._properties[object_type], raw, api=api)
        except PropertyRefusal as refusal:
            problems = refusal.problems
        else:
            problems = []
        if not problems and object_type in _PIPELINE_PROPERTIES:
            problems = self._pipeline_problems(object_type, old, values)
        owner = raw.get("hubspot_owner_id")
        if owner and self._owners.get(owner, {}).get("archived", True):
            # HubSpot's answer for an id that is no owner (observed); an archived owner is refused alike.
            problems.append(
                problem(
                    "hubspot_owner_id", "INVALID_INTEGER", f"{owner} was not a valid integer (for owner ID)."
                )
            )
        if problems:
            raise StandInError(400, "VALIDATION_ERROR", str(PropertyRefusal(problems)))
        stages, stage, current = (
            self._lifecycle_stages(),
            values.get("lifecyclestage"),
            old.get("lifecyclestage"),
        )
        if stage and current in stages and stages.index(stage) < stages.index(current):
            # HubSpot keeps the later stage: moving backwards needs the value cleared first.
            del values["lifecyclestage"]
        return values

    def create_object(
        self,
        object_type: str,
        properties: dict[str, Any],
        associations: list[dict[str, Any]] | None = None,
        api: bool = False,
        portal_rules: bool = False,
    ) -> str:
        """Create a record (with optional create-time associations); returns its id. Nothing is created
        when any part of the request is refused; `api`: an integration's request (see `_check`);
        `portal_rules`: the admin's validation rules apply (a 2026-09 request)."""
        return self.create_objects(object_type, [(properties, associations)], api, portal_rules)[0]

    def create_objects(
        self,
        object_type: str,
        inputs: list[tuple[dict[str, Any], list[dict[str, Any]] | None]],
        api: bool = False,
        portal_rules: bool = False,
    ) -> list[str]:
        """Create records, each (properties, create-time associations), as one batch create: every input
        is checked before any is made, so a refused input leaves nothing created; their ids, in order."""
        with self._lock:
            checked = [self._new_record(object_type, p, a or [], api, portal_rules) for p, a in inputs]
            ids = []
            for values, links in checked:
                object_id = self._insert(object_type, values)
                for to_type, to_id in links:
                    self._associate(object_type, object_id, to_type, to_id)
                ids.append(object_id)
            return ids

    def _new_record(
        self,
        object_type: str,
        properties: dict[str, Any],
        associations: list[dict[str, Any]],
        api: bool,
        portal_rules: bool,
    ) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """A new record's values and links, checked as HubSpot checks a create (StandInError if refused)."""
        self._table(object_type)
        if portal_rules:
            self._enforce_rules(object_type, {}, properties, creating=True)
        if object_type in _TIMESTAMPED and not properties.get("hs_timestamp"):
            raise StandInError(
                400, "VALIDATION_ERROR", "Property values were not valid: hs_timestamp is required"
            )
        if object_type == "leads":
            self._check_new_lead(properties, associations)
        values = self._check(object_type, {}, properties, api)
        if object_type == "leads":
            values.setdefault("hs_pipeline", LEAD_PIPELINE)
            values.setdefault("hs_pipeline_stage", LEAD_STAGES[0])
        return values, self._links(object_type, associations)

    def _insert(self, object_type: str, values: dict[str, str]) -> str:
        object_id = str(next(self._ids[object_type]))
        stamp = hubspot_time(self.clock())
        values = {
            **values,
            "hs_object_id": object_id,
            "createdate": stamp,
            "lastmodifieddate": stamp,
            "hs_lastmodifieddate": stamp,
        }
        self._table(object_type)[object_id] = {
            "id": object_id,
            "properties": values,
            "createdAt": stamp,
            "updatedAt": stamp,
            "changed": dict.fromkeys(values, self._ms()),
        }
        return object_id

    def _links(self, object_type: str, associations: list[dict[str, Any]]) -> list[tuple[str, str]]:
        """The (object type, id) each create-time association names, each checked first."""
        links = []
        for link in associations:
            to_id = str(link["to"]["id"])
            for spec in link.get("types", []):
                type_id = int(spec["associationTypeId"])
                pair = _TYPE_ID_TARGET.get(type_id)
                if pair is None or pair[0] != object_type:
                    raise StandInError(
                        400, "VALIDATION_ERROR", f"association type {type_id} is not valid from {object_type}"
                    )
                target = self._record(pair[1], to_id)
                if target is None:
                    raise StandInError(
                        400, "VALIDATION_ERROR", f"Could not associate: {pair[1]} {to_id} does not exist"
                    )
                links.append((pair[1], str(target["id"])))
        return links

    def _enforce_rules(
        self, object_type: str, before: dict[str, Any], written: dict[str, Any], creating: bool
    ) -> None:
        """HubSpot's 400 for a write the portal's validation rules refuse (see `portal_rules`)."""
        errors = self.portal_rules.problems(object_type, before, written, creating)
        if errors:
            raise StandInError(
                400, "VALIDATION_ERROR", "The property values provided are invalid", errors=errors
            )

    def _check_new_lead(self, properties: dict[str, Any], associations: list[dict[str, Any]]) -> None:
        """A lead "must have a lead name" and "must be associated with an existing contact" when it is
        created (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/leads/guide).
        HubSpot does not document the error; the stand-in refuses with a 400 saying which rule."""
        if not properties.get("hs_lead_name"):
            raise StandInError(
                400, "VALIDATION_ERROR", "Property values were not valid: hs_lead_name is required"
            )
        contacts = [
            str(link["to"]["id"])
            for link in associations
            for spec in link.get("types", [])
            if _TYPE_ID_TARGET.get(int(spec["associationTypeId"])) == ("leads", "contacts")
        ]
        if not any(self.has_object("contacts", c) for c in contacts):
            raise StandInError(400, "VALIDATION_ERROR", "a lead must be associated with an existing contact")

    def _record(self, object_type: str, object_id: str) -> dict[str, Any] | None:
        """The live record an id names: a merged-away contact's id names the merged record."""
        table = self._table(object_type)
        object_id = str(object_id)
        while object_id in self._merged_into.get(object_type, {}):
            object_id = self._merged_into[object_type][object_id]
        return table.get(object_id)

    def _found(self, object_type: str, object_id: str) -> dict[str, Any]:
        record = self._record(object_type, object_id)
        if record is None:
            raise StandInError(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
        return record

    def get_object(self, object_type: str, object_id: str) -> dict[str, Any]:
        """A record with all its properties (a copy), or a 404 error. A merged-away id answers the
        merged record, under its own id."""
        with self._lock:
            record = self._found(object_type, object_id)
            copy = {k: v for k, v in record.items() if k != "changed"}
            return {**copy, "properties": dict(record["properties"]), "archived": False}

    def has_object(self, object_type: str, object_id: str) -> bool:
        """Whether an id names a live record (archived ones do not; merged-away ones do)."""
        with self._lock:
            return self._record(object_type, object_id) is not None

    def archive_object(self, object_type: str, object_id: str) -> None:
        """Delete a record, as HubSpot's DELETE does: it moves to the recycling bin, its associations
        go with it, and reads and updates of it answer 404 (an unknown id is no error either)."""
        with self._lock:
            record = self._record(object_type, object_id)
            if record is None:
                return
            del self._table(object_type)[record["id"]]
            self._archived.setdefault(object_type, {})[record["id"]] = record
            self._associations = {
                a for a in self._associations if (a[0], a[1]) != (object_type, record["id"])
            }
            self._associations = {
                a for a in self._associations if (a[2], a[3]) != (object_type, record["id"])
            }

    def merge_contacts(self, primary_id: str, merged_id: str) -> str:
        """Merge two contacts, as HubSpot does since 2024: a new record with a new id takes the primary's
        values (the other's where the primary has none) and both records' associations, and both old
        ids name it from then on (https://developers.hubspot.com/changelog/updated-merge-functionality-
        for-contacts-and-companies). Its `hs_merged_object_ids` lists them. Returns the new id."""
        with self._lock:
            primary, other = self._found("contacts", primary_id), self._found("contacts", merged_id)
            if primary["id"] == other["id"]:
                raise StandInError(400, "VALIDATION_ERROR", "Cannot merge a contact with itself")
            values = {k: v for k, v in other["properties"].items() if v} | {
                k: v for k, v in primary["properties"].items() if v
            }
            earlier = [
                i
                for r in (primary, other)
                for i in (r["properties"].get("hs_merged_object_ids") or "").split(";")
                if i
            ]
            merged = sorted({*earlier, primary["id"], other["id"]}, key=int)
            keep = {
                k: v
                for k, v in values.items()
                if k not in ("hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate")
            }
            new_id = self._insert("contacts", {**keep, "hs_merged_object_ids": ";".join(merged)})
            for old in (primary["id"], other["id"]):
                for _, _, to_type, to_id, _ in [a for a in self._associations if a[:2] == ("contacts", old)]:
                    self._associate("contacts", new_id, to_type, to_id)
                self.archive_object("contacts", old)
                self._merged_into.setdefault("contacts", {})[old] = new_id
            return new_id

    def list_objects(self, object_type: str) -> list[dict[str, Any]]:
        """Every record of a type, in creation order (copies)."""
        with self._lock:
            return [self.get_object(object_type, i) for i in self._table(object_type)]

    def update_object(
        self,
        object_type: str,
        object_id: str,
        properties: dict[str, Any],
        api: bool = False,
        portal_rules: bool = False,
    ) -> dict[str, Any]:
        """Update a record's properties with HubSpot's rules; returns the record."""
        return self.update_objects(object_type, {object_id: properties}, api, portal_rules)[0]

    def update_objects(
        self,
        object_type: str,
        updates: dict[str, dict[str, Any]],
        api: bool = False,
        portal_rules: bool = False,
    ) -> list[dict[str, Any]]:
        """Update records, all or none: every input is checked before any is written, as HubSpot's
        batch update refuses the whole batch for one bad input. Returns the records."""
        with self._lock:
            checked = []
            for object_id, properties in updates.items():
                record = self._found(object_type, object_id)
                if portal_rules:
                    self._enforce_rules(object_type, record["properties"], properties, creating=False)
                checked.append((record, self._check(object_type, record["properties"], properties, api)))
            for record, values in checked:
                self._write(object_type, record, values)
            return [self.get_object(object_type, record["id"]) for record, _ in checked]

    def _write(self, object_type: str, record: dict[str, Any], values: dict[str, str]) -> None:
        changes = {k: v for k, v in values.items() if record["properties"].get(k, "") != v}
        stamp = hubspot_time(self.clock())
        record["properties"].update(values, lastmodifieddate=stamp, hs_lastmodifieddate=stamp)
        record["updatedAt"] = stamp
        record["changed"].update(dict.fromkeys(values, self._ms()))
        self.webhooks.changed(object_type, record["id"], changes, self._ms())

    def _ms(self) -> int:
        return int(self.clock().timestamp() * 1000)

    def changed_at(self, object_type: str, object_id: str) -> dict[str, int]:
        """When each property of a record last changed (epoch ms): HubSpot's property history, newest only."""
        with self._lock:
            return dict(self._found(object_type, object_id)["changed"])

    def search(self, object_type: str, filters: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """Records matching any filter group (all filters of a group), HubSpot search operators."""
        with self._lock:
            records = self.list_objects(object_type)
        if not filters:
            return records
        return [
            r for r in records if any(all(_matches(r["properties"], f) for f in group) for group in filters)
        ]

    # Associations -------------------------------------------------------------------------

    def _associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> int:
        source, target = self._record(from_type, from_id), self._record(to_type, to_id)
        if source is None or target is None:
            raise StandInError(
                404, "OBJECT_NOT_FOUND", f"{to_type} {to_id} or {from_type} {from_id} does not exist"
            )
        from_id, to_id = source["id"], target["id"]
        forward = DEFAULT_ASSOCIATIONS.get((from_type, to_type))
        backward = DEFAULT_ASSOCIATIONS.get((to_type, from_type))
        if forward is None or backward is None:
            raise StandInError(
                400, "VALIDATION_ERROR", f"no default association from {from_type} to {to_type}"
            )
        self._associations.add((from_type, from_id, to_type, to_id, forward))
        self._associations.add((to_type, to_id, from_type, from_id, backward))
        return forward

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> int:
        """Create the default association both ways; returns the forward type id."""
        with self._lock:
            return self._associate(from_type, str(from_id), to_type, str(to_id))

    def associations(self, from_type: str, from_id: str, to_type: str) -> list[tuple[str, int]]:
        """(to id, association type id) of a record's associations to one object type, by id."""
        with self._lock:
            record = self._record(from_type, from_id)
            from_id = record["id"] if record else str(from_id)
            return sorted(
                (
                    (t, type_id)
                    for f, i, tt, t, type_id in self._associations
                    if (f, i, tt) == (from_type, from_id, to_type)
                ),
                key=lambda link: (int(link[0]), link[1]),
            )

    # Properties ---------------------------------------------------------------------------

    def properties(self, object_type: str) -> list[dict[str, Any]]:
        """Property definitions of an object type."""
        with self._lock:
            return [dict(p) for p in self._properties[self._checked_type(object_type)].values()]

    def _checked_type(self, object_type: str) -> str:
        self._table(object_type)
        return object_type

    def property(self, object_type: str, name: str) -> dict[str, Any]:
        """One property definition, or a 404 error."""
        with self._lock:
            found = self._properties[self._checked_type(object_type)].get(name)
            if found is None:
                raise StandInError(404, "OBJECT_NOT_FOUND", f"Unable to find property {name}")
            return dict(found)

    def create_property(self, object_type: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Create a property definition; 409 when the name exists."""
        with self._lock:
            table = self._properties[self._checked_type(object_type)]
            for field in ("name", "label", "type", "fieldType", "groupName"):
                if not spec.get(field):
                    raise StandInError(400, "VALIDATION_ERROR", f"Property definition is missing {field}")
            if spec["name"] in table:
                raise StandInError(
                    409, "OBJECT_ALREADY_EXISTS", f"Property named '{spec['name']}' already exists."
                )
            self._check_definition(object_type, spec["type"], spec["fieldType"], spec["groupName"])
            definition = _property_definition(
                spec["name"],
                spec["label"],
                spec["type"],
                spec["fieldType"],
                spec["groupName"],
                spec.get("options"),
                spec.get("description", ""),
            )
            table[spec["name"]] = definition
            return dict(definition)

    def _check_definition(self, object_type: str, type_: str, field_type: str, group: str) -> None:
        """A 400 for a definition HubSpot refuses: a field type its type does not take, a group not there."""
        problem_text = field_type_problem(type_, field_type)
        if problem_text:
            raise StandInError(400, "VALIDATION_ERROR", problem_text)
        if group not in self._groups[object_type]:
            raise StandInError(400, "VALIDATION_ERROR", f"property group {group} does not exist")

    def update_property(self, object_type: str, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change a property definition's label, description, options or group."""
        with self._lock:
            current = self.property(object_type, name)
            self._check_definition(
                object_type,
                changes.get("type", current["type"]),
                changes.get("fieldType", current["fieldType"]),
                changes.get("groupName", current["groupName"]),
            )
            allowed = {
                k: v
                for k, v in changes.items()
                if k in ("label", "description", "options", "groupName", "hidden")
            }
            current.update(allowed, updatedAt=hubspot_time())
            self._properties[object_type][name] = current
            return dict(current)

    def groups(self, object_type: str) -> list[dict[str, Any]]:
        """Property groups of an object type."""
        with self._lock:
            return [dict(g) for g in self._groups[self._checked_type(object_type)].values()]

    def group(self, object_type: str, name: str) -> dict[str, Any]:
        """One property group, or a 404 error."""
        with self._lock:
            found = self._groups[self._checked_type(object_type)].get(name)
            if found is None:
                raise StandInError(404, "OBJECT_NOT_FOUND", f"Unable to find property group {name}")
            return dict(found)

    def create_group(self, object_type: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Create a property group; 409 when the name exists."""
        with self._lock:
            table = self._groups[self._checked_type(object_type)]
            if not spec.get("name") or not spec.get("label"):
                raise StandInError(400, "VALIDATION_ERROR", "Property group needs name and label")
            if spec["name"] in table:
                raise StandInError(
                    409, "OBJECT_ALREADY_EXISTS", f"Property group named '{spec['name']}' already exists."
                )
            table[spec["name"]] = {
                "name": spec["name"],
                "label": spec["label"],
                "displayOrder": int(spec.get("displayOrder", -1)),
                "archived": False,
            }
            return dict(table[spec["name"]])


def _matches(properties: dict[str, str], flt: dict[str, Any]) -> bool:
    value = properties.get(flt.get("propertyName", ""))
    op = flt.get("operator", "EQ")
    if op == "HAS_PROPERTY":
        return bool(value)
    if op == "NOT_HAS_PROPERTY":
        return not value
    if op == "IN":
        return value in [str(v) for v in flt.get("values", [])]
    if op == "NOT_IN":
        return value not in [str(v) for v in flt.get("values", [])]
    target = str(flt.get("value", ""))
    if op == "EQ":
        return (value or "").lower() == target.lower()
    if op == "NEQ":
        return (value or "").lower() != target.lower()
    try:
        left, right = float(value or "nan"), float(target)
    except ValueError:
        return False
    return {"GT": left > right, "GTE": left >= right, "LT": left < right, "LTE": left <= right}.get(op, False)
