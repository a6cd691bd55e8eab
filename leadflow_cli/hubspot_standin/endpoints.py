"""What each HubSpot route answers, over the store and the automation state.

Requests reach these handlers already checked against their operation's spec (server.py, openapi.py), so
a handler reads the body's members as the spec types them; the rules HubSpot documents outside its specs
(search limits, batch sizes, paging) are checked here, each with its source.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, Final

from werkzeug.wrappers import Request, Response

from leadflow_cli.hubspot_standin.automation import Automation
from leadflow_cli.hubspot_standin.store import StandInError, StandInStore, hubspot_time

Json = dict[str, Any]
LEGACY: Final = "legacy"
# Batch create, read and update take at most 100 inputs
# (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/guide, "limited to 100");
# the associations batch read 1,000 (https://developers.hubspot.com/docs/api-reference/legacy/crm/
# associations/v4/guide, Limits: "Batch read associations: limited to 1,000 inputs per request body").
BATCH_LIMIT: Final = 100
ASSOCIATIONS_BATCH_LIMIT: Final = 1000
# A record's associations a page at most (CRM/Associations v4 spec: "Limit 500 per call").
ASSOCIATIONS_PAGE: Final = 500
# The search API (https://developers.hubspot.com/docs/api-reference/latest/crm/search/guide, Limitations):
# at most 200 records a page, and "the search endpoints are limited to 10,000 total results for any given
# query. Attempting to page beyond 10,000 will result in a 400 error"; at most five filter groups, ten
# filters in a group and 25 in all (https://developers.hubspot.com/changelog/breaking-change-expanded-
# filtering-capabilities-and-error-messaging-in-hubspots-search-api). The specs' description of
# `filterGroups` says "up to 6 groups"; the documented five is followed.
SEARCH_PAGE_MAX: Final = 200
SEARCH_RESULTS_MAX: Final = 10_000
SEARCH_GROUPS_MAX: Final = 5
SEARCH_GROUP_FILTERS_MAX: Final = 10
SEARCH_FILTERS_MAX: Final = 25
# Page sizes of the listings when `limit` is not given, and at most (the specs' defaults; the objects
# listing takes "a maximum of 100", https://developers.hubspot.com/docs/api-reference/latest/crm/objects/
# contacts/guide).
_OBJECTS_PAGE: Final = (10, 100)
_OWNERS_PAGE: Final = (100, 500)
_DEFINITIONS_PAGE: Final = (100, 100)
# HubSpot labels its default lead stages New, Attempting, Connected, Qualified and Disqualified.
_STAGE_LABELS: Final = {"unqualified-stage-id": "Disqualified"}
_CLOSED_DEAL_STAGES: Final = {"closedwon": "1.0", "closedlost": "0.0"}


def json_answer(status: int, body: Json, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer, as HubSpot sends them."""
    return Response(json.dumps(body), status, headers=headers, content_type="application/json;charset=utf-8")


def error_answer(status: int, category: str, message: str, **extra: Any) -> Response:
    """HubSpot's error body (the specs' `Error`: status, message, correlationId, category, and what
    more HubSpot gives, such as `errors` or `context`)."""
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return json_answer(status, body)


def refused(message: str) -> StandInError:
    """A request HubSpot refuses as invalid (400 VALIDATION_ERROR)."""
    return StandInError(400, "VALIDATION_ERROR", message)


def _view(record: Json, wanted: list[str] | None) -> Json:
    """A record as the API returns it: the requested properties plus HubSpot's defaults."""
    keep = set(wanted or []) | {"hs_object_id", "createdate", "lastmodifieddate"}
    props = {k: record["properties"].get(k) for k in keep}
    return {
        "id": record["id"],
        "properties": props,
        "createdAt": record["createdAt"],
        "updatedAt": record["updatedAt"],
        "archived": False,
    }


def _names(request: Request, key: str) -> list[str]:
    """A query parameter listing names, repeated or comma-separated (OpenAPI's exploded form)."""
    return [n for item in request.args.getlist(key) for n in item.split(",") if n]


def _cursor(after: Any) -> int:
    """The offset an `after` cursor names (the stand-in's cursors are offsets); a 400 for any other."""
    text = str(after or "0")
    if not text.isdigit():
        raise refused(f"Invalid paging cursor: after={text!r}")
    return int(text)


def page(items: list[Json], request: Request, sizes: tuple[int, int]) -> Response:
    """One page of `limit` items (at most `sizes[1]`, `sizes[0]` when not given) after the `after` cursor,
    with the next cursor."""
    limit = min(int(request.args.get("limit") or sizes[0]), sizes[1])
    start = _cursor(request.args.get("after"))
    found: Json = {"results": items[start : start + limit]}
    if start + limit < len(items):
        after = str(start + limit)
        found["paging"] = {"next": {"after": after, "link": f"{request.base_url}?after={after}"}}
    return json_answer(200, found)


