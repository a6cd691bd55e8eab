"""What the API handlers share: their routes with leadflow's refusals mapped to HTTP answers, and the
signed request as the function received it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, Final

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from leadflow.app.ports import HubSpotError
from leadflow.app.refusals import (
    MalformedRequest,
    RefusedByHubSpot,
    RequestRefused,
    TooLarge,
    TryLater,
    Unauthenticated,
    hubspot_refusal,
)
from leadflow.settings import settings
from leadflow.webhooks.called_url import called_urls
from leadflow.webhooks.signature import SignedRequest

MAX_BODY_BYTES: Final = 1024 * 1024
# The one place a refusal becomes an HTTP status. HubSpot retries 5xx and stops on any other
# 4xx, so only a request that can never succeed gets a 4xx.
_STATUS: Final[dict[type[RequestRefused], int]] = {
    Unauthenticated: 401,
    MalformedRequest: 400,
    TooLarge: 413,
    RefusedByHubSpot: 422,
    TryLater: 503,
}


Answer = dict[str, Any]
Route = Callable[[APIGatewayProxyEvent], Answer]


def json_response(status: int, body: object) -> Answer:
    """A JSON answer, as API Gateway's Lambda proxy integration takes it."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _refused(exc: RequestRefused) -> Answer:
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
    return json_response(status, {"error": str(exc)})


class Api:
    """The POST routes of an API function; their refusals are answered here, nowhere else.

    Written here, not powertools' APIGatewayRestResolver: importing `aws_lambda_powertools.event_handler`
    loads every resolver the package has (AppSync, Bedrock agents, VPC Lattice, asyncio...), 150 ms
    of each cold start measured on a 2-core VM, half of what a naive handler's imports cost in all, to
    route one or two POST paths. The event is still powertools' data class.
    """

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}

    def post(self, path: str) -> Callable[[Route], Route]:
        """Register the route for POST `path`."""

        def register(route: Route) -> Route:
            self._routes[path] = route
            return route

        return register

    def resolve(self, event: dict[str, Any]) -> Answer:
        """The answer to an API Gateway proxy event: its route's, or 404/405 naming what was asked."""
        request = APIGatewayProxyEvent(event)
        path = request.resource or request.path
        route = self._routes.get(path)
        if route is None:
            return json_response(404, {"error": f"no route {path}"})
        if request.http_method != "POST":
            return json_response(405, {"error": f"{path} takes POST, not {request.http_method}"})
        try:
            return route(request)
        except RequestRefused as exc:
            return _refused(exc)
        except HubSpotError as exc:
            return _refused(hubspot_refusal(exc))


def raw_body(event: APIGatewayProxyEvent) -> str:
    """The body exactly as the client sent it, which is what signatures cover (at most 1 MiB)."""
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except ValueError as exc:  # binascii.Error, UnicodeDecodeError and non-ASCII input alike
            raise MalformedRequest(f"body is not base64-encoded UTF-8: {exc}") from None
    try:
        size = len(body.encode())
    except UnicodeEncodeError:
        raise MalformedRequest("body is not UTF-8 text") from None
    if size > MAX_BODY_BYTES:
        raise TooLarge(f"body is larger than {MAX_BODY_BYTES} bytes")
    return body


def signed_request(event: APIGatewayProxyEvent, uris: list[str]) -> SignedRequest:
    """What a signature covers: the method, the URI the sender called (in each spelling it may
    have used), the raw body and the headers."""
    return SignedRequest(
        method=event.http_method,
        uri=uris[0],
        body=raw_body(event),
        headers=dict(event.headers or {}),
        also=tuple(uris[1:]),
    )


def public_uris(event: APIGatewayProxyEvent, base: str) -> list[str]:
    """The URLs the sender may have called: the configured public base (else API Gateway's own
    domain and stage, never the client's Host header), the path and the query string rebuilt."""
    if not base:
        ctx = event.request_context
        base = f"https://{ctx.domain_name}/{ctx.stage}"
    return called_urls(base.rstrip("/") + event.path, event.multi_value_query_string_parameters)


def hubspot_request(event: APIGatewayProxyEvent) -> SignedRequest:
    """A request HubSpot signed: over the public URL it called (see `public_uris`)."""
    return signed_request(event, public_uris(event, settings().public_url))
