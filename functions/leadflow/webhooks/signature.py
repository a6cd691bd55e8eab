"""Request signatures: HubSpot's (v3, and v1/v2 when only those are sent and the endpoint's minimum
allows them) and leadflow's own.

The hashes are HubSpot's (https://developers.hubspot.com/docs/apps/legacy-apps/authentication/
validating-requests): v1 is SHA-256 of secret + body, v2 of secret + method + URI + body, v3 the
base64 HMAC-SHA256 of method + URI + body + timestamp keyed by the secret. They are written here
rather than taken from hubspot-api-client's `Signature`: importing `hubspot.utils.signature` imports
the whole client (about 95 ms of the webhook's cold start) for three lines of hashing; a test checks
them against the library's. Also decided here: the timestamp window in both directions, the
percent-escape decoding HubSpot applies to the URI before signing v3, the choice of version
from the headers, and what a timestamp header may look like (a 401 for anything else, never a
crash).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from leadflow.core.config import SignatureVersion

MAX_SKEW_MS: Final = 5 * 60 * 1000

# HubSpot decodes exactly these escapes in the URI before computing a v3 signature.
_V3_URI_DECODE: Final = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}


class SignatureError(Exception):
    """The request is not provably from HubSpot; the message says why (never the secret)."""


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a signature covers: method, the public URI HubSpot called, the raw body, headers.

    `also` holds other spellings of the same URI (see `called_url`): a signature over any of
    them is accepted.
    """

    method: str
    uri: str
    body: str
    headers: Mapping[str, str]
    also: tuple[str, ...] = ()

    @property
    def uris(self) -> tuple[str, ...]:
        """Every spelling of the URI the sender may have signed."""
        return (self.uri, *self.also)

    def header(self, name: str) -> str | None:
        """A header value, looked up case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


def decode_v3_uri(uri: str) -> str:
    """Apply HubSpot's v3 URI decoding (case-insensitive on the hex digits)."""
    out = []
    i = 0
    while i < len(uri):
        chunk = uri[i : i + 3].upper()
        if uri[i] == "%" and chunk in _V3_URI_DECODE:
            out.append(_V3_URI_DECODE[chunk])
            i += 3
        else:
            out.append(uri[i])
            i += 1
    return "".join(out)


def sign_v3(secret: str, method: str, uri: str, body: str, timestamp_ms: int) -> str:
    """The v3 signature HubSpot would send for this request."""
    signed = f"{method}{decode_v3_uri(uri)}{body}{timestamp_ms}".encode()
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def sign_legacy(secret: str, version: str, method: str, uri: str, body: str) -> str:
    """The v1 or v2 signature HubSpot would send for this request."""
    signed = f"{secret}{body}" if version == "v1" else f"{secret}{method}{uri}{body}"
    return hashlib.sha256(signed.encode()).hexdigest()


VERSIONS: Final[tuple[SignatureVersion, ...]] = ("v1", "v2", "v3")
# A timestamp in milliseconds has 13 digits until the year 2286; anything much longer is not one, and
# `int()` refuses strings of over 4,300 digits with a ValueError.
_MAX_TIMESTAMP_DIGITS: Final = 16


def timestamp_ms(raw: str | None, header: str) -> int:
    """A signature's timestamp header as epoch milliseconds; SignatureError when it is missing or is
    not a short string of ASCII digits."""
    if raw is None or not (raw.isascii() and raw.isdigit() and len(raw) <= _MAX_TIMESTAMP_DIGITS):
        raise SignatureError(f"{header} is missing or not a number of milliseconds")
    return int(raw)


def verify(request: SignedRequest, secret: str, now_ms: int, minimum: SignatureVersion = "v1") -> str:
    """Verify a request's signature and return the version that proved it.

    Raises SignatureError when no supported signature is present, only one older than `minimum`
    is, the v3 timestamp is outside the five-minute window (either direction), or the signature
    does not match.
    """
    if not secret:
        raise SignatureError("no client secret is configured")
    v3 = request.header("X-HubSpot-Signature-v3")
    if v3 is not None:
        timestamp = timestamp_ms(request.header("X-HubSpot-Request-Timestamp"), "X-HubSpot-Request-Timestamp")
        if abs(now_ms - timestamp) > MAX_SKEW_MS:
            raise SignatureError("request timestamp is outside the 5 minute window")
        signed = [sign_v3(secret, request.method, uri, request.body, timestamp) for uri in request.uris]
        if not _matches_one(signed, v3):
            raise SignatureError("v3 signature does not match")
        return "v3"
    legacy = request.header("X-HubSpot-Signature")
    version = (request.header("X-HubSpot-Signature-Version") or "v1").lower()
    if minimum == "v3":
        raise SignatureError("no X-HubSpot-Signature-v3 header: this endpoint takes v3 signatures only")
    if legacy is None:
        raise SignatureError("no X-HubSpot-Signature-v3 or X-HubSpot-Signature header")
    if version not in ("v1", "v2"):
        raise SignatureError(f"unsupported signature version {version[:10]!r}")
    if VERSIONS.index(version) < VERSIONS.index(minimum):
        raise SignatureError(f"{version} signatures are not accepted here, only {minimum} or later")
    signed = [sign_legacy(secret, version, request.method, uri, request.body) for uri in request.uris]
    if not _matches_one(signed, legacy.lower()):
        raise SignatureError(f"{version} signature does not match")
    return version


def _matches_one(expected: list[str], given: str) -> bool:
    """Whether `given` is one of the expected signatures, each compared in constant time."""
    # Every candidate is compared, so the time taken says nothing about which one came close.
    # A header is text from anyone: one that cannot be UTF-8 (a lone surrogate) just does not match.
    sent = given.encode(errors="surrogatepass")
    return any([hmac.compare_digest(e.encode(), sent) for e in expected])


def sign_leadflow(secret: str, body: str, timestamp_ms: int) -> str:
    """The signature leadflow expects on POST /signals: v1=hex(HMAC-SHA256(secret, "<ms>.<body>"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify_leadflow(request: SignedRequest, secret: str, now_ms: int) -> None:
    """Verify an outside tool's POST /signals request (X-Leadflow-Signature, X-Leadflow-Timestamp).

    Same rules as HubSpot's v3: the raw body, a five-minute window both ways, constant-time
    comparison; raises SignatureError.
    """
    if not secret:
        raise SignatureError("no signals secret is configured")
    signature = request.header("X-Leadflow-Signature")
    if signature is None:
        raise SignatureError("X-Leadflow-Signature and a numeric X-Leadflow-Timestamp are required")
    timestamp = timestamp_ms(request.header("X-Leadflow-Timestamp"), "X-Leadflow-Timestamp")
    if abs(now_ms - timestamp) > MAX_SKEW_MS:
        raise SignatureError("request timestamp is outside the 5 minute window")
    if not _matches_one([sign_leadflow(secret, request.body, timestamp)], signature):
        raise SignatureError("signature does not match")
