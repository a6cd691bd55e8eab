"""Requests to every route the stand-in serves, valid and invalid, on each API version, with the status
HubSpot answers them: the cases of the contract tier (test_hubspot_specs.py).

A case's path names its API's prefix (`{objects}`, `{owners}`...), which each version spells its own way,
and the records of the seeded portal (`$contact`, `$owner`...); bodies name them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Template
from typing import Any, Final

LEGACY: Final = "legacy"
VERSIONS: Final = (LEGACY, "2026-03", "2026-09")
NOT_2026_09: Final = (LEGACY, "2026-03")
LEGACY_ONLY: Final = (LEGACY,)

# Each API's prefix on each version (the legacy v3/v4 paths, and the date-based ones).
PREFIXES: Final = {
    LEGACY: {
        "objects": "/crm/v3/objects",
        "assoc_objects": "/crm/v4/objects",
        "associations": "/crm/v4/associations",
        "owners": "/crm/v3/owners",
        "pipelines": "/crm/v3/pipelines",
        "properties": "/crm/v3/properties",
        "callbacks": "/automation/v4/actions/callbacks",
        "actions": "/automation/v4/actions",
    },
    **{
        version: {
            "objects": f"/crm/objects/{version}",
            "assoc_objects": f"/crm/objects/{version}",
            "associations": f"/crm/associations/{version}",
            "owners": f"/crm/owners/{version}",
            "pipelines": f"/crm/pipelines/{version}",
            "properties": f"/crm/properties/{version}",
            "callbacks": f"/automation/actions/callbacks/{version}",
            "actions": f"/automation/actions/{version}",
        }
        for version in ("2026-03", "2026-09")
    },
}
# A batch with an id HubSpot does not have: a 207 where the spec has one, a 200 on 2026-09.
PARTIAL: Final = {LEGACY: 207, "2026-03": 207, "2026-09": 200}
UNKNOWN: Final = "424242"


@dataclass(frozen=True)
class Case:
    """One request and the status HubSpot answers it with (per version when it differs)."""

    name: str
    method: str
    path: str
    status: int | Mapping[str, int]
    body: Any = None
    query: Mapping[str, str] = field(default_factory=dict)
    versions: tuple[str, ...] = VERSIONS
    raw: bytes | None = None

    def expected(self, version: str) -> int:
        """The status HubSpot answers on `version`."""
        return self.status if isinstance(self.status, int) else self.status[version]

    def request(self, version: str, seed: Mapping[str, str]) -> tuple[str, str, Any, dict[str, str]]:
        """(method, path, body, query) on `version`, the seeded portal's ids filled in."""
        path = Template(self.path.format(**PREFIXES[version])).substitute(seed)
        return (
            self.method,
            path,
            _filled(self.body, seed),
            {k: Template(v).substitute(seed) for k, v in self.query.items()},
        )


def _filled(value: Any, seed: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return Template(value).substitute(seed)
    if isinstance(value, list):
        return [_filled(v, seed) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, seed) for k, v in value.items()}
    return value


def _link(to: str, type_id: Any, category: str = "HUBSPOT_DEFINED") -> dict[str, Any]:
    return {"to": {"id": to}, "types": [{"associationCategory": category, "associationTypeId": type_id}]}


_TASK = {"hs_timestamp": "1764000000000", "hs_task_subject": "Call Ada", "hubspot_owner_id": "$owner"}
_SEARCH = {
    "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "ada@example.com"}]}]
}


def _search(**changes: Any) -> dict[str, Any]:
    return {**_SEARCH, "properties": ["email"], "limit": 10, **changes}


def _filter(operator: str = "EQ", **more: Any) -> dict[str, Any]:
    return {"propertyName": "email", "operator": operator, "value": "x", **more}


