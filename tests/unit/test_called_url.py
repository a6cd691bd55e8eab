"""The URL HubSpot called, rebuilt from API Gateway's decoded query parameters, verifies its signature.

HubSpot signs the URL as it called it (v2), or that URL with the escapes its table lists decoded
(v3: https://developers.hubspot.com/docs/api/webhooks/validating-requests); API Gateway hands the
function each parameter decoded, grouped by name.
"""

from __future__ import annotations

import hashlib
from urllib.parse import unquote, unquote_plus

import pytest

from leadflow.webhooks.called_url import called_urls
from leadflow.webhooks.signature import SignatureError, SignedRequest, sign_v3, verify

SECRET = "app-client-secret"
BASE = "https://hooks.example.com/Prod/workflows/webhook"
NOW = 1_764_000_000_000
BODY = '{"vid": 101}'


def api_gateway_params(query: str, plus_is_space: bool) -> dict[str, list[str]]:
    """What API Gateway puts in multiValueQueryStringParameters for a raw query string."""
    decode = unquote_plus if plus_is_space else unquote
    params: dict[str, list[str]] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        params.setdefault(decode(name), []).append(decode(value))
    return params


def received(called: str, headers: dict[str, str], plus_is_space: bool = True) -> SignedRequest:
    base, _, query = called.partition("?")
    first, *others = called_urls(base, api_gateway_params(query, plus_is_space) if query else None)
    return SignedRequest("POST", first, BODY, headers, also=tuple(others))


def v3_headers(called: str) -> dict[str, str]:
    return {
        "X-HubSpot-Signature-v3": sign_v3(SECRET, "POST", called, BODY, NOW),
        "X-HubSpot-Request-Timestamp": str(NOW),
    }


def v2_headers(called: str) -> dict[str, str]:
    digest = hashlib.sha256(f"{SECRET}POST{called}{BODY}".encode()).hexdigest()
    return {"X-HubSpot-Signature": digest, "X-HubSpot-Signature-Version": "v2"}


CALLED = [
    f"{BASE}",
    f"{BASE}?team=sales",
    f"{BASE}?note=hello%20world",
    f"{BASE}?note=hello+world",
    f"{BASE}?next=https%3A%2F%2Fapp.example.com%2Fdone%3Fok%3D1",
    f"{BASE}?next=https://app.example.com/done",
    f"{BASE}?q=a%26b%3Dc&plus=1%2B1",
    f"{BASE}?city=M%C3%BCnchen&who=%40ada",
    f"{BASE}?tag=a&tag=b&tag=c&team=sales",
    f"{BASE}?list=a,b;c&paren=(x)*",
]


@pytest.mark.parametrize("called", CALLED)
@pytest.mark.parametrize("plus_is_space", [True, False])
def test_a_v3_signature_over_the_url_hubspot_called_verifies(called: str, plus_is_space: bool) -> None:
    assert verify(received(called, v3_headers(called), plus_is_space), SECRET, NOW) == "v3"


@pytest.mark.parametrize("called", CALLED)
def test_a_v2_signature_over_the_exact_url_verifies(called: str) -> None:
    assert verify(received(called, v2_headers(called)), SECRET, NOW) == "v2"


def test_names_api_gateway_reorders_are_tried_in_sorted_order_too() -> None:
    called = f"{BASE}?a=1&b=2"
    request = SignedRequest("POST", f"{BASE}?b=2&a=1", BODY, v2_headers(called))
    with pytest.raises(SignatureError):
        verify(request, SECRET, NOW)
    first, *others = called_urls(BASE, {"b": ["2"], "a": ["1"]})
    assert verify(SignedRequest("POST", first, BODY, v2_headers(called), tuple(others)), SECRET, NOW) == "v2"


def test_a_signature_over_another_query_is_refused() -> None:
    headers = v3_headers(f"{BASE}?team=sales")
    with pytest.raises(SignatureError, match="v3 signature does not match"):
        verify(received(f"{BASE}?team=enterprise", headers), SECRET, NOW)


def test_interleaved_repeated_names_cannot_be_rebuilt_and_are_refused() -> None:
    called = f"{BASE}?a=1&b=2&a=3"
    with pytest.raises(SignatureError):
        verify(received(called, v2_headers(called)), SECRET, NOW)


def test_without_a_query_there_is_one_candidate_the_base_url() -> None:
    assert called_urls(BASE, None) == [BASE] and called_urls(BASE, {}) == [BASE]


def test_the_plain_spelling_comes_first_and_no_candidate_repeats() -> None:
    urls = called_urls(BASE, {"note": ["hello world"], "next": ["https://x/y"]})
    assert urls[0] == f"{BASE}?note=hello%20world&next=https%3A%2F%2Fx%2Fy"
    assert len(urls) == len(set(urls)) <= 8
