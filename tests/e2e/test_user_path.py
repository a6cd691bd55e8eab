"""The README's path for a new user, as they take it: `leadflow local` in one terminal, then `leadflow send`
to play HubSpot, `leadflow journey` and the AWS APIs to watch the journey reach the rep's task."""

from __future__ import annotations

import contextlib
import io
import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from leadflow.adapters.hubspot_api import HubSpotApi, object_path
from leadflow_cli.local.polling import wait_for
from leadflow_cli.main import main
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

# A contact the shipped configuration makes an MQL ("Talk to sales" is its demo-request form).
MAYA = [
    "email=maya@acme.example",
    "firstname=Maya",
    "industry=COMPUTER_SOFTWARE",
    "numemployees=500-1000",
    "jobtitle=VP Sales",
    "recent_conversion_event_name=Talk to sales",
]
# Everyone the shipped configuration routes to or tells (members, fallback owner, manager).
SHIPPED_PEOPLE = {"ada@example.com", "grace@example.com", "linus@example.com", "queue@example.com"}
SHIPPED_PEOPLE |= {"maria@example.com"}
START_TIMEOUT_S = 120.0


@dataclass
class Running:
    """A `leadflow local` process and what it printed on starting."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str]
    banner: str
    aws_port: int
    api_url: str
    hubspot_url: str
    token: str


def _read_lines(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@contextlib.contextmanager
def leadflow_local(log: Path) -> Iterator[Running]:
    """`leadflow local` on free ports, started as a user starts it; stopped by SIGTERM if still running."""
    with log.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "leadflow_cli.main", "local", "--port", "0", "--aws-port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    banner: list[str] = []

    def started() -> bool:
        while not lines.empty():
            banner.append(lines.get())
        return any(line.startswith("Ctrl-C to stop") for line in banner) or process.poll() is not None

    try:
        wait_for(started, timeout_s=START_TIMEOUT_S, what="leadflow local to start", every_s=0.2)
        text = "".join(banner)
        assert process.poll() is None, f"leadflow local exited: {text}{log.read_text()}"
        yield Running(
            process,
            lines,
            text,
            int(_found(r"--local (\d+)\)", text)),
            _found(r"API\s+(http://\S+)", text),
            _found(r"HubSpot\s+(http://\S+)\s+\(the stand-in\)", text),
            _found(r"token\s+(\S+)", text),
        )
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in what leadflow local printed:\n{text}"
    return match.group(1)


def cli(*args: str) -> tuple[int, str, str]:
    """A `leadflow` command: its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_a_user_starts_local_sends_a_contact_with_the_cli_and_watches_it_reach_the_reps_task(
    tmp_path: Path,
) -> None:
    with leadflow_local(tmp_path / "local.log") as local:
        _prints_the_seeded_owners_and_every_credential(local.banner)
        _a_contact_reaches_its_reps_task(local)
        # Ctrl-C (or SIGTERM, as a service manager stops it) ends it cleanly.
        local.process.send_signal(signal.SIGTERM)
        assert local.process.wait(timeout=60) == 0
        wait_for(lambda: "leadflow local stopped\n" in _drain(local.lines), what="the goodbye")


def _drain(lines: queue.Queue[str]) -> list[str]:
    found = []
    while not lines.empty():
        found.append(lines.get())
    return found


def _prints_the_seeded_owners_and_every_credential(banner: str) -> None:
    owners = set(re.findall(r"([\w.]+@example\.com) \(\d+\)", _found(r"owners\s+(.*)", banner)))
    assert owners == SHIPPED_PEOPLE
    for credential in (
        "leadflow-local-access-token",
        "leadflow-local-developer-key",
        "leadflow-local-client-secret",
        "leadflow-local-signals-secret",
        "leadflow-local-workflow-key",
    ):
        assert credential in banner


def _a_contact_reaches_its_reps_task(local: Running) -> None:
    port = str(local.aws_port)
    code, out, err = cli("send", "contact", *MAYA, "--local", port, "--json")
    assert (code, err) == (0, "")
    sent = json.loads(out)
    assert [d["status"] for d in sent["deliveries"]] == [200]
    contact = sent["object_id"]

    def handed_off() -> dict[str, Any] | None:
        code, out, _err = cli("journey", contact, "--local", port, "--json")
        view: dict[str, Any] = json.loads(out) if code == 0 else {}
        return view if view and view["journey"]["status"] == "awaiting_decision" else None

    view = wait_for(handed_off, timeout_s=60, what="the journey to wait for the rep's decision", every_s=0.5)
    journey = view["journey"]
    assert journey["owner"]["email"] in SHIPPED_PEOPLE - {"maria@example.com", "queue@example.com"}
    assert journey["team"] == "sales"
    assert view["execution_status"] == "RUNNING"
    assert [s["state"] for s in view["states"]][:2] == ["Route", "HandOff"]
    assert view["states"][-1]["state"] == "AwaitDecision"

    # The journey is found by its owner's email or name, as the table shows them.
    owner = journey["owner"]
    for named in (owner["email"], owner["name"]):
        code, out, _err = cli("journeys", "--local", port, "--owner", named, "--json")
        assert (code, [r["contact_id"] for r in json.loads(out)]) == (0, [contact])
    code, _out, err = cli("journeys", "--local", port, "--owner", "Nobody Here")
    assert code == 2 and "no HubSpot owner is named 'Nobody Here'" in err

    # The rep's task is in HubSpot, theirs.
    api = HubSpotApi(local.token, local.hubspot_url)
    task = api.call(
        "GET", object_path("tasks", journey["task_id"]), query=[("properties", "hubspot_owner_id")]
    )
    assert task["properties"]["hubspot_owner_id"] == journey["owner"]["id"]

    # The AWS APIs show the same execution, stamped on the one local clock the records use.
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    (machine,) = sfn.list_state_machines()["stateMachines"]
    running = sfn.list_executions(stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING")
    (execution,) = [e for e in running["executions"] if e["name"] == journey["journey_id"]]
    assert abs((execution["startDate"] - datetime.fromisoformat(journey["mql_at"])).total_seconds()) < 60


def test_local_on_a_port_another_program_has_exits_at_once_in_one_sentence() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        second = subprocess.run(  # noqa: S603 - the project's own CLI
            [sys.executable, "-m", "leadflow_cli.main", "local", "--port", port, "--aws-port", "0"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            check=False,
        )
    assert second.returncode == 1
    assert second.stderr.count("\n") == 1 and f"port {port} is in use" in second.stderr
    assert second.stdout == ""