OBJECTS: Final = (
    Case("create a contact", "POST", "{objects}/contacts", 201, {"properties": {"email": "new@example.com"}}),
    Case("create a contact by type id", "POST", "{objects}/0-1", 201, {"properties": {"firstname": "Ida"}}),
    Case(
        "create a task on a contact",
        "POST",
        "{objects}/tasks",
        201,
        {"properties": _TASK, "associations": [_link("$contact", 204)]},
    ),
    Case("create a note", "POST", "{objects}/notes", 201, {"properties": {"hs_timestamp": "1764000000000"}}),
    Case(
        "a note without hs_timestamp", "POST", "{objects}/notes", 400, {"properties": {"hs_note_body": "x"}}
    ),
    Case(
        "a task without hs_timestamp",
        "POST",
        "{objects}/tasks",
        400,
        {"properties": {"hs_task_subject": "x"}},
    ),
    Case(
        "create a lead on its contact",
        "POST",
        "{objects}/leads",
        201,
        {"properties": {"hs_lead_name": "Ida"}, "associations": [_link("$contact", 578)]},
    ),
    Case("a lead without a contact", "POST", "{objects}/0-136", 400, {"properties": {"hs_lead_name": "Ida"}}),
    Case("create with properties as an array", "POST", "{objects}/contacts", 400, {"properties": ["email"]}),
    Case(
        "create with an object as a value",
        "POST",
        "{objects}/contacts",
        400,
        {"properties": {"email": {"value": "x@example.com"}}},
    ),
    Case("create with a null value", "POST", "{objects}/contacts", 400, {"properties": {"email": None}}),
    Case(
        "create with a number as a value",
        "POST",
        "{objects}/contacts",
        400,
        {"properties": {"numemployees": 5}},
    ),
    Case(
        "an unknown associationCategory",
        "POST",
        "{objects}/tasks",
        400,
        {"properties": _TASK, "associations": [_link("$contact", 204, "FRIENDLY")]},
    ),
    Case(
        "an associationTypeId as text",
        "POST",
        "{objects}/tasks",
        400,
        {"properties": _TASK, "associations": [_link("$contact", "204")]},
    ),
    Case(
        "an association type from another object",
        "POST",
        "{objects}/tasks",
        400,
        {"properties": _TASK, "associations": [_link("$contact", 3)]},
    ),
    Case(
        "an unknown property", "POST", "{objects}/contacts", 400, {"properties": {"leadflow_nonsense": "1"}}
    ),
    Case("an unknown object type", "POST", "{objects}/widgets", 400, {"properties": {"name": "x"}}),
    Case("a create without a body", "POST", "{objects}/contacts", 400),
    Case("a body that is not JSON", "POST", "{objects}/contacts", 400, raw=b'{"properties": {'),
    Case("a body that is an array", "POST", "{objects}/contacts", 400, [{"properties": {}}]),
    Case("list contacts", "GET", "{objects}/contacts", 200, query={"limit": "1", "properties": "email"}),
    Case("list with a limit that is no number", "GET", "{objects}/contacts", 400, query={"limit": "ten"}),
    Case("list after a cursor never given", "GET", "{objects}/contacts", 400, query={"after": "abc"}),
    Case("get a contact", "GET", "{objects}/contacts/$contact", 200, query={"properties": "email,firstname"}),
    Case("get a lead by type id", "GET", "{objects}/0-136/$lead", 200),
    Case("get a record that does not exist", "GET", "{objects}/contacts/" + UNKNOWN, 404),
    Case(
        "update a contact", "PATCH", "{objects}/contacts/$contact", 200, {"properties": {"jobtitle": "CTO"}}
    ),
    Case(
        "update with properties as an array",
        "PATCH",
        "{objects}/contacts/$contact",
        400,
        {"properties": ["x"]},
    ),
    Case(
        "update with an object as a value",
        "PATCH",
        "{objects}/contacts/$contact",
        400,
        {"properties": {"jobtitle": {"a": 1}}},
    ),
    Case(
        "update with an option that is none",
        "PATCH",
        "{objects}/contacts/$contact",
        400,
        {"properties": {"hs_lead_status": "MAYBE"}},
    ),
    Case(
        "update a read-only property",
        "PATCH",
        "{objects}/contacts/$contact",
        400,
        {"properties": {"hs_object_id": "1"}},
    ),
    Case("update without properties", "PATCH", "{objects}/contacts/$contact", 400, {}),
    Case(
        "update a record that does not exist",
        "PATCH",
        "{objects}/contacts/" + UNKNOWN,
        404,
        {"properties": {}},
    ),
    Case("delete a record", "DELETE", "{objects}/notes/$note", 204),
    Case("delete a record that does not exist", "DELETE", "{objects}/notes/" + UNKNOWN, 204),
    Case("delete a record of an unknown object type", "DELETE", "{objects}/widgets/$note", 400),
)

