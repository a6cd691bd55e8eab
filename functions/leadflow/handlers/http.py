"""What the API handlers share: JSON error answers and the raw request body."""

from __future__ import annotations

import base64
import json
from typing import Final

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

MAX_BODY_BYTES: Final = 1024 * 1024


class BadBody(ValueError):
    """The body cannot be read as UTF-8 text (or as base64 when API Gateway says it is)."""


def error(status: int, message: str) -> Response[str]:
    """A JSON error answer."""
    return Response(status_code=status, content_type="application/json", body=json.dumps({"error": message}))


def raw_body(event: APIGatewayProxyEvent) -> str:
    """The body exactly as the client sent it, which is what signatures cover."""
    body = event.body or ""
    if not event.is_base64_encoded:
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except ValueError as exc:  # binascii.Error, UnicodeDecodeError and non-ASCII input alike
        raise BadBody(f"body is not base64-encoded UTF-8: {exc}") from None
