"""Clients of leadflow's API: HubSpot-style signed webhook deliveries, and signed outside signals."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadflow.webhooks.signature import sign_leadflow, sign_v3
from leadflow_cli.hubspot_standin.app_webhooks import PropertyChange


@dataclass(frozen=True)
class Delivery:
    """The answer to one delivery."""

    status: int
    body: dict[str, Any]
    elapsed_ms: float


def post(url: str, body: str, headers: dict[str, str]) -> Delivery:
    """POST a raw body with the given headers; the answer, whatever its status."""
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the configured leadflow URL
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    elapsed = (time.perf_counter() - started) * 1000
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {"raw": raw.decode(errors="replace")}
    return Delivery(status, parsed, elapsed)


# HubSpot numbers events uniquely within a subscription, and leadflow drops an event whose identity it
# has done before: every sender of this process draws from one sequence.
_EVENT_IDS = itertools.count(1)


class HubSpotWebhookSender:
    """Builds Webhooks API v3 events and POSTs them signed with the app's client secret."""

    def __init__(
        self,
        url: str,
        client_secret: str,
        portal_id: int = 62515,
        subscription_id: int = 1001,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.url = url
        self._secret = client_secret
        self._portal_id = portal_id
        self._subscription_id = subscription_id
        # HubSpot's clock: when events happen (the local runtime's, so they agree with the journeys').
        self._clock = clock or (lambda: datetime.now(UTC))

    def event(
        self,
        subscription_type: str,
        object_id: str | int,
        property_name: str | None = None,
        property_value: str | None = None,
        occurred_at_ms: int | None = None,
        object_type_id: str | None = None,
    ) -> dict[str, Any]:
        """One event as HubSpot serialises it (a generic `object.*` one names its `object_type_id`)."""
        event: dict[str, Any] = {
            "eventId": next(_EVENT_IDS),
            "subscriptionId": self._subscription_id,
            "portalId": self._portal_id,
            "appId": 4242,
            "occurredAt": occurred_at_ms or int(self._clock().timestamp() * 1000),
            "subscriptionType": subscription_type,
            "attemptNumber": 0,
            "objectId": int(object_id),
            "changeSource": "CRM",
        }
        if object_type_id is not None:
            event["objectTypeId"] = object_type_id
        if property_name is not None:
            event["propertyName"] = property_name
            event["propertyValue"] = property_value
        return event

    def signed_headers(self, body: str, timestamp_ms: int | None = None) -> dict[str, str]:
        """The headers HubSpot sends with a body (v3 signature)."""
        ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        return {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": sign_v3(self._secret, "POST", self.url, body, ts),
            "X-HubSpot-Request-Timestamp": str(ts),
        }

    def post(self, body: str, headers: dict[str, str]) -> Delivery:
        """POST a raw body with the given headers."""
        return post(self.url, body, headers)

    def send(self, events: list[dict[str, Any]]) -> Delivery:
        """Deliver events as one signed request."""
        body = json.dumps(events, separators=(",", ":"))
        return self.post(body, self.signed_headers(body))

    def deliver(self, changes: list[PropertyChange]) -> list[Delivery]:
        """Deliver the changes an app's subscriptions caught, as HubSpot does: up to 100 events a request;
        contacts' as legacy `contact.propertyChange`, other objects' as generic events."""
        events = [
            self.event("contact.propertyChange", c.object_id, c.name, c.value, c.at_ms)
            if c.object_type == "contacts"
            else self.event("object.propertyChange", c.object_id, c.name, c.value, c.at_ms, c.object_type_id)
            for c in changes
        ]
        return [self.send(events[i : i + 100]) for i in range(0, len(events), 100)]


def signed_api_event(
    event: dict[str, Any], secret: str, public_url: str = "", at_ms: int | None = None
) -> dict[str, Any]:
    """An API Gateway event for a HubSpot route with its signature made again, v3, now (or at `at_ms`):
    over the URL the function checks it against (`public_url`, else the API's own URL in the event)
    and the event's body. Older signature headers are dropped."""
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

    from leadflow.handlers.http import public_uris

    uri = public_uris(APIGatewayProxyEvent(event), public_url)[0]
    ts = at_ms if at_ms is not None else int(time.time() * 1000)
    legacy = {"x-hubspot-signature", "x-hubspot-signature-version", "x-hubspot-signature-v3"}
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() not in legacy}
    headers |= {
        "X-HubSpot-Signature-v3": sign_v3(secret, event["httpMethod"], uri, event.get("body") or "", ts),
        "X-HubSpot-Request-Timestamp": str(ts),
    }
    return {**event, "headers": headers}


class SignalsSender:
    """Posts outside signals to leadflow's POST /signals, signed with the signals secret."""

    def __init__(self, url: str, secret: str) -> None:
        self.url = url
        self._secret = secret

    def signed_headers(self, body: str, timestamp_ms: int | None = None) -> dict[str, str]:
        """The headers for a body."""
        ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        return {
            "Content-Type": "application/json",
            "X-Leadflow-Timestamp": str(ts),
            "X-Leadflow-Signature": sign_leadflow(self._secret, body, ts),
        }

    def send(self, signals: list[dict[str, Any]]) -> Delivery:
        """POST `{"signals": [...]}`, signed."""
        body = json.dumps({"signals": signals})
        return post(self.url, body, self.signed_headers(body))

    def post_raw(self, body: str, headers: dict[str, str]) -> Delivery:
        """POST a raw body with the given headers (to see how bad requests are answered)."""
        return post(self.url, body, headers)