BATCHES: Final = (
    Case(
        "batch read",
        "POST",
        "{objects}/contacts/batch/read",
        200,
        {"properties": ["email", "industry"], "propertiesWithHistory": [], "inputs": [{"id": "$contact"}]},
    ),
    Case(
        "batch read with an id HubSpot does not have",
        "POST",
        "{objects}/contacts/batch/read",
        PARTIAL,
        {
            "properties": ["email"],
            "propertiesWithHistory": [],
            "inputs": [{"id": "$contact"}, {"id": UNKNOWN}],
        },
    ),
    Case(
        "batch read of leads by type id",
        "POST",
        "{objects}/0-136/batch/read",
        200,
        {"properties": ["hs_lead_name"], "propertiesWithHistory": [], "inputs": [{"id": "$lead"}]},
    ),
    Case(
        "batch read without inputs",
        "POST",
        "{objects}/contacts/batch/read",
        400,
        {"properties": [], "propertiesWithHistory": []},
    ),
    Case(
        "batch read with a numeric id",
        "POST",
        "{objects}/contacts/batch/read",
        400,
        {"properties": [], "propertiesWithHistory": [], "inputs": [{"id": 101}]},
    ),
    Case(
        "batch read of 101",
        "POST",
        "{objects}/contacts/batch/read",
        400,
        {"properties": [], "propertiesWithHistory": [], "inputs": [{"id": "$contact"}] * 101},
    ),
    Case(
        "batch read with properties as text",
        "POST",
        "{objects}/contacts/batch/read",
        400,
        {"properties": "email", "propertiesWithHistory": [], "inputs": [{"id": "$contact"}]},
    ),
    Case(
        "batch update",
        "POST",
        "{objects}/contacts/batch/update",
        200,
        {"inputs": [{"id": "$contact", "properties": {"leadflow_score": "42"}}]},
    ),
    Case(
        "batch update with properties as an array",
        "POST",
        "{objects}/contacts/batch/update",
        400,
        {"inputs": [{"id": "$contact", "properties": ["leadflow_score"]}]},
    ),
    Case(
        "batch update of 101",
        "POST",
        "{objects}/contacts/batch/update",
        400,
        {"inputs": [{"id": "$contact", "properties": {}}] * 101},
    ),
    Case(
        "batch update of a record that does not exist",
        "POST",
        "{objects}/contacts/batch/update",
        400,
        {"inputs": [{"id": UNKNOWN, "properties": {"leadflow_score": "1"}}]},
    ),
    Case(
        "batch create",
        "POST",
        "{objects}/companies/batch/create",
        201,
        {"inputs": [{"properties": {"name": "Initech"}}]},
    ),
    Case(
        "batch create without properties", "POST", "{objects}/companies/batch/create", 400, {"inputs": [{}]}
    ),
)

SEARCHES: Final = (
    Case("search", "POST", "{objects}/contacts/search", 200, _search()),
    Case("search with no body members", "POST", "{objects}/contacts/search", 200, {}),
    Case("search for 201", "POST", "{objects}/contacts/search", 400, _search(limit=201)),
    Case("search with a limit as text", "POST", "{objects}/contacts/search", 400, _search(limit="10")),
    Case(
        "search with six filter groups",
        "POST",
        "{objects}/contacts/search",
        400,
        _search(filterGroups=[{"filters": [_filter()]}] * 6),
    ),
    Case(
        "search with eleven filters in a group",
        "POST",
        "{objects}/contacts/search",
        400,
        _search(filterGroups=[{"filters": [_filter()] * 11}]),
    ),
    Case(
        "search with an unknown operator",
        "POST",
        "{objects}/contacts/search",
        400,
        _search(filterGroups=[{"filters": [_filter("LIKE")]}]),
    ),
    Case(
        "search with a filter without propertyName",
        "POST",
        "{objects}/contacts/search",
        400,
        _search(filterGroups=[{"filters": [{"operator": "EQ", "value": "x"}]}]),
    ),
    Case(
        "search IN without values",
        "POST",
        "{objects}/contacts/search",
        400,
        _search(filterGroups=[{"filters": [_filter("IN")]}]),
    ),
    Case("search past 10,000 results", "POST", "{objects}/contacts/search", 400, _search(after="10000")),
    Case(
        "search after a cursor never given", "POST", "{objects}/contacts/search", 400, _search(after="next")
    ),
)

