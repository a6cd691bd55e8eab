"""Runs the template's Lambda functions in this process, as Lambda would run them."""

from __future__ import annotations

import importlib
import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[Any, Any], Any]
_log = logging.getLogger(__name__)


@dataclass
class LocalContext:
    """The subset of the Lambda context object that handlers and powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        """Lambda's remaining time; locally there is no limit worth reporting."""
        return 300_000


class FunctionError(Exception):
    """A handler raised; carries the Lambda error payload."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("errorMessage", ""))
        self.payload = payload


class LocalLambdas:
    """The template's functions by name and ARN, each resolved to its handler on first use."""

    def __init__(self, region: str, account: str) -> None:
        self._region = region
        self._account = account
        self._handlers: dict[str, str] = {}
        self._loaded: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.invocations: dict[str, int] = {}

    def arn(self, name: str) -> str:
        """The ARN a function has locally."""
        return f"arn:aws:lambda:{self._region}:{self._account}:function:{name}"

    def register(self, name: str, handler: str) -> None:
        """Make a function invokable by name or ARN; `handler` is "module.function"."""
        self._handlers[name] = handler

    def _handler(self, name: str) -> Handler:
        with self._lock:
            if name not in self._loaded:
                module_name, _, attr = self._handlers[name].rpartition(".")
                self._loaded[name] = getattr(importlib.import_module(module_name), attr)
            return self._loaded[name]

    def name_of(self, name_or_arn: str) -> str:
        """The function name behind a name, ARN, or ARN with qualifier; KeyError when unknown."""
        parts = name_or_arn.split(":")
        name = parts[6] if name_or_arn.startswith("arn:") and len(parts) >= 7 else name_or_arn
        if name not in self._handlers:
            raise KeyError(name_or_arn)
        return name

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        """Run a function on an event; raises FunctionError with Lambda's payload when it fails."""
        name = self.name_of(name_or_arn)
        handler = self._handler(name)
        with self._lock:
            self.invocations[name] = self.invocations.get(name, 0) + 1
        try:
            return handler(event, LocalContext(name, self.arn(name)))
        except Exception as exc:
            # As Lambda writes a function's unhandled error to its log: with the whole traceback.
            _log.error("%s failed: %s: %s", name, type(exc).__name__, exc, exc_info=exc)
            raise FunctionError(
                {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_exception(exc)[-5:],
                }
            ) from exc

    def invoke_json(self, name_or_arn: str, body: bytes | str | None) -> tuple[bytes, bool]:
        """Invoke with a JSON payload as Lambda's Invoke API does: (payload, function_errored)."""
        event = json.loads(body) if body else {}
        try:
            return json.dumps(self.invoke(name_or_arn, event)).encode(), False
        except FunctionError as exc:
            return json.dumps(exc.payload).encode(), True
