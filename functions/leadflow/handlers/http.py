"""What the API handlers share: JSON error answers and the raw request body."""

from __future__ import annotations

import base64
import json
from typing import Final

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import ValidationError

MAX_BODY_BYTES: Final = 1024 * 1024


class BadBody(ValueError):
    """The body cannot be accepted: unreadable (400) or too large (413)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> Response[str]:
    """A JSON error answer."""
    return Response(status_code=status, content_type="application/json", body=json.dumps({"error": message}))


def raw_body(event: APIGatewayProxyEvent) -> str:
    """The body exactly as the client sent it, which is what signatures cover (at most 1 MiB)."""
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except ValueError as exc:  # binascii.Error, UnicodeDecodeError and non-ASCII input alike
            raise BadBody(400, f"body is not base64-encoded UTF-8: {exc}") from None
    if len(body.encode()) > MAX_BODY_BYTES:
        raise BadBody(413, f"body is larger than {MAX_BODY_BYTES} bytes")
    return body


def describe(exc: ValidationError) -> str:
    """Where the first validation error is and what it says (and how many more there are)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"
