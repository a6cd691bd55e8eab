"""The API use cases on fakes: HubSpot webhook deliveries and outside signals, verified, validated,
deduplicated and queued, and every refusal leaving nothing behind."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.utils.signature import Signature

from leadflow.app.refusals import MalformedRequest, TryLater, Unauthenticated
from leadflow.app.signals_intake import SignalsIntake
from leadflow.app.webhook_intake import WebhookIntake
from leadflow.core.signals import ContactSignal
from leadflow.webhooks.signature import MAX_SKEW_MS, SignedRequest, sign_leadflow, sign_v3
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.fast.conftest import World, configuration
from tests.fast.fakes import FakeQueue

SECRET = "secret"
NOW_MS = 1_795_510_800_000  # 2026-11-24T09:00:00Z
WEBHOOK_URI = "https://x.example/Prod/webhooks/hubspot"
SIGNALS_URI = "https://x.example/Prod/signals"


def sender() -> HubSpotWebhookSender:
    return HubSpotWebhookSender(WEBHOOK_URI, SECRET)


def hubspot_request(
    body: str,
    *,
    ts: int = NOW_MS,
    secret: str = SECRET,
    uri: str = WEBHOOK_URI,
    signed_uri: str | None = None,
) -> SignedRequest:
    """A request as HubSpot sends it: the body signed v3 with `secret` at `ts`."""
    signature = sign_v3(secret, "POST", signed_uri or uri, body, ts)
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": signature,
        "X-HubSpot-Request-Timestamp": str(ts),
    }
    return SignedRequest(method="POST", uri=uri, body=body, headers=headers)


def delivery(events: list[dict[str, Any]], **signing: Any) -> SignedRequest:
    return hubspot_request(json.dumps(events), **signing)


def legacy_request(body: str, version: str | None) -> SignedRequest:
    """A request signed v1 or v2, the way HubSpot apps without v3 are."""
    signed_as = (version or "v1").lower()
    signature = Signature.get_signature(SECRET, body, signed_as, http_uri=WEBHOOK_URI, http_method="POST")
    headers = {"X-HubSpot-Signature": signature} | (
        {"X-HubSpot-Signature-Version": version} if version else {}
    )
    return SignedRequest(method="POST", uri=WEBHOOK_URI, body=body, headers=headers)


def summary(received: int, enqueued: int, duplicates: int = 0, ignored: int = 0) -> dict[str, object]:
    return {
        "received": received,
        "enqueued": enqueued,
        "duplicates": duplicates,
        "ignored": ignored,
        "signature": "v3",
    }


def signal(**target: str) -> dict[str, Any]:
    """One outside signal about a contact or a company, as a tool posts it."""
    return {
        **target,
        "signal": {
            "type": "conversation_reply",
            "occurred_at": "2026-11-24T08:55:00Z",
            "attributes": {"problem": "missed MQLs"},
            "source": "linkedin-inbox",
        },
    }


def signals_request(payload: object, *, ts: int = NOW_MS, secret: str = SECRET) -> SignedRequest:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    headers = {"X-Leadflow-Timestamp": str(ts), "X-Leadflow-Signature": sign_leadflow(secret, body, ts)}
    return SignedRequest(method="POST", uri=SIGNALS_URI, body=body, headers=headers)


@pytest.fixture
def queue() -> FakeQueue:
    return FakeQueue()


@pytest.fixture
def webhooks(world: World, queue: FakeQueue) -> WebhookIntake:
    return WebhookIntake(world.config, lambda: SECRET, queue, now_ms=lambda: NOW_MS)


@pytest.fixture
def signals(queue: FakeQueue) -> SignalsIntake:
    return SignalsIntake(lambda: SECRET, queue, now_ms=lambda: NOW_MS)


def assert_nothing_changed(world: World, queue: FakeQueue) -> None:
    assert (queue.events, queue.signals, world.store.events) == ([], [], set())


# Webhook deliveries ---------------------------------------------------------------------------


def test_a_signed_delivery_is_enqueued_and_summarised(
    world: World, queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    hubspot = sender()
    events = [
        hubspot.event("contact.creation", 101, occurred_at_ms=NOW_MS),
        hubspot.event("contact.propertyChange", 102, "industry", "INTERNET", occurred_at_ms=NOW_MS),
        hubspot.event("contact.propertyChange", 103, "leadflow_decision", "accept", occurred_at_ms=NOW_MS),
        hubspot.event(
            "contact.propertyChange", 104, "hs_sales_email_last_replied", "1", occurred_at_ms=NOW_MS
        ),
    ]
    assert webhooks.receive(delivery(events)) == summary(received=4, enqueued=4)
    assert [(e.object_id, e.property_name) for e in queue.events] == [
        (101, None),
        (102, "industry"),
        (103, "leadflow_decision"),
        (104, "hs_sales_email_last_replied"),
    ]
    assert world.store.events == set()  # the answer waits on the queue write alone


def test_the_same_event_in_two_deliveries_is_queued_twice_for_the_intake_to_drop(
    world: World, queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    first = sender().event("contact.creation", 101, occurred_at_ms=NOW_MS)
    retry = dict(first, attemptNumber=1)  # HubSpot's retry: the same identity, a new attempt number
    assert webhooks.receive(delivery([first])) == summary(received=1, enqueued=1)
    assert webhooks.receive(delivery([retry])) == summary(received=1, enqueued=1)
    assert [e.dedupe_key for e in queue.events] == [queue.events[0].dedupe_key] * 2
    assert world.store.events == set()


def test_an_event_repeated_within_one_delivery_is_enqueued_once(
    queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    event = sender().event("contact.creation", 101, occurred_at_ms=NOW_MS)
    answer = webhooks.receive(delivery([event, dict(event, attemptNumber=1)]))
    assert (answer["received"], answer["enqueued"]) == (2, 1)
    assert len(queue.events) == 1


def test_events_leadflow_ignores_are_answered_without_being_enqueued(
    world: World, queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    hubspot = sender()
    events = [
        hubspot.event("deal.creation", 9, occurred_at_ms=NOW_MS),
        hubspot.event("contact.propertyChange", 5, "leadflow_score", "80", occurred_at_ms=NOW_MS),
        hubspot.event("contact.propertyChange", 5, "favorite_color", "blue", occurred_at_ms=NOW_MS),
        hubspot.event("contact.propertyChange", 5, "leadflow_decision", "", occurred_at_ms=NOW_MS),
    ]
    assert webhooks.receive(delivery(events)) == summary(received=4, enqueued=0, ignored=4)
    assert_nothing_changed(world, queue)


def legacy_webhooks(queue: FakeQueue, minimum: str = "v1") -> WebhookIntake:
    """The webhook intake of a team that takes signatures down to `minimum` on its app webhooks."""
    config = configuration(lambda data: data.setdefault("signatures", {}).update(webhooks=minimum))
    return WebhookIntake(config, lambda: SECRET, queue, now_ms=lambda: NOW_MS)


@pytest.mark.parametrize("version", [None, "v1", "v2", "V2"])
def test_a_legacy_signed_delivery_is_accepted_where_configured_and_names_its_version(
    queue: FakeQueue, version: str | None
) -> None:
    body = json.dumps([sender().event("contact.creation", 101, occurred_at_ms=NOW_MS)])
    answer = legacy_webhooks(queue).receive(legacy_request(body, version))
    assert (answer["signature"], answer["enqueued"]) == ((version or "v1").lower(), 1)
    assert len(queue.events) == 1


@pytest.mark.parametrize(
    ("minimum", "version", "message"),
    [
        ("v3", None, "no X-HubSpot-Signature-v3 header: this endpoint takes v3 signatures only"),
        ("v3", "v2", "no X-HubSpot-Signature-v3 header: this endpoint takes v3 signatures only"),
        ("v2", "v1", "v1 signatures are not accepted here, only v2 or later"),
        ("v2", None, "v1 signatures are not accepted here, only v2 or later"),
    ],
)
def test_a_signature_older_than_the_configured_minimum_is_unauthenticated(
    world: World, queue: FakeQueue, minimum: str, version: str | None, message: str
) -> None:
    body = json.dumps([sender().event("contact.creation", 101, occurred_at_ms=NOW_MS)])
    with pytest.raises(Unauthenticated, match=message):
        legacy_webhooks(queue, minimum).receive(legacy_request(body, version))
    assert_nothing_changed(world, queue)


def test_a_v3_signature_over_the_decoded_uri_is_accepted(queue: FakeQueue, webhooks: WebhookIntake) -> None:
    events = [sender().event("contact.creation", 101, occurred_at_ms=NOW_MS)]
    request = delivery(
        events, uri=WEBHOOK_URI + "?portal=a%3Ab%2Fc", signed_uri=WEBHOOK_URI + "?portal=a:b/c"
    )
    assert webhooks.receive(request)["enqueued"] == 1


def test_a_signature_over_another_spelling_of_the_uri_is_accepted(
    queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    body = json.dumps([sender().event("contact.creation", 101, occurred_at_ms=NOW_MS)])
    signed = hubspot_request(body, uri=WEBHOOK_URI + "?q=a+b")
    request = SignedRequest(signed.method, WEBHOOK_URI + "?q=a%20b", body, signed.headers, also=(signed.uri,))
    assert webhooks.receive(request)["enqueued"] == 1


@pytest.mark.parametrize("skew", [-MAX_SKEW_MS, MAX_SKEW_MS])
def test_a_timestamp_at_the_edge_of_the_window_is_accepted(webhooks: WebhookIntake, skew: int) -> None:
    events = [sender().event("contact.creation", 101, occurred_at_ms=NOW_MS)]
    assert webhooks.receive(delivery(events, ts=NOW_MS + skew))["enqueued"] == 1


def events_json() -> str:
    return json.dumps([sender().event("contact.creation", 101, occurred_at_ms=NOW_MS)])


def forged(signed: SignedRequest) -> SignedRequest:
    """The request with its body changed after signing."""
    return SignedRequest(signed.method, signed.uri, signed.body.replace("101", "102"), signed.headers)


def unsigned() -> SignedRequest:
    return SignedRequest("POST", WEBHOOK_URI, events_json(), {})


@pytest.mark.parametrize(
    ("request_of", "message"),
    [
        (lambda: forged(hubspot_request(events_json())), "invalid signature: v3 signature does not match"),
        (lambda: hubspot_request(events_json(), secret="not-the-secret"), "v3 signature does not match"),
        (
            lambda: hubspot_request(events_json(), signed_uri=WEBHOOK_URI + "/other"),
            "v3 signature does not match",
        ),
        (lambda: hubspot_request(events_json(), ts=NOW_MS - MAX_SKEW_MS - 1), "outside the 5 minute window"),
        (lambda: hubspot_request(events_json(), ts=NOW_MS + MAX_SKEW_MS + 1), "outside the 5 minute window"),
        (unsigned, "no X-HubSpot-Signature-v3 or X-HubSpot-Signature header"),
        (lambda: forged(legacy_request(events_json(), "v2")), "v2 signature does not match"),
        (
            lambda: SignedRequest(
                "POST",
                WEBHOOK_URI,
                events_json(),
                {"X-HubSpot-Signature": "ab", "X-HubSpot-Signature-Version": "v4"},
            ),
            "unsupported signature version 'v4'",
        ),
    ],
    ids=[
        "tampered-body",
        "wrong-secret",
        "other-uri",
        "replayed-old",
        "future-dated",
        "unsigned",
        "tampered-v2",
        "unknown-version",
    ],
)
def test_a_delivery_not_provably_from_hubspot_is_unauthenticated_and_changes_nothing(
    world: World, queue: FakeQueue, request_of: Any, message: str
) -> None:
    with pytest.raises(Unauthenticated, match=message):
        legacy_webhooks(queue).receive(request_of())
    assert_nothing_changed(world, queue)


@pytest.mark.parametrize("timestamp", [None, "", "soon", "-1", "\uff11\uff12\uff13"])
def test_a_v3_delivery_without_a_numeric_timestamp_is_unauthenticated(
    world: World, queue: FakeQueue, webhooks: WebhookIntake, timestamp: str | None
) -> None:
    signed = hubspot_request(events_json())
    headers = {k: v for k, v in signed.headers.items() if k != "X-HubSpot-Request-Timestamp"}
    if timestamp is not None:
        headers["x-hubspot-request-timestamp"] = timestamp
    with pytest.raises(Unauthenticated, match="X-HubSpot-Request-Timestamp is missing or not a number"):
        webhooks.receive(SignedRequest(signed.method, signed.uri, signed.body, headers))
    assert_nothing_changed(world, queue)


def test_without_a_configured_secret_every_delivery_is_unauthenticated(
    world: World, queue: FakeQueue
) -> None:
    intake = WebhookIntake(world.config, lambda: "", queue, now_ms=lambda: NOW_MS)
    with pytest.raises(Unauthenticated, match="no client secret is configured"):
        intake.receive(hubspot_request(events_json(), secret=""))
    assert_nothing_changed(world, queue)


def test_the_secret_is_read_for_every_delivery(world: World, queue: FakeQueue) -> None:
    secrets = iter(["old", "new"])
    intake = WebhookIntake(world.config, lambda: next(secrets), queue, now_ms=lambda: NOW_MS)
    assert intake.receive(hubspot_request(events_json(), secret="old"))["enqueued"] == 1
    with pytest.raises(Unauthenticated):
        intake.receive(hubspot_request(events_json(), secret="old"))


GOOD = HubSpotWebhookSender(WEBHOOK_URI, SECRET).event("contact.creation", 101, occurred_at_ms=NOW_MS)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "body is not JSON"),
        (json.dumps({"objectId": 1}), "body must be a JSON array of webhook events"),
        (
            json.dumps([{**GOOD, "objectId": "abc"}]),
            "invalid webhook event at 0.objectId: Input should be a valid integer",
        ),
        (
            json.dumps([GOOD, {k: v for k, v in GOOD.items() if k != "subscriptionType"}]),
            "invalid webhook event at 1.subscriptionType: Field required",
        ),
        (
            json.dumps([{**GOOD, "subscriptionType": ""}]),
            "0.subscriptionType: String should have at least 1 character",
        ),
        (json.dumps([GOOD] * 101), "invalid webhook event at body: List should have at most 100 items"),
    ],
    ids=["not-json", "not-an-array", "bad-object-id", "missing-type", "empty-type", "too-many"],
)
def test_a_malformed_delivery_is_refused_naming_the_problem(
    world: World, queue: FakeQueue, webhooks: WebhookIntake, body: str, message: str
) -> None:
    with pytest.raises(MalformedRequest, match=message):
        webhooks.receive(hubspot_request(body))
    assert_nothing_changed(world, queue)


def test_an_empty_delivery_is_answered_with_nothing_to_do(
    world: World, queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    assert webhooks.receive(hubspot_request("[]")) == summary(received=0, enqueued=0)
    assert_nothing_changed(world, queue)


def test_when_the_queue_is_down_hubspot_is_asked_to_retry_and_its_retry_is_accepted(
    world: World, queue: FakeQueue, webhooks: WebhookIntake
) -> None:
    request = delivery([sender().event("contact.creation", 101, occurred_at_ms=NOW_MS)])
    queue.down = True
    with pytest.raises(TryLater, match="events could not be queued; retry later"):
        webhooks.receive(request)
    assert world.store.events == set()  # not remembered: the retry must not look like a duplicate
    queue.down = False
    assert webhooks.receive(request) == summary(received=1, enqueued=1)
    assert [e.object_id for e in queue.events] == [101]


# Outside signals ------------------------------------------------------------------------------


def test_signed_signals_are_queued_and_counted(queue: FakeQueue, signals: SignalsIntake) -> None:
    body = {"signals": [signal(contact_id="101"), signal(company_id="7")]}
    assert signals.receive(signals_request(body)) == {"accepted": 2}
    assert queue.signals == [ContactSignal.model_validate(s) for s in body["signals"]]
    assert queue.events == []


@pytest.mark.parametrize(
    ("request_of", "message"),
    [
        (
            lambda: signals_request({"signals": [signal(contact_id="101")]}, secret="not-the-secret"),
            "signature does not match",
        ),
        (
            lambda: signals_request({"signals": [signal(contact_id="101")]}, ts=NOW_MS - MAX_SKEW_MS - 1),
            "5 minute window",
        ),
        (
            lambda: signals_request({"signals": [signal(contact_id="101")]}, ts=NOW_MS + MAX_SKEW_MS + 1),
            "5 minute window",
        ),
        (
            lambda: SignedRequest(
                "POST", SIGNALS_URI, json.dumps({"signals": [signal(contact_id="101")]}), {}
            ),
            "X-Leadflow-Signature and a numeric X-Leadflow-Timestamp are required",
        ),
    ],
    ids=["wrong-secret", "replayed-old", "future-dated", "unsigned"],
)
def test_signals_not_signed_with_the_secret_are_unauthenticated(
    queue: FakeQueue, signals: SignalsIntake, request_of: Any, message: str
) -> None:
    with pytest.raises(Unauthenticated, match=f"invalid signature: .*{message}"):
        signals.receive(request_of())
    assert queue.signals == []


def test_a_tampered_signals_body_is_unauthenticated(queue: FakeQueue, signals: SignalsIntake) -> None:
    with pytest.raises(Unauthenticated, match="signature does not match"):
        signals.receive(forged(signals_request({"signals": [signal(contact_id="101")]})))
    assert queue.signals == []


def test_without_a_signals_secret_nothing_is_accepted(queue: FakeQueue) -> None:
    intake = SignalsIntake(lambda: "", queue, now_ms=lambda: NOW_MS)
    with pytest.raises(Unauthenticated, match="no signals secret is configured"):
        intake.receive(signals_request({"signals": [signal(contact_id="101")]}, secret=""))
    assert queue.signals == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "invalid signals body: body is not JSON"),
        ({"signals": []}, "signals: List should have at least 1 item"),
        ({"signals": [signal(contact_id="101")] * 101}, "signals: List should have at most 100 items"),
        ({"signals": [signal(contact_id="abc")]}, "signals.0.contact_id: String should match pattern"),
        (
            {"signals": [signal(contact_id="1", company_id="2")]},
            "signals.0: Value error, name exactly one of",
        ),
        ({"signals": [signal()]}, "signals.0: Value error, name exactly one of contact_id, company_id"),
        ({"signals": [signal(contact_id="1")], "extra": 1}, "extra: Extra inputs are not permitted"),
    ],
    ids=["not-json", "empty", "too-many", "bad-contact-id", "two-targets", "no-target", "unknown-field"],
)
def test_a_malformed_signals_body_is_refused_naming_the_field(
    queue: FakeQueue, signals: SignalsIntake, payload: object, message: str
) -> None:
    with pytest.raises(MalformedRequest, match=message):
        signals.receive(signals_request(payload))
    assert queue.signals == []


def test_a_signal_of_a_bad_type_is_refused_naming_the_field(queue: FakeQueue, signals: SignalsIntake) -> None:
    bad = signal(contact_id="101")
    bad["signal"]["type"] = "Reply!"
    with pytest.raises(MalformedRequest, match=r"signals\.0\.signal\.type: String should match pattern"):
        signals.receive(signals_request({"signals": [bad]}))
    assert queue.signals == []


def test_when_the_queue_is_down_the_sender_is_asked_to_retry(
    queue: FakeQueue, signals: SignalsIntake
) -> None:
    queue.down = True
    with pytest.raises(TryLater, match="signals could not be queued; retry later"):
        signals.receive(signals_request({"signals": [signal(contact_id="101")]}))
    assert queue.signals == []