MERGES: Final = (
    Case(
        "merge two contacts",
        "POST",
        "{objects}/contacts/merge",
        200,
        {"primaryObjectId": "$contact", "objectIdToMerge": "$duplicate"},
    ),
    Case(
        "merge without the other id", "POST", "{objects}/contacts/merge", 400, {"primaryObjectId": "$contact"}
    ),
    Case(
        "merge a contact with itself",
        "POST",
        "{objects}/contacts/merge",
        400,
        {"primaryObjectId": "$contact", "objectIdToMerge": "$contact"},
    ),
)

_ASSOCIATIONS_READ = "{associations}/contacts/deals/batch/read"
ASSOCIATIONS: Final = (
    Case(
        "associate by default",
        "PUT",
        "{assoc_objects}/notes/$note/associations/default/contacts/$contact",
        200,
    ),
    Case(
        "associate a record that does not exist",
        "PUT",
        "{assoc_objects}/notes/" + UNKNOWN + "/associations/default/contacts/$contact",
        404,
    ),
    Case(
        "associate with an unknown object type",
        "PUT",
        "{assoc_objects}/notes/$note/associations/default/widgets/1",
        400,
    ),
    Case(
        "list a record's associations",
        "GET",
        "{assoc_objects}/contacts/$contact/associations/deals",
        200,
        versions=NOT_2026_09,
    ),
    Case(
        "list associations by type id",
        "GET",
        "{assoc_objects}/0-1/$contact/associations/0-136",
        200,
        versions=NOT_2026_09,
    ),
    Case(
        "list associations of a record that does not exist",
        "GET",
        "{assoc_objects}/contacts/" + UNKNOWN + "/associations/deals",
        404,
        versions=NOT_2026_09,
    ),
    Case(
        "list associations with a limit that is no number",
        "GET",
        "{assoc_objects}/contacts/$contact/associations/deals",
        400,
        query={"limit": "all"},
        versions=NOT_2026_09,
    ),
    Case("batch read associations", "POST", _ASSOCIATIONS_READ, 200, {"inputs": [{"id": "$contact"}]}),
    Case(
        "batch read associations by type id",
        "POST",
        "{associations}/0-1/0-136/batch/read",
        200,
        {"inputs": [{"id": "$contact"}]},
    ),
    Case(
        "batch read associations of a record HubSpot does not have",
        "POST",
        _ASSOCIATIONS_READ,
        PARTIAL,
        {"inputs": [{"id": "$contact"}, {"id": UNKNOWN}]},
    ),
    Case("batch read associations without inputs", "POST", _ASSOCIATIONS_READ, 400, {"input": []}),
    Case(
        "batch read associations with a numeric id",
        "POST",
        _ASSOCIATIONS_READ,
        400,
        {"inputs": [{"id": 101}]},
    ),
    Case(
        "batch read associations of 1,001",
        "POST",
        _ASSOCIATIONS_READ,
        400,
        {"inputs": [{"id": "$contact"}] * 1001},
    ),
    Case(
        "batch read associations after a cursor never given",
        "POST",
        _ASSOCIATIONS_READ,
        400,
        {"inputs": [{"id": "$contact", "after": "next"}]},
    ),
)

OWNERS: Final = (
    Case("list owners", "GET", "{owners}", 200, query={"limit": "500", "archived": "false"}),
    Case("list owners as HubSpot's Python client asks", "GET", "{owners}", 200, query={"archived": "False"}),
    Case("list owners by email", "GET", "{owners}", 200, query={"email": "ada@example.com"}),
    Case("list owners with a limit that is no number", "GET", "{owners}", 400, query={"limit": "many"}),
    Case("list owners with archived not a boolean", "GET", "{owners}", 400, query={"archived": "maybe"}),
    Case("get an owner", "GET", "{owners}/$owner", 200),
    Case("get an owner that does not exist", "GET", "{owners}/" + UNKNOWN, 404),
    Case("get an owner by a name", "GET", "{owners}/ada", 400),
)

