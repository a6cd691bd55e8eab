"""The template's API Gateway routes, served over HTTP on 127.0.0.1.

Each request becomes the REST API (v1) proxy event API Gateway would send, and the
function's answer becomes the HTTP response.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from leadflow_cli.local.http_server import BackgroundServer
from leadflow_cli.local.lambdas import FunctionError, LocalLambdas
from leadflow_cli.local.template import ApiRoute, route_pattern

STAGE = "Prod"


def proxy_event(request: Request, route: ApiRoute, path_params: dict[str, str]) -> dict[str, Any]:
    """The API Gateway REST proxy event for an HTTP request."""
    raw = request.get_data()
    try:
        body: str | None = raw.decode("utf-8") if raw else None
        is_b64 = False
    except UnicodeDecodeError:
        body, is_b64 = base64.b64encode(raw).decode(), True
    query = {k: v for k, v in request.args.items()}
    return {
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": dict(request.headers.items()),
        "multiValueHeaders": {k: request.headers.getlist(k) for k in request.headers.keys()},  # noqa: SIM118
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: request.args.getlist(k) for k in request.args} or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": request.method,
            "path": f"/{STAGE}{request.path}",
            "stage": STAGE,
            "domainName": request.host,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": request.remote_addr or "127.0.0.1"},
            "accountId": "123456789012",
            "apiId": "local",
        },
        "body": body,
        "isBase64Encoded": is_b64,
    }


class LocalApi:
    """A threaded HTTP server dispatching the template's routes to their functions."""

    def __init__(self, routes: list[ApiRoute], lambdas: LocalLambdas, host: str, port: int) -> None:
        self._routes = [(r, route_pattern(r.path)) for r in routes]
        self._lambdas = lambdas
        self._server = BackgroundServer(self._wsgi, host, port, "leadflow-api")
        # The runtime hands the API's URL to the functions before it starts serving.
        self._server.bind()

    @property
    def port(self) -> int:
        """The port actually bound (useful when asked for port 0)."""
        return self._server.port

    def start(self) -> None:
        """Serve in a background thread."""
        self._server.start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        allowed = False
        for route, pattern in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            if route.method not in (request.method, "ANY"):
                allowed = True
                continue
            try:
                answer = self._lambdas.invoke(
                    route.function, proxy_event(request, route, match.groupdict()), waits_turn=False
                )
            except FunctionError:
                return Response('{"message": "Internal server error"}', 502, content_type="application/json")
            body = answer.get("body") or ""
            data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
            response = Response(data, int(answer.get("statusCode", 200)))
            for key, value in (answer.get("headers") or {}).items():
                response.headers[key] = value
            for key, values in (answer.get("multiValueHeaders") or {}).items():
                for value in values:
                    response.headers.add(key, value)
            return response
        if allowed:
            return Response('{"message": "Method not allowed"}', 405, content_type="application/json")
        return Response('{"message": "Missing Authentication Token"}', 403, content_type="application/json")
