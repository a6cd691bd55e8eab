"""The stand-in's HTTP layer: HubSpot's routes, legacy and date-based, over the store, served by werkzeug.

Each request goes as it does at HubSpot: the route, the token, the rate limits, then the request itself is
checked against its operation in HubSpot's published specs (openapi.py) and refused in HubSpot's error
format when the spec refuses it, before its handler (endpoints.py) does the work. A client's mistake is
always a 4xx: a handler that fails otherwise answers 500 in HubSpot's format, which the contract tier
treats as a defect of the stand-in.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Self

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from leadflow_cli.hubspot_standin.automation import Automation
from leadflow_cli.hubspot_standin.endpoints import LEGACY, Endpoints, error_answer, json_answer
from leadflow_cli.hubspot_standin.openapi import Problem, specs
from leadflow_cli.hubspot_standin.rate_limits import RATE_LIMIT_BODIES
from leadflow_cli.hubspot_standin.store import FaultPlan, StandInError, StandInStore, object_type_name
from leadflow_cli.local.http_server import BackgroundServer

_NO_AUTH = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
Json = dict[str, Any]

# The API versions served: the legacy ones HubSpot answers until September 2027 (v4 until 2027-03-30),
# and the date-based ones (https://developers.hubspot.com/docs/api-reference/legacy/migration-guide).
DATED_VERSIONS: Final = ("2026-03", "2026-09")
# Path arguments that name an object type: HubSpot takes a type's name or its id (`0-1`, `0-136`) there.
_OBJECT_TYPE_ARGS: Final = ("object_type", "to_type")


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
        Rule(
            "/crm/v4/associations/<object_type>/<to_type>/batch/read",
            endpoint="associations_batch_read",
            methods=["POST"],
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
        Rule(objects, endpoint="objects_list", methods=["GET"]),
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


@dataclass(frozen=True)
class SentRequest:
    """A request the stand-in served, as a client sent it (kept while `record_requests` is on)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


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
        self.sent: list[SentRequest] | None = None

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

    def record_requests(self) -> list[SentRequest]:
        """Keep every request served from now on (method, path, query, JSON body, status); the list."""
        self.sent = []
        return self.sent

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
            return error_answer(
                exc.code or 404, "OBJECT_NOT_FOUND", f"No route for {request.method} {request.path}"
            )
        if endpoint == "health":
            return json_answer(200, {"ok": True})
        args = {k: object_type_name(v) if k in _OBJECT_TYPE_ARGS else v for k, v in args.items()}
        api = args.pop("api")
        route = self._route(endpoint, args)
        self.store.count_call(route, api)
        if not self._authorized(request, endpoint):
            return error_answer(401, "INVALID_AUTHENTICATION", _NO_AUTH)
        limits: dict[str, str] = {}
        if self.store.rate_limits is not None and endpoint not in _DEVELOPER_ROUTES:
            refusal, limits = self.store.rate_limits.admit(search=endpoint == "search")
            if refusal is not None:
                return json_answer(429, refusal.body, refusal.headers)
        answer = self._served(request, endpoint, args, route, api)
        if answer is not None:
            answer.headers.update(limits)
        return answer

    def _served(
        self, request: Request, endpoint: str, args: Mapping[str, Any], route: str, api: str
    ) -> Response | None:
        """The answer to an admitted request: a fault the plan draws, or the endpoint's own."""
        time.sleep(self.store.delay(route))
        fault = self.store.draw_fault(route)
        if fault == "drop":
            return None
        if fault == "rate_limit":
            # A random 429 beside the real limiter's; its Retry-After is the fault plan's knob.
            body = RATE_LIMIT_BODIES["TEN_SECONDLY_ROLLING"] | {"correlationId": str(uuid.uuid4())}
            return json_answer(429, body, {"Retry-After": str(self.store.faults.retry_after_s)})
        if fault == "server_error":
            return error_answer(502, "INTERNAL_ERROR", "Bad Gateway")
        body, answer = self._checked(request)
        if answer is None:
            answer = self._handled(request, endpoint, body, api, args)
        self._record(request, body, answer.status_code)
        return None if self.store.take_lost_answer(route) else answer

    def _checked(self, request: Request) -> tuple[Any, Response | None]:
        """The request's JSON body, and HubSpot's 400 when the body or the parameters are not what the
        operation's spec takes (None: go on)."""
        raw = request.get_data()
        body: Any = None
        if raw and request.method in ("POST", "PATCH", "PUT"):
            try:
                body = json.loads(raw)
            except ValueError as exc:
                where = (
                    f" on line {exc.lineno}, column {exc.colno}"
                    if isinstance(exc, json.JSONDecodeError)
                    else ""
                )
                return None, error_answer(400, "VALIDATION_ERROR", f"Invalid input JSON{where}: {exc}")
        operation = specs().operation(request.method, request.path)
        if operation is None:
            return body, None
        query = {k: request.args.getlist(k) for k in request.args}
        problems = specs().request_problems(operation, request.path, query, body, body is not None)
        return body, (_invalid(problems) if problems else None)

    def _handled(
        self, request: Request, endpoint: str, body: Any, api: str, args: Mapping[str, Any]
    ) -> Response:
        handler = getattr(Endpoints(self.store, self.automation), endpoint)
        try:
            answer: Response = handler(request, body if isinstance(body, dict) else {}, api, **args)
        except StandInError as exc:
            return error_answer(exc.status, exc.category, str(exc), **exc.extra)
        except Exception as exc:  # a defect of the stand-in, never a client's mistake: say so, in JSON
            return error_answer(500, "INTERNAL_ERROR", f"the stand-in failed: {type(exc).__name__}: {exc}")
        return answer

    def _record(self, request: Request, body: Any, status: int) -> None:
        if self.sent is not None:
            query = {k: request.args.getlist(k) for k in request.args}
            self.sent.append(SentRequest(request.method, request.path, query, body, status))

    @staticmethod
    def _route(endpoint: str, args: Mapping[str, Any]) -> str:
        if endpoint.startswith(("definitions_", "callbacks_")):
            return f"automation.{endpoint}"
        # A record's associations keep one route name whichever way they are read (v4's listing, the dated
        # batch read), so fault plans and call counts name them the same on every version.
        name = endpoint.removeprefix("owners_").removeprefix("objects_").removesuffix("_batch_read")
        return f"{args.get('object_type', 'owners')}.{name}"

    def _authorized(self, request: Request, endpoint: str) -> bool:
        if endpoint in _DEVELOPER_ROUTES:
            return self._developer_key is None or request.args.get("hapikey") == self._developer_key
        return self._token is None or request.headers.get("Authorization") == f"Bearer {self._token}"


def _invalid(problems: list[Problem]) -> Response:
    """HubSpot's 400 for a request its schema refuses, naming each problem (the body's as Jackson's "Invalid
    input JSON" refusals read, observed: github.com/Chinchilla-Software-Com/HubSpot.NET/issues/23)."""
    in_body = [p for p in problems if p.where.startswith("body")]
    prefix = "Invalid input JSON: " if in_body else "Invalid input: "
    return error_answer(400, "VALIDATION_ERROR", prefix + "; ".join(map(str, problems)))
