"""A WSGI app served on a daemon thread: the local API, the HubSpot stand-in and the receiver."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class BackgroundServer:
    """Serves `app` on host:port (0 picks a free port) from a daemon thread until stopped."""

    def __init__(self, app: WsgiApp, host: str, port: int, name: str) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._name = name
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound."""
        assert self._server is not None, f"start() the {self._name} first"
        return int(self._server.server_port)

    def bind(self) -> None:
        """Take the port now, so it is known (and reserved) before serving starts."""
        if self._server is None:
            self._server = make_server(self._host, self._port, self._app, threaded=True)

    def start(self) -> None:
        """Bind if not bound yet and serve; werkzeug answers each request on a thread of its own."""
        self.bind()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port (a no-op when not started)."""
        if self._server is not None:
            if (
                self._thread is not None
            ):  # shutdown() waits for serve_forever, which a bound-only server never ran
                self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
