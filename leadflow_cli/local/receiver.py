"""A local HTTP endpoint that records notifications, so they can be tested with no internet."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, Self

from werkzeug.wrappers import Request, Response

from leadflow_cli.local.http_server import BackgroundServer

_HOST = "127.0.0.1"
_PATH = "/slack"


class NotificationReceiver:
    """A local HTTP endpoint that records what is posted to it (stands in for a Slack incoming webhook)."""

    def __init__(self, port: int = 0, fail_with: int | None = None) -> None:
        self._fail_with = fail_with
        self._received: list[dict[str, Any]] = []
        # werkzeug serves each request on its own thread while the test reads from another.
        self._lock = threading.Lock()
        self._server = BackgroundServer(self._wsgi, _HOST, port, "notification-receiver")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The webhook URL to configure, e.g. http://127.0.0.1:54321/slack."""
        return f"http://{_HOST}:{self._server.port}{_PATH}"

    @property
    def received(self) -> list[dict[str, Any]]:
        """The JSON bodies posted so far, in order; a body that is not a JSON object is {"raw": text}."""
        with self._lock:
            return list(self._received)

    def start(self) -> Self:
        """Serve on 127.0.0.1 on a daemon thread (port 0 picks a free port)."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.method != "POST":
            response = Response("method not allowed", 405, content_type="text/plain")
            return response(environ, start_response)
        text = request.get_data(as_text=True)
        with self._lock:
            self._received.append(_parse(text))
        # Recorded even when failing, so a test can prove the attempt was made.
        if self._fail_with is not None:
            response = Response("error", self._fail_with, content_type="text/plain")
        else:
            # What Slack answers to an accepted message.
            response = Response("ok", 200, content_type="text/plain")
        return response(environ, start_response)


def _parse(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        return {"raw": text}
    return body if isinstance(body, dict) else {"raw": text}
