"""`leadflow journeys`, `journey` and `report`: the same views of the local runtime and a stack."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable

import pytest

from leadflow import wiring
from leadflow.handlers import lead_events
from leadflow_cli.local.runtime import LocalRuntime
from leadflow_cli.main import main
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import MQL_PROPS
from tests.handlers.test_lead_events import CONTEXT, sqs_event
from tests.journey.helpers import start, waiting_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_journeys_list_and_timeline_from_another_process(
    runtime_factory: Callable[..., LocalRuntime], capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    runtime = runtime_factory(consume_queues=False, time_scale=None, aws_port=port)
    store = runtime.standin.store  # type: ignore[union-attr]
    contact = store.create_object("contacts", dict(MQL_PROPS))
    lead_events.handler(
        sqs_event([HubSpotWebhookSender("x", "x").event("contact.creation", contact)]), CONTEXT
    )
    runtime.advance(hours=4)  # the SLA runs out: the journey escalates
    record = wiring.store().latest_journey(contact)
    assert record is not None and record.escalations == 1

    listed = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "leadflow_cli.main", "journeys", "--local", str(port), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    (row,) = json.loads(listed.stdout)
    assert (row["contact_id"], row["status"], row["escalations"]) == (contact, "escalated", 1)

    assert main(["journey", contact, "--local", str(port)]) == 0
    out = capsys.readouterr().out
    assert f"contact {contact}" in out and "Route" in out and "Escalate" in out
    assert main(["journeys", "--local", str(port), "--status", "sal"]) == 0
    assert capsys.readouterr().out.strip().endswith("0 journey(s)")
    assert main(["journey", "999", "--local", str(port)]) == 1

    assert main(["report", "--local", str(port), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    funnel = report["funnel"]
    # The one journey is still open: counted as an MQL, with no decision to rate yet.
    assert (funnel["all"]["mqls"], funnel["all"]["open"], funnel["all"]["acceptance_rate"]) == (1, 1, None)
    assert funnel["sales"]["mqls"] == 1
    # Route kept its turn of the rotation and what scoring said: the ledger and calibration read them.
    ada = next(r for r in report["fairness"]["sales"]["reps"] if r["email"] == "ada@example.com")
    assert (ada["assigned"], ada["turns"], ada["own_turns"], ada["target_share"]) == (1, 1, 1, 0.5)
    assert report["calibration"]["tier"] == {"B": report["calibration"]["overall"]}
    assert list(report["calibration"]["mql_reason"]) == ["talk-to-sales"]

    # The same journeys replayed: the recorded MQLs, routed again under the configuration.
    assert main(["replay", "--local", str(port), "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert (replayed["leads"], replayed["mqls"]) == (1, 1)
    assert {(r["email"], r["assigned"]) for r in replayed["reps"] if r["team"] == "sales"} >= {
        ("ada@example.com", 1)
    }


def test_journeys_needs_a_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["journeys"]) == 2
    assert "--stack NAME" in capsys.readouterr().err


def test_a_failed_journey_is_found_by_status_and_says_where_why_and_how_old_it_is(
    runtime_factory: Callable[..., LocalRuntime], capsys: pytest.CaptureFixture[str]
) -> None:
    port = str(free_port())
    runtime = runtime_factory(consume_queues=False, time_scale=None, aws_port=int(port))
    store = runtime.standin.store  # type: ignore[union-attr]
    for owner in store.owners():
        store.archive_owner(owner["id"])
    contact, _ = start(runtime)  # nobody to route to: the journey fails at Route
    waiting_for(runtime, contact, "repair")
    runtime.advance(hours=2)

    assert main(["journeys", "--local", port, "--status", "failed", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["contact_id"], row["failed_state"], row["error"]) == (contact, "Route", "RoutingError")
    assert row["cause"]
    # Route never recorded the MQL time; the journey's name still says when it began.
    assert row["mql_at"] is None and row["age_hours"] == pytest.approx(2.0, abs=0.02)

    assert main(["journeys", "--local", port]) == 0
    table = capsys.readouterr().out
    assert "failed at Route: RoutingError" in table and "    2.0 " in table
    assert (
        f"1 failed journey(s) wait for a repair: fix the cause, then `leadflow journey {contact} --resume`"
        in (table)
    )

    assert main(["journey", contact, "--local", port]) == 0
    view = capsys.readouterr().out
    assert "execution RUNNING (waiting in AwaitRepair)" in view
    assert "failed at Route: RoutingError" in view and "  cause: " in view
    assert f"`leadflow journey {contact} --resume`" in view
