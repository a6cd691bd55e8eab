"""The stand-in's HTTP layer: HubSpot's CRM v3/v4 routes over the store, served by werkzeug."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, Self

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from leadflow_cli.hubspot_standin.automation import Automation
from leadflow_cli.hubspot_standin.rate_limits import RATE_LIMIT_BODIES
from leadflow_cli.hubspot_standin.store import FaultPlan, StandInError, StandInStore, hubspot_time
from leadflow_cli.local.http_server import BackgroundServer

BATCH_LIMIT = 100
# A record's associations a page at most (CRM/Associations v4 spec: "Limit 500 per call").
_ASSOCIATIONS_PAGE: Final = 500
_NO_AUTH = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
Json = dict[str, Any]

# HubSpot labels its default lead stages New, Attempting, Connected, Qualified and Disqualified.
_STAGE_LABELS: Final = {"unqualified-stage-id": "Disqualified"}
# The API versions served: the legacy ones HubSpot answers until September 2027 (v4 until 2027-03-30),
# and the date-based ones (https://developers.hubspot.com/docs/api-reference/legacy/migration-guide).
LEGACY: Final = "legacy"
DATED_VERSIONS: Final = ("2026-03", "2026-09")
# 2026-09 enforces the portal's validation rules on CRM writes
# (https://developers.hubspot.com/changelog/crm-api-write-validation-enforcement).
RULES_ENFORCED_FROM: Final = "2026-09"


def _legacy_rules() -> list[Rule]:
    """The v3/v4 routes (HubSpot's legacy specs: CRM objects v3, associations v4, owners v3, pipelines v3,
    properties v3, automation actions v4)."""
    objects = "/crm/v3/objects/<object_type>"
    return [
        Rule("/crm/v3/owners/", endpoint="owners_list", methods=["GET"]),
        Rule("/crm/v3/owners/<owner_id>", endpoint="owners_get", methods=["GET"]),
        *_object_rules(objects),
        Rule(
            "/crm/v4/objects/<object_type>/<object_id>/associations/default/<to_type>/<to_id>",
            endpoint="associate",
            methods=["PUT"],
        ),
        Rule(
            "/crm/v4/objects/<object_type>/<object_id>/associations/<to_type>",
            endpoint="associations",
            methods=["GET"],
        ),
        *_schema_rules("/crm/v3/pipelines/<object_type>", "/crm/v3/properties/<object_type>"),
        Rule(
            "/automation/v4/actions/callbacks/complete", endpoint="callbacks_complete_batch", methods=["POST"]
        ),
        Rule(
            "/automation/v4/actions/callbacks/<callback_id>/complete",
            endpoint="callbacks_complete",
            methods=["POST"],
        ),
        Rule("/automation/v4/actions/<app_id>", endpoint="definitions_create", methods=["POST"]),
        Rule("/automation/v4/actions/<app_id>", endpoint="definitions_list", methods=["GET"]),
        Rule("/automation/v4/actions/<app_id>/<definition_id>", endpoint="definitions_get", methods=["GET"]),
        Rule(
            "/automation/v4/actions/<app_id>/<definition_id>",
            endpoint="definitions_update",
            methods=["PATCH"],
        ),
    ]


def _dated_rules(version: str) -> list[Rule]:
    """One date-based version's routes, as its spec names them (HubSpot-public-api-spec-collection,
    PublicApiSpecs/CRM/*/Rollouts/*/<version>/ and Automation/Actions V4/Rollouts/148901/<version>/).
    2026-09 lists a record's associations only through the associations batch read; 2026-03 also had
    the single-record listing."""
    objects = f"/crm/objects/{version}/<object_type>"
    rules = [
        Rule(f"/crm/owners/{version}", endpoint="owners_list", methods=["GET"]),
        Rule(f"/crm/owners/{version}/<owner_id>", endpoint="owners_get", methods=["GET"]),
        *_object_rules(objects),
        Rule(
            f"{objects}/<object_id>/associations/default/<to_type>/<to_id>",
            endpoint="associate",
            methods=["PUT"],
        ),
        Rule(
            f"/crm/associations/{version}/<object_type>/<to_type>/batch/read",
            endpoint="associations_batch_read",
            methods=["POST"],
        ),
        *_schema_rules(f"/crm/pipelines/{version}/<object_type>", f"/crm/properties/{version}/<object_type>"),
        Rule(
            f"/automation/actions/callbacks/{version}/complete",
            endpoint="callbacks_complete_batch",
            methods=["POST"],
        ),
        Rule(
            f"/automation/actions/callbacks/{version}/<callback_id>/complete",
            endpoint="callbacks_complete",
            methods=["POST"],
        ),
    ]
    if version == "2026-03":
        rules.append(
            Rule(f"{objects}/<object_id>/associations/<to_type>", endpoint="associations", methods=["GET"])
        )
    return rules


def _object_rules(objects: str) -> list[Rule]:
    return [
        Rule(objects, endpoint="create", methods=["POST"]),
        Rule(objects, endpoint="list", methods=["GET"]),
        Rule(f"{objects}/batch/read", endpoint="batch_read", methods=["POST"]),
        Rule(f"{objects}/batch/update", endpoint="batch_update", methods=["POST"]),
        Rule(f"{objects}/batch/create", endpoint="batch_create", methods=["POST"]),
        Rule(f"{objects}/search", endpoint="search", methods=["POST"]),
        Rule(f"{objects}/merge", endpoint="merge", methods=["POST"]),
        Rule(f"{objects}/<object_id>", endpoint="get", methods=["GET"]),
        Rule(f"{objects}/<object_id>", endpoint="update", methods=["PATCH"]),
        Rule(f"{objects}/<object_id>", endpoint="archive", methods=["DELETE"]),
    ]


def _schema_rules(pipelines: str, properties: str) -> list[Rule]:
    return [
        Rule(pipelines, endpoint="pipelines", methods=["GET"]),
        Rule(properties, endpoint="properties_list", methods=["GET"]),
        Rule(properties, endpoint="properties_create", methods=["POST"]),
        Rule(f"{properties}/groups", endpoint="groups_list", methods=["GET"]),
        Rule(f"{properties}/groups", endpoint="groups_create", methods=["POST"]),
        Rule(f"{properties}/groups/<name>", endpoint="groups_get", methods=["GET"]),
        Rule(f"{properties}/<name>", endpoint="properties_get", methods=["GET"]),
        Rule(f"{properties}/<name>", endpoint="properties_update", methods=["PATCH"]),
    ]


def _rules() -> list[Rule]:
    """Every route, each rule carrying its API version (`api`) as a default the endpoint reads."""
    versions = [(LEGACY, _legacy_rules()), *((v, _dated_rules(v)) for v in DATED_VERSIONS)]
    rules = [Rule("/_standin/health", endpoint="health", methods=["GET"])]
    for version, listed in versions:
        rules += [
            Rule(r.rule, endpoint=r.endpoint, methods=sorted(r.methods or ()), defaults={"api": version})
            for r in listed
        ]
    return rules


# The action definitions API takes the developer account's key (`hapikey`), not a portal's token
# (https://developers.hubspot.com/docs/api/automation/custom-workflow-actions).
_DEVELOPER_ROUTES: Final = ("definitions_create", "definitions_list", "definitions_get", "definitions_update")


_API_VERSION: Final = "hubspot.api_version"


def api_version(request: Request) -> str:
    """The API version of the route a request came in on (`legacy`, or a date such as 2026-09)."""
    return str(request.environ.get(_API_VERSION, LEGACY))


def _enforces_rules(request: Request) -> bool:
    version = api_version(request)
    return version != LEGACY and version >= RULES_ENFORCED_FROM


def _json(status: int, body: Json, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, content_type="application/json;charset=utf-8")


def _error(status: int, category: str, message: str, **extra: Any) -> Response:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return _json(status, body)


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


class HubSpotStandIn:
    """The stand-in server; start() serves it on a daemon thread (port 0 picks a free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        access_token: str | None = None,
        faults: FaultPlan | None = None,
        clock: Callable[[], datetime] | None = None,
        developer_key: str | None = None,
        leadflow_properties: bool = True,
    ) -> None:
        clock = clock or (lambda: datetime.now(UTC))
        self.store = StandInStore(faults, clock, leadflow_properties=leadflow_properties)
        self.automation = Automation(clock)
        self._host = host
        self._token = access_token
        self._developer_key = developer_key
        self._map = Map(_rules(), strict_slashes=False)
        self._server = BackgroundServer(self._wsgi, host, port, "hubspot-standin")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The URL to give hubspot-api-client as its host."""
        return f"http://{self._host}:{self._server.port}"

    def start(self) -> Self:
        """Serve on a background thread."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self._answer(request)
        if response is None:
            # A dropped connection: close the socket without answering.
            sock = environ.get("werkzeug.socket")
            if isinstance(sock, socket.socket):
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            return []
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response | None:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException as exc:
            return _error(
                exc.code or 404, "OBJECT_NOT_FOUND", f"No route for {request.method} {request.path}"
            )
        if endpoint == "health":
            return _json(200, {"ok": True})
        args = dict(args)
        request.environ[_API_VERSION] = api = args.pop("api")
        route = self._route(endpoint, args)
        self.store.count_call(route, api)
        if not self._authorized(request, endpoint):
            return _error(401, "INVALID_AUTHENTICATION", _NO_AUTH)
        limits: dict[str, str] = {}
        if self.store.rate_limits is not None and endpoint not in _DEVELOPER_ROUTES:
            refusal, limits = self.store.rate_limits.admit(search=endpoint == "search")
            if refusal is not None:
                return _json(429, refusal.body, refusal.headers)
        answer = self._served(request, endpoint, args, route)
        if answer is not None:
            answer.headers.update(limits)
        return answer

    def _served(
        self, request: Request, endpoint: str, args: Mapping[str, Any], route: str
    ) -> Response | None:
        """The answer to an admitted request: a fault the plan draws, or the endpoint's own."""
        time.sleep(self.store.delay(route))
        fault = self.store.draw_fault(route)
        if fault == "drop":
            return None
        if fault == "rate_limit":
            # A random 429 beside the real limiter's; its Retry-After is the fault plan's knob.
            body = RATE_LIMIT_BODIES["TEN_SECONDLY_ROLLING"] | {"correlationId": str(uuid.uuid4())}
            return _json(429, body, {"Retry-After": str(self.store.faults.retry_after_s)})
        if fault == "server_error":
            return _error(502, "INTERNAL_ERROR", "Bad Gateway")
        try:
            body = (
                json.loads(request.get_data() or b"{}") if request.method in ("POST", "PATCH", "PUT") else {}
            )
        except ValueError as exc:
            return _error(400, "VALIDATION_ERROR", f"Invalid input JSON: {exc}")
        try:
            answer: Response = getattr(self, f"_{endpoint}")(request, body, **args)
        except StandInError as exc:
            return _error(exc.status, exc.category, str(exc), **exc.extra)
        except (KeyError, TypeError, ValueError) as exc:
            return _error(400, "VALIDATION_ERROR", f"Invalid input: {exc!r}")
        return None if self.store.take_lost_answer(route) else answer

    @staticmethod
    def _route(endpoint: str, args: Mapping[str, Any]) -> str:
        if endpoint.startswith(("definitions_", "callbacks_")):
            return f"automation.{endpoint}"
        # A record's associations keep one route name whichever way they are read (v4's listing, the dated
        # batch read), so fault plans and call counts name them the same on every version.
        name = endpoint.removeprefix("owners_").removesuffix("_batch_read")
        return f"{args.get('object_type', 'owners')}.{name}"

    def _authorized(self, request: Request, endpoint: str) -> bool:
        if endpoint in _DEVELOPER_ROUTES:
            return self._developer_key is None or request.args.get("hapikey") == self._developer_key
        return self._token is None or request.headers.get("Authorization") == f"Bearer {self._token}"

    # Owners -------------------------------------------------------------------------------

    def _owners_list(self, request: Request, body: Json) -> Response:
        archived = request.args.get("archived", "false") == "true"
        owners = self.store.owners(archived)
        if email := request.args.get("email"):
            owners = [o for o in owners if o["email"].lower() == email.lower()]
        return self._page(owners, request)

    def _owners_get(self, request: Request, body: Json, owner_id: str) -> Response:
        return _json(200, self.store.owner(owner_id))

    def _page(self, items: list[Json], request: Request, default: int = 100) -> Response:
        """One page of `limit` items (at most 500) after the `after` cursor, with the next cursor."""
        limit = min(int(request.args.get("limit", default)), 500)
        start = int(request.args.get("after") or 0)
        page: Json = {"results": items[start : start + limit]}
        if start + limit < len(items):
            page["paging"] = {"next": {"after": str(start + limit), "link": "?after=" + str(start + limit)}}
        return _json(200, page)

    # Objects ------------------------------------------------------------------------------

    def _create(self, request: Request, body: Json, object_type: str) -> Response:
        object_id = self.store.create_object(
            object_type,
            body.get("properties") or {},
            body.get("associations"),
            api=True,
            portal_rules=_enforces_rules(request),
        )
        return _json(201, self.store.get_object(object_type, object_id))

    def _list(self, request: Request, body: Json, object_type: str) -> Response:
        wanted = request.args.get("properties", "").split(",") if request.args.get("properties") else None
        return self._page([_view(r, wanted) for r in self.store.list_objects(object_type)], request)

    def _get(self, request: Request, body: Json, object_type: str, object_id: str) -> Response:
        wanted = request.args.getlist("properties")
        names = [n for item in wanted for n in item.split(",") if n]
        return _json(200, _view(self.store.get_object(object_type, object_id), names))

    def _update(self, request: Request, body: Json, object_type: str, object_id: str) -> Response:
        record = self.store.update_object(
            object_type,
            object_id,
            body.get("properties") or {},
            api=True,
            portal_rules=_enforces_rules(request),
        )
        return _json(200, record)

    def _archive(self, request: Request, body: Json, object_type: str, object_id: str) -> Response:
        # 204 whether or not the record existed, as HubSpot answers.
        self.store.archive_object(object_type, object_id)
        return Response(status=204)

    def _merge(self, request: Request, body: Json, object_type: str) -> Response:
        if object_type != "contacts":
            raise StandInError(400, "VALIDATION_ERROR", f"the stand-in merges contacts, not {object_type}")
        merged = self.store.merge_contacts(str(body["primaryObjectId"]), str(body["objectIdToMerge"]))
        return _json(200, self.store.get_object(object_type, merged))

    def _inputs(self, body: Json) -> list[Json]:
        inputs = body.get("inputs")
        if not isinstance(inputs, list):
            raise StandInError(400, "VALIDATION_ERROR", "inputs is required")
        if len(inputs) > BATCH_LIMIT:
            raise StandInError(
                400,
                "VALIDATION_ERROR",
                f"Batch input must not exceed {BATCH_LIMIT} inputs, got {len(inputs)}",
            )
        return inputs

    def _batch(self, request: Request, results: list[Json], missing: list[str], started: str) -> Response:
        """A batch answer; ids it did not find are its `errors`: in a 207 on the legacy routes, in a 200 on
        the dated ones (their specs answer batches 200 only, `errors` and `numErrors` inside)."""
        answer: Json = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": hubspot_time(),
        }
        if not missing:
            return _json(200, answer)
        answer["numErrors"] = 1
        answer["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some objects, they may be deleted or not exist. "
                f"Check that ids are valid. ids: {', '.join(missing)}",
                "context": {"ids": missing},
            }
        ]
        return _json(207 if api_version(request) == LEGACY else 200, answer)

    def _batch_read(self, request: Request, body: Json, object_type: str) -> Response:
        started = hubspot_time()
        wanted = body.get("properties") or []
        results, missing = [], []
        for item in self._inputs(body):
            object_id = str(item["id"])
            if self.store.has_object(object_type, object_id):
                results.append(_view(self.store.get_object(object_type, object_id), wanted))
            else:
                missing.append(object_id)
        return self._batch(request, results, missing, started)

    def _batch_update(self, request: Request, body: Json, object_type: str) -> Response:
        started = hubspot_time()
        inputs = self._inputs(body)
        missing = [str(i["id"]) for i in inputs if not self.store.has_object(object_type, str(i["id"]))]
        if missing:
            raise StandInError(
                400, "VALIDATION_ERROR", f"Could not update objects that do not exist: {', '.join(missing)}"
            )
        updates = {str(i["id"]): i.get("properties") or {} for i in inputs}
        results = self.store.update_objects(
            object_type, updates, api=True, portal_rules=_enforces_rules(request)
        )
        return self._batch(request, results, [], started)

    def _batch_create(self, request: Request, body: Json, object_type: str) -> Response:
        started = hubspot_time()
        rules = _enforces_rules(request)
        ids = [
            self.store.create_object(
                object_type, i.get("properties") or {}, i.get("associations"), api=True, portal_rules=rules
            )
            for i in self._inputs(body)
        ]
        return _json(
            201,
            {
                "status": "COMPLETE",
                "results": [self.store.get_object(object_type, i) for i in ids],
                "startedAt": started,
                "completedAt": hubspot_time(),
            },
        )

    def _search(self, request: Request, body: Json, object_type: str) -> Response:
        groups = [g.get("filters", []) for g in body.get("filterGroups", [])]
        found = self.store.search(object_type, groups)
        limit = min(int(body.get("limit", 10)), 200)
        start = int(body.get("after") or 0)
        page: Json = {
            "total": len(found),
            "results": [_view(r, body.get("properties")) for r in found[start : start + limit]],
        }
        if start + limit < len(found):
            page["paging"] = {"next": {"after": str(start + limit)}}
        return _json(200, page)

    # Associations -------------------------------------------------------------------------

    def _associate(
        self, request: Request, body: Json, object_type: str, object_id: str, to_type: str, to_id: str
    ) -> Response:
        started = hubspot_time()
        type_id = self.store.associate(object_type, object_id, to_type, to_id)
        result = {
            "from": {"id": object_id},
            "to": {"id": to_id},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id},
        }
        return _json(
            200,
            {"status": "COMPLETE", "results": [result], "startedAt": started, "completedAt": hubspot_time()},
        )

    def _associations(
        self, request: Request, body: Json, object_type: str, object_id: str, to_type: str
    ) -> Response:
        self.store.get_object(object_type, object_id)
        results = [
            {
                "toObjectId": int(to_id),
                "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}],
            }
            for to_id, type_id in self.store.associations(object_type, object_id, to_type)
        ]
        # At most and by default 500 a page (CRM/Associations v4 spec: "Limit 500 per call").
        return self._page(results, request, default=500)

    def _associations_batch_read(
        self, request: Request, body: Json, object_type: str, to_type: str
    ) -> Response:
        """Each record's associations of a type, 500 a page at most, paged per record by the `after` beside
        its id (2026-09 spec: POST /crm/associations/2026-09/{from}/{to}/batch/read: "The 'after' field in a
        returned paging object can be added alongside the 'id' to retrieve the next page"; `toObjectId` is
        a string there). Records HubSpot does not have are its errors."""
        started = hubspot_time()
        results, missing = [], []
        for item in self._inputs(body):
            object_id = str(item["id"])
            if not self.store.has_object(object_type, object_id):
                missing.append(object_id)
                continue
            links = self.store.associations(object_type, object_id, to_type)
            start = int(item.get("after") or 0)
            result: Json = {
                "from": {"id": object_id},
                "to": [
                    {
                        "toObjectId": to_id,
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}
                        ],
                    }
                    for to_id, type_id in links[start : start + _ASSOCIATIONS_PAGE]
                ],
            }
            if start + _ASSOCIATIONS_PAGE < len(links):
                result["paging"] = {"next": {"after": str(start + _ASSOCIATIONS_PAGE)}}
            results.append(result)
        return self._batch(request, results, missing, started)

    # Pipelines ----------------------------------------------------------------------------

    def _pipelines(self, request: Request, body: Json, object_type: str) -> Response:
        results = [
            {
                "id": pipeline,
                "label": pipeline,
                "displayOrder": order,
                "archived": False,
                "stages": [
                    {
                        "id": stage,
                        "label": _STAGE_LABELS.get(stage) or stage.removesuffix("-stage-id").title(),
                        "displayOrder": i,
                        "archived": False,
                    }
                    for i, stage in enumerate(stages)
                ],
            }
            for order, (pipeline, stages) in enumerate(self.store.pipelines(object_type).items())
        ]
        return _json(200, {"results": results})

    # Properties ---------------------------------------------------------------------------

    def _properties_list(self, request: Request, body: Json, object_type: str) -> Response:
        return _json(200, {"results": self.store.properties(object_type)})

    def _properties_create(self, request: Request, body: Json, object_type: str) -> Response:
        return _json(201, self.store.create_property(object_type, body))

    def _properties_get(self, request: Request, body: Json, object_type: str, name: str) -> Response:
        return _json(200, self.store.property(object_type, name))

    def _properties_update(self, request: Request, body: Json, object_type: str, name: str) -> Response:
        return _json(200, self.store.update_property(object_type, name, body))

    def _groups_list(self, request: Request, body: Json, object_type: str) -> Response:
        return _json(200, {"results": self.store.groups(object_type)})

    def _groups_create(self, request: Request, body: Json, object_type: str) -> Response:
        return _json(201, self.store.create_group(object_type, body))

    def _groups_get(self, request: Request, body: Json, object_type: str, name: str) -> Response:
        return _json(200, self.store.group(object_type, name))

    # Automation: custom workflow actions ---------------------------------------------------

    def _definitions_create(self, request: Request, body: Json, app_id: str) -> Response:
        return _json(201, self.automation.create_definition(app_id, body))

    def _definitions_list(self, request: Request, body: Json, app_id: str) -> Response:
        return self._page(self.automation.definitions(app_id), request)

    def _definitions_get(self, request: Request, body: Json, app_id: str, definition_id: str) -> Response:
        return _json(200, self.automation.definition(app_id, definition_id))

    def _definitions_update(self, request: Request, body: Json, app_id: str, definition_id: str) -> Response:
        return _json(200, self.automation.update_definition(app_id, definition_id, body))

    def _callbacks_complete(self, request: Request, body: Json, callback_id: str) -> Response:
        self._check_completion(request, body)
        self.automation.complete(callback_id, body.get("outputFields") or {})
        return Response(status=204)

    def _callbacks_complete_batch(self, request: Request, body: Json) -> Response:
        for item in self._inputs(body):
            self._check_completion(request, item)
            self.automation.complete(str(item["callbackId"]), item.get("outputFields") or {})
        return Response(status=204)

    @staticmethod
    def _check_completion(request: Request, body: Json) -> None:
        """The dated CallbackCompletionRequest requires `outputFields` and `typedOutputs` (2026-03 and
        2026-09 specs); the v4 one only `outputFields`."""
        required = ("outputFields",) if api_version(request) == LEGACY else ("outputFields", "typedOutputs")
        missing = [k for k in required if not isinstance(body.get(k), dict)]
        if missing:
            raise StandInError(400, "VALIDATION_ERROR", f"Missing required fields: {', '.join(missing)}")