class Endpoints:
    """The handlers, one per route endpoint: `(request, body, api version, path arguments) -> Response`."""

    def __init__(self, store: StandInStore, automation: Automation) -> None:
        self.store = store
        self.automation = automation

    # Owners -------------------------------------------------------------------------------

    def owners_list(self, request: Request, body: Json, api: str) -> Response:
        archived = request.args.get("archived", "false").lower() == "true"
        owners = self.store.owners(archived)
        if email := request.args.get("email"):
            owners = [o for o in owners if o["email"].lower() == email.lower()]
        return page(owners, request, _OWNERS_PAGE)

    def owners_get(self, request: Request, body: Json, api: str, owner_id: str) -> Response:
        return json_answer(200, self.store.owner(owner_id))

    # Objects ------------------------------------------------------------------------------

    def create(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        object_id = self.store.create_object(
            object_type,
            body["properties"],
            body.get("associations"),
            api=True,
            portal_rules=enforces_rules(api),
        )
        return json_answer(201, self.store.get_object(object_type, object_id))

    def objects_list(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        wanted = _names(request, "properties")
        return page([_view(r, wanted) for r in self.store.list_objects(object_type)], request, _OBJECTS_PAGE)

    def get(self, request: Request, body: Json, api: str, object_type: str, object_id: str) -> Response:
        return json_answer(
            200, _view(self.store.get_object(object_type, object_id), _names(request, "properties"))
        )

    def update(self, request: Request, body: Json, api: str, object_type: str, object_id: str) -> Response:
        record = self.store.update_object(
            object_type, object_id, body["properties"], api=True, portal_rules=enforces_rules(api)
        )
        return json_answer(200, record)

    def archive(self, request: Request, body: Json, api: str, object_type: str, object_id: str) -> Response:
        # 204 whether or not the record existed, as HubSpot answers.
        self.store.archive_object(object_type, object_id)
        return Response(status=204)

    def merge(self, request: Request, body: Json, api: str, object_type: str = "contacts") -> Response:
        if object_type != "contacts":
            raise refused(f"the stand-in merges contacts, not {object_type}")
        merged = self.store.merge_contacts(body["primaryObjectId"], body["objectIdToMerge"])
        return json_answer(200, self.store.get_object(object_type, merged))

    @staticmethod
    def _inputs(body: Json, limit: int = BATCH_LIMIT) -> list[Json]:
        inputs: list[Json] = body["inputs"]
        if len(inputs) > limit:
            raise refused(f"Batch input must not exceed {limit} inputs, got {len(inputs)}")
        return inputs

    @staticmethod
    def _batch(api: str, results: list[Json], missing: list[str], started: str) -> Response:
        """A batch answer; ids it did not find are its `errors`: in a 207 where the spec has one (legacy and
        2026-03), in a 200 on 2026-09 (its spec answers batches 200 only, `errors` and `numErrors` inside).
        Each error is the spec's StandardError (status, category, message, context, errors, links)."""
        answer: Json = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": hubspot_time(),
        }
        if not missing:
            return json_answer(200, answer)
        answer["numErrors"] = 1
        answer["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some objects, they may be deleted or not exist. "
                f"Check that ids are valid. ids: {', '.join(missing)}",
                "context": {"ids": missing},
                "errors": [],
                "links": {},
            }
        ]
        return json_answer(207 if api in (LEGACY, "2026-03") else 200, answer)

    def batch_read(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        started = hubspot_time()
        wanted = body.get("properties") or []
        results, missing = [], []
        for item in self._inputs(body):
            if self.store.has_object(object_type, item["id"]):
                results.append(_view(self.store.get_object(object_type, item["id"]), wanted))
            else:
                missing.append(item["id"])
        return self._batch(api, results, missing, started)

    def batch_update(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        started = hubspot_time()
        inputs = self._inputs(body)
        missing = [i["id"] for i in inputs if not self.store.has_object(object_type, i["id"])]
        if missing:
            raise refused(f"Could not update objects that do not exist: {', '.join(missing)}")
        updates = {i["id"]: i["properties"] for i in inputs}
        results = self.store.update_objects(object_type, updates, api=True, portal_rules=enforces_rules(api))
        return self._batch(api, results, [], started)

    def batch_create(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        started = hubspot_time()
        inputs = self._inputs(body)
        # Every input is checked before any record is made, and a refused input refuses the request. HubSpot
        # documents no such atomicity: its batch answers may carry `results` beside `errors` (the batch
        # create reference, developers.hubspot.com/docs/api-reference/legacy/crm/objects/objects/batch/
        # create-objects). leadflow reads both the same way: an input with no result is made one by one.
        ids = self.store.create_objects(
            object_type,
            [(i["properties"], i.get("associations")) for i in inputs],
            api=True,
            portal_rules=enforces_rules(api),
        )
        # Each created record carries its input's objectWriteTraceId (SimplePublicObject in HubSpot's 2026-09
        # spec); results come in no promised order, so they are answered last input first.
        traced = [
            (self.store.get_object(object_type, n), i.get("objectWriteTraceId"))
            for n, i in zip(ids, inputs, strict=True)
        ]
        results = [{**r, "objectWriteTraceId": t} if t else r for r, t in reversed(traced)]
        return json_answer(
            201,
            {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": hubspot_time()},
        )

    def search(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        groups = [g["filters"] for g in body.get("filterGroups") or []]
        limit, start = _search_window(body, groups)
        found = self.store.search(object_type, groups)
        answer: Json = {
            "total": len(found),
            "results": [_view(r, body.get("properties")) for r in found[start : start + limit]],
        }
        if start + limit < min(len(found), SEARCH_RESULTS_MAX):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return json_answer(200, answer)

    # Associations -------------------------------------------------------------------------

    def associate(
        self,
        request: Request,
        body: Json,
        api: str,
        object_type: str,
        object_id: str,
        to_type: str,
        to_id: str,
    ) -> Response:
        started = hubspot_time()
        type_id = self.store.associate(object_type, object_id, to_type, to_id)
        result = {
            "from": {"id": object_id},
            "to": {"id": to_id},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id},
        }
        return json_answer(
            200,
            {"status": "COMPLETE", "results": [result], "startedAt": started, "completedAt": hubspot_time()},
        )

    def _linked(self, object_type: str, object_id: str, to_type: str) -> list[Json]:
        """A record's associations to one object type as HubSpot answers them: `toObjectId` a number and the
        unlabeled type's `label` null (openapi.OBSERVED)."""
        return [
            {
                "toObjectId": int(to_id),
                "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}],
            }
            for to_id, type_id in self.store.associations(object_type, object_id, to_type)
        ]

    def associations(
        self, request: Request, body: Json, api: str, object_type: str, object_id: str, to_type: str
    ) -> Response:
        self.store.get_object(object_type, object_id)
        self.store.check_object_type(to_type)
        return page(
            self._linked(object_type, object_id, to_type), request, (ASSOCIATIONS_PAGE, ASSOCIATIONS_PAGE)
        )

    def associations_batch_read(
        self, request: Request, body: Json, api: str, object_type: str, to_type: str
    ) -> Response:
        """Each record's associations of a type, 500 a page at most, paged per record by the `after` beside
        its id (the spec of POST /crm/associations/2026-09/{from}/{to}/batch/read: "The 'after' field in a
        returned paging object can be added alongside the 'id' to retrieve the next page"). Records HubSpot
        does not have are its errors."""
        started = hubspot_time()
        self.store.check_object_type(object_type)
        self.store.check_object_type(to_type)
        results, missing = [], []
        for item in self._inputs(body, ASSOCIATIONS_BATCH_LIMIT):
            if not self.store.has_object(object_type, item["id"]):
                missing.append(item["id"])
                continue
            links = self._linked(object_type, item["id"], to_type)
            start = _cursor(item.get("after"))
            result: Json = {"from": {"id": item["id"]}, "to": links[start : start + ASSOCIATIONS_PAGE]}
            if start + ASSOCIATIONS_PAGE < len(links):
                result["paging"] = {"next": {"after": str(start + ASSOCIATIONS_PAGE)}}
            results.append(result)
        return self._batch(api, results, missing, started)

    # Pipelines ----------------------------------------------------------------------------

    def pipelines(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        """The object type's pipelines and stages, as the spec's Pipeline and PipelineStage."""
        stamp = self.store.created_at
        results = [
            {
                "id": pipeline,
                "label": pipeline,
                "displayOrder": order,
                "archived": False,
                "createdAt": stamp,
                "updatedAt": stamp,
                "stages": [_stage(object_type, stage, i, stamp) for i, stage in enumerate(stages)],
            }
            for order, (pipeline, stages) in enumerate(self.store.pipelines(object_type).items())
        ]
        return json_answer(200, {"results": results})

    # Properties ---------------------------------------------------------------------------

    def properties_list(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        return json_answer(200, {"results": self.store.properties(object_type)})

    def properties_create(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        return json_answer(201, self.store.create_property(object_type, body))

    def properties_get(self, request: Request, body: Json, api: str, object_type: str, name: str) -> Response:
        return json_answer(200, self.store.property(object_type, name))

    def properties_update(
        self, request: Request, body: Json, api: str, object_type: str, name: str
    ) -> Response:
        return json_answer(200, self.store.update_property(object_type, name, body))

    def groups_list(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        return json_answer(200, {"results": self.store.groups(object_type)})

    def groups_create(self, request: Request, body: Json, api: str, object_type: str) -> Response:
        return json_answer(201, self.store.create_group(object_type, body))

    def groups_get(self, request: Request, body: Json, api: str, object_type: str, name: str) -> Response:
        return json_answer(200, self.store.group(object_type, name))

    # Automation: custom workflow actions ---------------------------------------------------

    def definitions_create(self, request: Request, body: Json, api: str, app_id: str) -> Response:
        return json_answer(201, self.automation.create_definition(app_id, body))

    def definitions_list(self, request: Request, body: Json, api: str, app_id: str) -> Response:
        return page(self.automation.definitions(app_id), request, _DEFINITIONS_PAGE)

    def definitions_get(
        self, request: Request, body: Json, api: str, app_id: str, definition_id: str
    ) -> Response:
        return json_answer(200, self.automation.definition(app_id, definition_id))

    def definitions_update(
        self, request: Request, body: Json, api: str, app_id: str, definition_id: str
    ) -> Response:
        return json_answer(200, self.automation.update_definition(app_id, definition_id, body))

    def callbacks_complete(self, request: Request, body: Json, api: str, callback_id: str) -> Response:
        self.automation.complete(callback_id, body["outputFields"])
        return Response(status=204)

    def callbacks_complete_batch(self, request: Request, body: Json, api: str) -> Response:
        for item in self._inputs(body):
            self.automation.complete(item["callbackId"], item["outputFields"])
        return Response(status=204)


def enforces_rules(api: str) -> bool:
    """Whether a version enforces the portal admin's validation rules on CRM writes: 2026-09 on
    (https://developers.hubspot.com/changelog/crm-api-write-validation-enforcement)."""
    return api != LEGACY and api >= "2026-09"


def _search_window(body: Mapping[str, Any], groups: list[list[Json]]) -> tuple[int, int]:
    """The page a search asks for (limit, offset), or a 400 for what the search API refuses."""
    if len(groups) > SEARCH_GROUPS_MAX:
        raise refused(f"Search takes at most {SEARCH_GROUPS_MAX} filterGroups, got {len(groups)}")
    for group in groups:
        if len(group) > SEARCH_GROUP_FILTERS_MAX:
            raise refused(
                f"A filter group takes at most {SEARCH_GROUP_FILTERS_MAX} filters, got {len(group)}"
            )
    if sum(map(len, groups)) > SEARCH_FILTERS_MAX:
        raise refused(f"Search takes at most {SEARCH_FILTERS_MAX} filters in all")
    limit = int(body.get("limit", 10))
    if not 0 <= limit <= SEARCH_PAGE_MAX:
        raise refused(f"limit must be between 0 and {SEARCH_PAGE_MAX}, got {limit}")
    start = _cursor(body.get("after"))
    if start + limit > SEARCH_RESULTS_MAX:
        raise refused(
            f"Search results are limited to {SEARCH_RESULTS_MAX:,}: after={start} with limit={limit}"
        )
    for flt in (f for group in groups for f in group):
        if flt["operator"] in ("IN", "NOT_IN") and not flt.get("values"):
            raise refused(f"Filter on {flt['propertyName']} with {flt['operator']} needs values")
        if flt["operator"] == "BETWEEN" and (flt.get("value") is None or flt.get("highValue") is None):
            raise refused(f"Filter on {flt['propertyName']} with BETWEEN needs value and highValue")
    return limit, start


def _stage(object_type: str, stage: str, order: int, stamp: str) -> Json:
    """A pipeline stage as the spec's PipelineStage; a deal stage's metadata says whether it is closed and
    its probability, as HubSpot's default deal stages do."""
    metadata: dict[str, str] = {}
    if object_type == "deals":
        closed = stage in _CLOSED_DEAL_STAGES
        metadata = {"isClosed": str(closed).lower(), "probability": _CLOSED_DEAL_STAGES.get(stage, "0.2")}
    return {
        "id": stage,
        "label": _STAGE_LABELS.get(stage) or stage.removesuffix("-stage-id").title(),
        "displayOrder": order,
        "archived": False,
        "createdAt": stamp,
        "updatedAt": stamp,
        "metadata": metadata,
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    }
