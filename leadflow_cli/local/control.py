"""The local runtime's own endpoints, served beside the emulated AWS APIs on `--aws-port`.

Other processes find the runtime there: `leadflow journeys --local` reads its clock (ages and SLA
deadlines are on it), and `leadflow send` asks it to play HubSpot (`hubspot_player`). Every other
path is the emulated AWS APIs'. Nothing here carries a secret: `leadflow local` prints the local
credentials, and the player signs with the runtime's own.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from werkzeug.wrappers import Request, Response

from leadflow_cli.local.http_server import WsgiApp
from leadflow_cli.local.hubspot_player import HubSpotPlayer, Played, PlayError

if TYPE_CHECKING:
    from leadflow_cli.local.runtime import LocalRuntime

PREFIX: Final = "/_leadflow/"
INFO_PATH: Final = PREFIX + "runtime"
SEND_PATH: Final = PREFIX + "send/"


class RuntimeUnreachable(Exception):
    """No local runtime answers at the address given."""


def with_control(aws_apis: WsgiApp, runtime: LocalRuntime) -> WsgiApp:
    """The emulated AWS APIs, with the runtime's own endpoints under /_leadflow/."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        if not path.startswith(PREFIX):
            return aws_apis(environ, start_response)
        return _answer(Request(environ), runtime)(environ, start_response)

    return app


def info(runtime: LocalRuntime) -> dict[str, Any]:
    """Where the runtime's parts are, and its clock's time."""
    return {
        "api_url": runtime.api_url,
        "hubspot_url": runtime.standin.base_url if runtime.standin else runtime.options.hubspot_base_url,
        "standin": runtime.standin is not None,
        "state_machine_arn": runtime.journey_arn,
        "state_table": runtime.table_names.get("StateTable"),
        "now": runtime.clock.now().isoformat(),
        "time_scale": runtime.clock.scale,
    }


def _answer(request: Request, runtime: LocalRuntime) -> Response:
    if request.path == INFO_PATH and request.method == "GET":
        return _json(200, info(runtime))
    if not request.path.startswith(SEND_PATH) or request.method != "POST":
        return _json(404, {"error": f"no such endpoint {request.method} {request.path}"})
    kind = request.path.removeprefix(SEND_PATH)
    try:
        args = json.loads(request.get_data() or b"{}")
        return _json(200, _play(HubSpotPlayer(runtime), kind, args).as_json())
    except (PlayError, ValueError, KeyError, TypeError) as exc:
        return _json(400, {"error": str(exc)})


def _play(player: HubSpotPlayer, kind: str, args: dict[str, Any]) -> Played:
    contact = str(args.get("contact_id", ""))
    if kind == "contact":
        return player.create_contact(args["properties"])
    if kind == "change":
        return player.change_contact(contact, args["properties"])
    if kind == "decision":
        return player.decide(contact, args["decision"], args.get("reason", ""))
    if kind == "lead":
        return player.move_lead(contact, args.get("stage", ""), args.get("reason", ""))
    if kind == "workflow":
        return player.send_webhook_action(contact, args.get("picked") or {}, bool(args.get("api_key")))
    if kind == "signal":
        return player.post_signal(contact, args["signal"])
    raise PlayError(f"nothing to send called {kind!r}")


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")


class RuntimeClient:
    """A running `leadflow local`, found at its AWS port."""

    def __init__(self, aws_url: str) -> None:
        self.aws_url = aws_url.rstrip("/")

    def info(self) -> dict[str, Any]:
        """Where the runtime's parts are, and its clock's time."""
        return self._call("GET", INFO_PATH, None)

    def send(self, kind: str, args: dict[str, Any]) -> dict[str, Any]:
        """Have the runtime play HubSpot; what it did (PlayError when it cannot)."""
        return self._call("POST", SEND_PATH + kind, args)

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the local runtime's own address
            self.aws_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
                found: dict[str, Any] = json.loads(answer.read())
                return found
        except urllib.error.HTTPError as exc:
            try:
                error = json.loads(exc.read()).get("error")
            except ValueError:
                error = None
            if exc.code == 400 and error:
                raise PlayError(error) from None
            raise RuntimeUnreachable(f"{self.aws_url} is not a leadflow local runtime") from None
        except (urllib.error.URLError, OSError, ValueError):
            raise RuntimeUnreachable(
                f"no leadflow local runtime answers at {self.aws_url}: start one with `leadflow local`, "
                "or give --local the port it serves its AWS APIs on (--aws-port)"
            ) from None
