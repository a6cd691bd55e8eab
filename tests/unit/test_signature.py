"""HubSpot request signatures: HubSpot's published vectors, the v3 window and URI rules."""

from __future__ import annotations

import json

import pytest
from hubspot.utils.signature import Signature

from leadflow.webhooks.signature import (
    MAX_SKEW_MS,
    SignatureError,
    SignedRequest,
    decode_v3_uri,
    sign_legacy,
    sign_v3,
    verify,
)

# HubSpot's documented examples (developers.hubspot.com, "Validating requests").
DOC_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
DOC_BODY = (
    '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
    '"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM",'
    '"changeFlag":"NEW","appId":54321}]'
)
DOC_V1 = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
DOC_V2_GET = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"

URI = "https://hooks.example.com/Prod/webhooks/hubspot"
NOW = 1_764_000_000_000


def v3_request(body: str = "[]", ts: int = NOW, uri: str = URI, secret: str = "s3cret") -> SignedRequest:  # noqa: S107
    headers = {
        "X-HubSpot-Signature-v3": sign_v3(secret, "POST", uri, body, ts),
        "X-HubSpot-Request-Timestamp": str(ts),
    }
    return SignedRequest("POST", uri, body, headers)


def test_hubspot_v1_vector_verifies() -> None:
    request = SignedRequest(
        "POST", URI, DOC_BODY, {"X-HubSpot-Signature": DOC_V1, "X-HubSpot-Signature-Version": "v1"}
    )
    assert verify(request, DOC_SECRET, NOW) == "v1"


def test_hubspot_v2_vector_verifies_with_method_and_uri() -> None:
    request = SignedRequest(
        "GET",
        "https://www.example.com/webhook_uri",
        "",
        {"X-HubSpot-Signature": DOC_V2_GET, "X-HubSpot-Signature-Version": "v2"},
    )
    assert verify(request, DOC_SECRET, NOW) == "v2"


def test_v1_with_a_changed_body_is_refused() -> None:
    tampered = DOC_BODY.replace('"objectId":123', '"objectId":124')
    request = SignedRequest(
        "POST", URI, tampered, {"X-HubSpot-Signature": DOC_V1, "X-HubSpot-Signature-Version": "v1"}
    )
    with pytest.raises(SignatureError, match="v1 signature does not match"):
        verify(request, DOC_SECRET, NOW)


def test_v3_round_trip_and_header_names_are_case_insensitive() -> None:
    request = v3_request(DOC_BODY)
    lowered = SignedRequest(
        request.method, request.uri, request.body, {k.lower(): v for k, v in request.headers.items()}
    )
    assert verify(lowered, "s3cret", NOW) == "v3"


@pytest.mark.parametrize("skew", [MAX_SKEW_MS + 1, -(MAX_SKEW_MS + 1)], ids=["too-old", "from-the-future"])
def test_v3_outside_the_five_minute_window_is_refused(skew: int) -> None:
    with pytest.raises(SignatureError, match="5 minute window"):
        verify(v3_request(ts=NOW - skew), "s3cret", NOW)


def test_v3_at_the_edge_of_the_window_is_accepted() -> None:
    assert verify(v3_request(ts=NOW - MAX_SKEW_MS), "s3cret", NOW) == "v3"


@pytest.mark.parametrize(
    ("field", "value"),
    [("body", '[{"objectId": 2}]'), ("uri", "https://evil.example.com/webhooks/hubspot"), ("method", "PUT")],
)
def test_v3_covers_body_uri_and_method(field: str, value: str) -> None:
    good = v3_request('[{"objectId": 1}]')
    args = {"method": good.method, "uri": good.uri, "body": good.body, "headers": good.headers, field: value}
    with pytest.raises(SignatureError, match="v3 signature does not match"):
        verify(SignedRequest(**args), "s3cret", NOW)


def test_v3_with_the_wrong_secret_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify(v3_request(secret="other"), "s3cret", NOW)


def test_v3_uri_escapes_are_decoded_as_hubspot_does() -> None:
    assert (
        decode_v3_uri("https://x.example/a%3Ab%2fc?q=%40me%2C%20you")
        == "https://x.example/a:b/c?q=@me,%20you"
    )
    # HubSpot signs the decoded form, so a request to the escaped URI verifies against it.
    escaped = "https://x.example/hook?name=a%3Ab"
    request = SignedRequest("POST", escaped, "[]", v3_request(uri="https://x.example/hook?name=a:b").headers)
    assert verify(request, "s3cret", NOW) == "v3"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-HubSpot-Signature-v3": "abc"},
        {"X-HubSpot-Signature-v3": "abc", "X-HubSpot-Request-Timestamp": "soon"},
        {"X-HubSpot-Signature": "abc", "X-HubSpot-Signature-Version": "v9"},
    ],
    ids=["none", "v3-without-timestamp", "v3-bad-timestamp", "unknown-version"],
)
def test_requests_without_a_usable_signature_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureError):
        verify(SignedRequest("POST", URI, "[]", headers), "s3cret", NOW)


def test_an_unconfigured_secret_refuses_everything() -> None:
    with pytest.raises(SignatureError, match="no client secret"):
        verify(v3_request(secret=""), "", NOW)


def test_error_messages_never_contain_the_secret() -> None:
    secret = "very-secret-value"
    for request in (
        v3_request(json.dumps([1])),
        SignedRequest("POST", URI, "[]", {"X-HubSpot-Signature": "0"}),
    ):
        with pytest.raises(SignatureError) as caught:
            verify(request, secret, NOW)
        assert secret not in str(caught.value)


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_each_signature_is_the_one_hubspot_api_client_computes(version: str) -> None:
    secret, uri, body, at = (
        "s3cr3t",
        "https://x.example/webhooks/hubspot?a=%3A",
        '[{"eventId":1}]',
        1764000000000,
    )
    ours = (
        sign_v3(secret, "POST", uri, body, at)
        if version == "v3"
        else sign_legacy(secret, version, "POST", uri, body)
    )
    theirs = Signature.get_signature(
        secret, body, version, http_uri=decode_v3_uri(uri) if version == "v3" else uri, timestamp=str(at)
    )
    assert ours == theirs
