"""`leadflow send`: play HubSpot against a running `leadflow local`.

Each subcommand is something people do in HubSpot, and the runtime's stand-in does what HubSpot does
then: it writes the record and sends the app what its subscriptions or the workflow say, signed with
the app's client secret, dated on the runtime's clock (see `local.hubspot_player`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from leadflow_cli.cli_errors import CliError
from leadflow_cli.local.control import RuntimeClient

DEFAULT_AWS_PORT = 4566


def request(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """What to ask the runtime for: the kind of event and its arguments."""
    kind: str = args.send_command
    if kind == "contact":
        return kind, {"properties": dict(args.properties)}
    if kind == "change":
        return kind, {"contact_id": args.contact_id, "properties": dict(args.properties)}
    if kind == "decision":
        return kind, {"contact_id": args.contact_id, "decision": args.decision, "reason": args.reason or ""}
    if kind == "lead":
        return kind, {"contact_id": args.contact_id, "stage": args.stage or "", "reason": args.reason or ""}
    if kind == "workflow":
        return kind, {"contact_id": args.contact_id, "picked": dict(args.pick), "api_key": args.api_key}
    signal: dict[str, Any] = {"type": args.type, "attributes": dict(args.attributes)}
    signal["source"] = "leadflow send"
    signal |= {"evidence": args.evidence} if args.evidence else {}
    signal |= {"occurred_at": args.at} if args.at else {}
    return kind, {"contact_id": args.contact_id, "signal": signal}


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Send it; 0 when leadflow accepted every request, 1 when it answered one with an error."""
    kind, body = request(args)
    played = RuntimeClient(f"http://127.0.0.1:{args.local}").send(kind, body)
    if args.json:
        print(json.dumps(played), file=out)
    else:
        _print(kind, played, out)
    refused = [d for d in played["deliveries"] if not 200 <= d["status"] < 300]
    if refused:
        raise CliError(f"leadflow answered {refused[0]['status']}: {json.dumps(refused[0]['body'])}")
    return 0


_WHAT = {
    "contact": "contact {id} created",
    "change": "contact {id} changed",
    "decision": "decision set on contact {id}",
    "lead": "lead {id} moved",
    "workflow": "workflow's Send a webhook ran for contact {id}",
    "signal": "signal posted for contact {id}",
}


def _print(kind: str, played: dict[str, Any], out: TextIO) -> None:
    print(_WHAT[kind].format(id=played["object_id"]), file=out)
    for delivery in played["deliveries"]:
        body = json.dumps(delivery["body"]) if delivery["body"] else ""
        print(f"  leadflow answered {delivery['status']} {body}".rstrip(), file=out)
    if played["not_sent"]:
        print(
            "  no event for " + ", ".join(played["not_sent"]) + ": the app does not subscribe to them",
            file=out,
        )
    if played["detail"]:
        print(f"  {played['detail']}", file=out)
