"""Cold start of every function: a fresh interpreter imports the handler and serves one event.

The AWS side is a moto server and HubSpot is the stand-in, both in this process, so the
child pays for exactly what a Lambda cold start pays for: imports, client construction
and the first calls. A bare interpreter start is subtracted, and each figure is also given as a
ratio to a naive handler's imports measured in the same run.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from benchmarks.report import Metric, median
from leadflow_cli.hubspot_standin import HubSpotStandIn
from leadflow_cli.local.runtime import DEFAULT_ACCESS_TOKEN, REGION
from leadflow_cli.local.template import load_template
from leadflow_cli.webhook_sender import SignalsSender, signed_api_event

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
_OURS = ("AWS_", "LEADFLOW_", "HUBSPOT_")

_CHILD = """
import json, sys
class Context:
    function_name = sys.argv[2]
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + sys.argv[2]
    memory_limit_in_mb = 512
    function_version = "$LATEST"
    aws_request_id = log_group_name = log_stream_name = "cold"
    def get_remaining_time_in_millis(self): return 30000
module, _, attr = sys.argv[1].rpartition(".")
handler = getattr(__import__(module, fromlist=[attr]), attr)
handler(json.loads(sys.stdin.read()), Context())
"""

# The reference a function's cold start is judged by: a naive handler's imports of what a
# function like ours needs (boto3, powertools' resolver and idempotency, the HubSpot client).
_NAIVE = """
import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities import idempotency
from hubspot import HubSpot
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wall_ms(args: list[str], stdin: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, input=stdin, env=env, capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{args[3] if len(args) > 3 else args}: {done.stderr[-2000:]}")
    return elapsed


def cold_start_events(
    standin: HubSpotStandIn, signals_secret: str, client_secret: str = ""
) -> dict[str, Any]:
    """One event per function in template.yaml, each against records seeded in the stand-in (the app
    webhook sample signed again now, v3 signatures expiring)."""
    store = standin.store
    owner = store.add_owner("ada@example.com", "Ada", "Lovelace")
    for email in ("grace@example.com", "linus@example.com", "queue@example.com"):
        store.add_owner(email, "Rep", "Rep")
    contact = store.create_object("contacts", {"industry": "RETAIL"})
    task = store.create_object("tasks", {"hs_timestamp": "1764000000000"})
    state = json.loads((EVENTS / "journey_state.json").read_text())
    state["contact_id"] = contact
    assigned = {
        **state,
        "assignment": {
            "owner_id": owner,
            "owner_email": "ada@example.com",
            "team": "sales",
            "rule": "default",
            "why": "no routing rule matched: default team sales",
        },
    }
    handed = {
        **assigned,
        "handoff": {"task_id": task, "due_at": "2025-11-24T20:00:00Z", "timeout_seconds": 14400},
    }
    decided = {
        **handed,
        "decision": {"decision": "reject", "reason": "not_icp", "decided_at": "2025-11-24T17:00:00Z"},
    }
    signals = json.loads((EVENTS / "signals_post.json").read_text())
    signals["headers"] = SignalsSender("", signals_secret).signed_headers(signals["body"])
    return {
        "SignalsFunction": signals,
        "WebhookFunction": signed_api_event(
            json.loads((EVENTS / "webhook_contact_creation.json").read_text()), client_secret
        ),
        "WorkflowActionsFunction": json.loads((EVENTS / "workflow_action_handoff.json").read_text()),
        "LeadEventsFunction": json.loads((EVENTS / "lead_events_sqs.json").read_text()),
        "RouteFunction": state,
        "HandOffFunction": assigned,
        "AwaitInputFunction": {"token": "cold-start-token", "kind": "decision", "state": handed},
        "EscalateFunction": {"step": "remind", "state": handed},
        "MarkSalFunction": {**decided, "decision": {**decided["decision"], "decision": "accept"}},
        "MarkSqlFunction": {"state": handed, "attempt": 0},
        "CloseFunction": decided,
        "RecordFailureFunction": {
            "execution": f"arn:aws:states:{REGION}:123456789012:execution:cold-start:{state['journey_id']}",
            "state": {**handed, "error": {"Error": "HubSpotError", "Cause": "cold start"}},
        },
    }


def run(repeats: int = 5) -> list[Metric]:
    """Median cold start of each function in template.yaml, in ms, over `repeats` runs."""
    template = load_template(ROOT / "template.yaml")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        with HubSpotStandIn(access_token=DEFAULT_ACCESS_TOKEN) as standin:
            kwargs: dict[str, Any] = {
                "region_name": REGION,
                "endpoint_url": endpoint,
                "aws_access_key_id": "cold",
                "aws_secret_access_key": "cold",
            }
            table = template.resources["StateTable"]["Properties"]
            boto3.client("dynamodb", **kwargs).create_table(
                TableName="cold-start",
                AttributeDefinitions=table["AttributeDefinitions"],
                KeySchema=table["KeySchema"],
                BillingMode="PAY_PER_REQUEST",
            )
            queue_url = boto3.client("sqs", **kwargs).create_queue(QueueName="cold-start")["QueueUrl"]
            # The hand-off action starts a journey: a state machine that only records the start.
            machine = boto3.client("stepfunctions", **kwargs).create_state_machine(
                name="cold-start",
                definition=json.dumps(
                    {"StartAt": "Started", "States": {"Started": {"Type": "Pass", "End": True}}}
                ),
                roleArn="arn:aws:iam::123456789012:role/cold-start",
            )["stateMachineArn"]
            samples = json.loads((EVENTS / "env.json").read_text())["Parameters"]
            secret = samples["HUBSPOT_CLIENT_SECRET"]
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(_OURS)},
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "cold",
                "AWS_SECRET_ACCESS_KEY": "cold",
                "LEADFLOW_TABLE": "cold-start",
                "LEADFLOW_QUEUE_URL": queue_url,
                "LEADFLOW_STATE_MACHINE_ARN": machine,
                "HUBSPOT_BASE_URL": standin.base_url,
                "HUBSPOT_ACCESS_TOKEN": DEFAULT_ACCESS_TOKEN,
                "HUBSPOT_CLIENT_SECRET": secret,
                "LEADFLOW_SIGNALS_SECRET": samples["LEADFLOW_SIGNALS_SECRET"],
                "POWERTOOLS_LOG_LEVEL": "WARNING",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "PYTHONDONTWRITEBYTECODE": "",
            }
            events = cold_start_events(standin, samples["LEADFLOW_SIGNALS_SECRET"], secret)
            bare = median([_wall_ms([sys.executable, "-c", "pass"], "", env) for _ in range(repeats)])
            naive = median([_wall_ms([sys.executable, "-c", _NAIVE], "", env) for _ in range(repeats)]) - bare
            metrics = [Metric("cold_start_ms.naive_reference", naive, "ms")]
            for name, spec in template.functions.items():
                stdin = json.dumps(events[name])
                args = [sys.executable, "-c", _CHILD, spec.handler, name]
                _wall_ms(args, stdin, env)  # the first run compiles .pyc files, as `sam build` would have
                samples = [_wall_ms(args, stdin, env) for _ in range(repeats)]
                cold = median(samples) - bare
                metrics.append(Metric(f"cold_start_ms.{name}", cold, "ms"))
                metrics.append(Metric(f"cold_start_vs_naive.{name}", cold / naive, "x"))
            return metrics
    finally:
        server.stop()