PIPELINES: Final = (
    Case("the lead pipelines", "GET", "{pipelines}/leads", 200),
    Case("the deal pipelines by type id", "GET", "{pipelines}/0-3", 200),
    Case("the pipelines of an object without any", "GET", "{pipelines}/contacts", 400),
    Case("the pipelines of an unknown object", "GET", "{pipelines}/widgets", 400),
)

_PROPERTY = {
    "name": "lead_grade",
    "label": "Lead grade",
    "type": "number",
    "fieldType": "number",
    "groupName": "leadflow",
}
PROPERTIES: Final = (
    Case("list contact properties", "GET", "{properties}/contacts", 200),
    Case("list the properties of an unknown object", "GET", "{properties}/widgets", 400),
    Case("create a property", "POST", "{properties}/contacts", 201, _PROPERTY),
    Case(
        "create a dropdown",
        "POST",
        "{properties}/0-136",
        201,
        {
            **_PROPERTY,
            "type": "enumeration",
            "fieldType": "select",
            "options": [{"label": "A", "value": "A", "displayOrder": 0, "hidden": False}],
        },
    ),
    Case(
        "create a property of an unknown type",
        "POST",
        "{properties}/contacts",
        400,
        {**_PROPERTY, "type": "money"},
    ),
    Case(
        "create a property of an unknown fieldType",
        "POST",
        "{properties}/contacts",
        400,
        {**_PROPERTY, "fieldType": "slider"},
    ),
    Case(
        "create a number shown as a checkbox",
        "POST",
        "{properties}/contacts",
        400,
        {**_PROPERTY, "fieldType": "checkbox"},
    ),
    Case(
        "create a property with options as text",
        "POST",
        "{properties}/contacts",
        400,
        {**_PROPERTY, "type": "enumeration", "fieldType": "select", "options": "A;B"},
    ),
    Case(
        "create a property in a group not there",
        "POST",
        "{properties}/contacts",
        400,
        {**_PROPERTY, "groupName": "revops"},
    ),
    Case(
        "create a property without a name", "POST", "{properties}/contacts", 400, {**_PROPERTY, "name": None}
    ),
    Case(
        "create a property that exists",
        "POST",
        "{properties}/contacts",
        409,
        {**_PROPERTY, "name": "leadflow_score"},
    ),
    Case("get a property", "GET", "{properties}/contacts/leadflow_score", 200),
    Case("get a property that does not exist", "GET", "{properties}/contacts/lead_grade", 404),
    Case(
        "update a property",
        "PATCH",
        "{properties}/contacts/leadflow_score",
        200,
        {"label": "Score", "groupName": "leadflow"},
    ),
    Case(
        "update a property's options to text",
        "PATCH",
        "{properties}/contacts/leadflow_fit_tier",
        400,
        {"options": "A"},
    ),
    Case(
        "update a property that does not exist",
        "PATCH",
        "{properties}/contacts/lead_grade",
        404,
        {"label": "x"},
    ),
    Case("list property groups", "GET", "{properties}/contacts/groups", 200),
    Case("list the property groups of an unknown object", "GET", "{properties}/widgets/groups", 400),
    Case(
        "create a property group",
        "POST",
        "{properties}/deals/groups",
        201,
        {"name": "revops", "label": "RevOps"},
    ),
    Case(
        "create a property group without a label",
        "POST",
        "{properties}/deals/groups",
        400,
        {"name": "revops"},
    ),
    Case(
        "create a property group that exists",
        "POST",
        "{properties}/contacts/groups",
        409,
        {"name": "leadflow", "label": "x"},
    ),
    Case("get leadflow's property group", "GET", "{properties}/contacts/groups/leadflow", 200),
    Case("get leadflow's lead property group", "GET", "{properties}/leads/groups/leadflow", 200),
    Case("get a property group that does not exist", "GET", "{properties}/contacts/groups/revops", 404),
)

