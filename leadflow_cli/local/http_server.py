"""A WSGI app served on a daemon thread: the local API, the HubSpot stand-in and the receiver."""

from __future__ import annotations

import errno
import socket
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import (
    BaseWSGIServer,
    WSGIRequestHandler,
    get_sockaddr,
    make_server,
    select_address_family,
)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
# Connections waiting to be accepted (werkzeug's own request_queue_size).
_BACKLOG = 128


class PortInUse(Exception):
    """The port a server was asked for is taken by another program."""

    def __init__(self, port: int, name: str) -> None:
        super().__init__(f"port {port} is in use ({name})")
        self.port = port


class BackgroundServer:
    """Serves `app` on host:port (0 picks a free port) from a daemon thread until stopped."""

    def __init__(
        self,
        app: WsgiApp,
        host: str,
        port: int,
        name: str,
        request_handler: type[WSGIRequestHandler] | None = None,
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._name = name
        self._request_handler = request_handler
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound."""
        assert self._server is not None, f"start() the {self._name} first"
        return int(self._server.port)

    def bind(self) -> None:
        """Take the port now, so it is known (and reserved) before serving starts; PortInUse when another
        program has it."""
        if self._server is not None:
            return
        # Bound here rather than by werkzeug, which answers a taken port by printing and exiting.
        family = select_address_family(self._host, self._port)
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(get_sockaddr(self._host, self._port, family))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise PortInUse(self._port, self._name) from None
                raise
            sock.listen(_BACKLOG)
            # werkzeug serves a duplicate of the descriptor; this one closes on leaving the block.
            self._server = make_server(
                self._host,
                self._port,
                self._app,
                threaded=True,
                request_handler=self._request_handler,
                fd=sock.fileno(),
            )

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
