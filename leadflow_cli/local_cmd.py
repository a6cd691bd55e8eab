"""`leadflow local`: the whole application on this machine until Ctrl-C (or SIGTERM).

Before anything starts it refuses an invalid configuration (HubSpot's properties included) and a
port another program has; then it seeds the stand-in portal from the configuration, prints where
everything is and the local credentials it uses, and plays HubSpot's part of delivering the app's
webhook events as the stand-in's subscriptions catch them.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any, Final, TextIO

from leadflow_cli import config_cmd
from leadflow_cli.local.runtime import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_DEVELOPER_KEY,
    DEFAULT_SIGNALS_SECRET,
    DEFAULT_WORKFLOW_KEY,
    REGION,
    LocalOptions,
    LocalRuntime,
)
from leadflow_cli.local.seed import Seeded, seed_portal

# How often the stand-in's caught app webhook events are delivered (HubSpot sends them within seconds).
DELIVERY_INTERVAL_S: Final = 0.5
# A contact the shipped configuration makes an MQL of, routed to the sales team's rotation.
EXAMPLE_CONTACT: Final = (
    "email=maya@acme.example industry=COMPUTER_SOFTWARE numemployees=500-1000 "
    "jobtitle='VP Sales' recent_conversion_event_name='Talk to sales'"
)
# The secrets a user may set, with their local defaults.
_SECRETS: Final = (
    ("HUBSPOT_CLIENT_SECRET", DEFAULT_CLIENT_SECRET, "the HubSpot app's client secret (webhook signatures)"),
    ("LEADFLOW_SIGNALS_SECRET", DEFAULT_SIGNALS_SECRET, "POST /signals signatures"),
    ("LEADFLOW_WORKFLOW_API_KEY", DEFAULT_WORKFLOW_KEY, "a workflow's Send a webhook, by API key"),
)


def _interrupt(_signum: int, _frame: Any) -> None:
    # SIGTERM stops the runtime the way Ctrl-C does, even in the middle of starting it; a second
    # signal while stopping ends the process at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    raise KeyboardInterrupt


def run(options: LocalOptions, config_file: Path, seed: bool, out: TextIO = sys.stdout) -> int:
    """Serve until interrupted; the exit code."""
    config, notes = config_cmd.validate(config_file)
    signal.signal(signal.SIGTERM, _interrupt)
    stop = threading.Event()
    try:
        with LocalRuntime(options) as runtime:
            seeded = seed_portal(runtime.standin.store, config) if seed and runtime.standin else Seeded()
            _print(runtime, config_file, seeded, notes, out)
            while not stop.wait(DELIVERY_INTERVAL_S):
                _deliver(runtime)
    except KeyboardInterrupt:
        print("leadflow local stopped", file=out, flush=True)
    return 0


def _deliver(runtime: LocalRuntime) -> None:
    """What the app's subscriptions caught on the stand-in (leadflow's own writes to leads included), sent
    to leadflow's webhook as HubSpot sends it."""
    if runtime.standin is None:
        return
    try:
        runtime.deliver_webhooks()
    except RuntimeError as exc:
        print(f"leadflow local: {exc}", file=sys.stderr, flush=True)


def _print(runtime: LocalRuntime, config_file: Path, seeded: Seeded, notes: list[str], out: TextIO) -> None:
    options = runtime.options

    def say(text: str) -> None:
        print(text, file=out)

    say(f"leadflow local runtime: configuration {config_file}")
    say(f"  API            {runtime.api_url}")
    for route in runtime.template.routes:
        say(f"    {route.method:<6} {route.path:<28} -> {route.function}")
    if runtime.aws_server is not None:
        aws = f"http://{options.host}:{runtime.aws_server.port}"
        port = runtime.aws_server.port
        say(f"  AWS APIs       {aws}  (moto; any credentials, region {REGION}; --local {port})")
        say(f"    state machine  {runtime.journey_arn}")
        say(f"    journey table  {runtime.table_names['StateTable']}")
        say(
            f"    e.g. aws --endpoint-url {aws} --region {REGION} stepfunctions list-executions "
            f"--state-machine-arn {runtime.journey_arn}"
        )
    if runtime.standin is not None:
        say(f"  HubSpot        {runtime.standin.base_url}  (the stand-in)")
        say(f"    token          {DEFAULT_ACCESS_TOKEN}  (developer key {DEFAULT_DEVELOPER_KEY})")
        owners = [f"{o['email']} ({o['id']})" for o in runtime.standin.store.owners()]
        say("    owners         " + (", ".join(owners) or "none (--no-seed)"))
        if seeded.properties:
            say("    custom properties  " + ", ".join(seeded.properties))
    else:
        say(f"  HubSpot        {options.hubspot_base_url}")
    scale = runtime.clock.scale
    pace = f"{scale:g}x the wall clock" if scale else "standing still"
    say(f"  clock          {runtime.clock.now().isoformat(timespec='seconds')}, {pace}")
    say("  credentials")
    for name, default, what in _SECRETS:
        shown = default if default == _secret_of(runtime, name) else f"from {name}"
        say(f"    {name:<26} {shown}  ({what})")
    for note in notes:
        say(f"note: {note}")
    say(
        f"Play HubSpot with `leadflow send` (e.g. `leadflow send contact {EXAMPLE_CONTACT}`), watch with "
        "`leadflow journeys --local` and `leadflow journey CONTACT_ID --local`."
    )
    say("Ctrl-C to stop.")
    out.flush()


def _secret_of(runtime: LocalRuntime, name: str) -> str:
    return {
        "HUBSPOT_CLIENT_SECRET": runtime.client_secret,
        "LEADFLOW_SIGNALS_SECRET": runtime.signals_secret,
        "LEADFLOW_WORKFLOW_API_KEY": runtime.workflow_api_key,
    }[name]