_DONE = {"outputFields": {"hs_execution_state": "SUCCESS"}, "typedOutputs": {}}
CALLBACKS: Final = (
    Case("complete a blocked execution", "POST", "{callbacks}/$callback/complete", 204, _DONE),
    Case(
        "complete with outputFields alone",
        "POST",
        "{callbacks}/$callback/complete",
        {LEGACY: 204, "2026-03": 400, "2026-09": 400},
        {"outputFields": {"hs_execution_state": "SUCCESS"}},
    ),
    Case(
        "complete with outputFields as an array",
        "POST",
        "{callbacks}/$callback/complete",
        400,
        {"outputFields": [{"hs_execution_state": "SUCCESS"}], "typedOutputs": {}},
    ),
    Case(
        "complete with an execution state that is none",
        "POST",
        "{callbacks}/$callback/complete",
        400,
        {"outputFields": {"hs_execution_state": "DONE"}, "typedOutputs": {}},
    ),
    Case(
        "complete a callback that never blocked", "POST", "{callbacks}/" + UNKNOWN + "/complete", 400, _DONE
    ),
    Case(
        "complete a batch",
        "POST",
        "{callbacks}/complete",
        204,
        {"inputs": [{"callbackId": "$callback", **_DONE}]},
    ),
    Case(
        "complete a batch whose inputs are an object", "POST", "{callbacks}/complete", 400, {"inputs": _DONE}
    ),
)

_FIELD = {"typeDefinition": {"name": "reason", "type": "string", "fieldType": "text"}, "isRequired": False}
_ACTION = {
    "actionUrl": "https://leadflow.example/workflows/actions/score",
    "published": True,
    "objectTypes": ["CONTACT"],
    "inputFields": [_FIELD],
    "outputFields": [{"typeDefinition": {"name": "score", "type": "number", "fieldType": "number"}}],
    "functions": [],
    "labels": {"en": {"actionName": "Score", "inputFieldLabels": {"reason": "Reason"}}},
}
DEFINITIONS: Final = (
    Case("create an action", "POST", "{actions}/$app", 201, _ACTION, versions=LEGACY_ONLY),
    Case(
        "create an action as the guide does",
        "POST",
        "{actions}/$app",
        201,
        {k: v for k, v in _ACTION.items() if k != "functions"},
        versions=LEGACY_ONLY,
    ),
    Case(
        "create an action whose inputFields are an object",
        "POST",
        "{actions}/$app",
        400,
        {**_ACTION, "inputFields": {"reason": _FIELD}},
        versions=LEGACY_ONLY,
    ),
    Case(
        "create an action without labels",
        "POST",
        "{actions}/$app",
        400,
        {k: v for k, v in _ACTION.items() if k != "labels"},
        versions=LEGACY_ONLY,
    ),
    Case(
        "create an action in an app named, not numbered",
        "POST",
        "{actions}/leadflow",
        400,
        _ACTION,
        versions=LEGACY_ONLY,
    ),
    Case(
        "list the app's actions", "GET", "{actions}/$app", 200, query={"limit": "100"}, versions=LEGACY_ONLY
    ),
    Case(
        "list the app's actions, all at once",
        "GET",
        "{actions}/$app",
        400,
        query={"limit": "all"},
        versions=LEGACY_ONLY,
    ),
    Case("get an action", "GET", "{actions}/$app/$definition", 200, versions=LEGACY_ONLY),
    Case("get an action that does not exist", "GET", "{actions}/$app/" + UNKNOWN, 404, versions=LEGACY_ONLY),
    Case(
        "update an action",
        "PATCH",
        "{actions}/$app/$definition",
        200,
        {"published": False},
        versions=LEGACY_ONLY,
    ),
    Case(
        "update an action's inputFields to an object",
        "PATCH",
        "{actions}/$app/$definition",
        400,
        {"inputFields": {"reason": _FIELD}},
        versions=LEGACY_ONLY,
    ),
)

CASES: Final = (
    *OBJECTS,
    *BATCHES,
    *SEARCHES,
    *MERGES,
    *ASSOCIATIONS,
    *OWNERS,
    *PIPELINES,
    *PROPERTIES,
    *CALLBACKS,
    *DEFINITIONS,
)
