"""The files people rely on stay true: sample events, diagrams, the ASL lint, the template."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from leadflow import wiring
from leadflow.core.config import parse_config
from leadflow.handlers import journey_steps, lead_events, webhook, workflow_actions
from leadflow.handlers import signals as signals_handler
from leadflow_cli.diagram import render_block
from leadflow_cli.local.lambdas import LocalContext
from leadflow_cli.local.runtime import LocalRuntime
from leadflow_cli.local.template import load_template
from leadflow_cli.main import main
from leadflow_cli.webhook_sender import SignalsSender
from scripts.lint_asl import graph_problems, lint
from tests.conftest import MQL_PROPS, ROOT

EVENTS = ROOT / "events"
ASL = sorted((ROOT / "statemachines").glob("*.asl.json"))


def load(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((EVENTS / name).read_text())
    return data


def context(name: str) -> LocalContext:
    return LocalContext(name, f"arn:aws:lambda:us-east-1:123456789012:function:{name}")


def test_every_function_has_a_sample_event_that_its_handler_serves(
    # monkeypatch first: set up before the runtime, it is undone after the runtime restores the environment
    monkeypatch: pytest.MonkeyPatch,
    runtime_factory: Callable[..., LocalRuntime],
    capsys: pytest.CaptureFixture[str],
) -> None:
    secrets = json.loads((EVENTS / "env.json").read_text())["Parameters"]
    for name in ("HUBSPOT_CLIENT_SECRET", "LEADFLOW_PUBLIC_URL"):  # as `--env-vars events/env.json` sets them
        monkeypatch.setenv(name, secrets[name])
    runtime = runtime_factory(
        consume_queues=False,
        client_secret=secrets["HUBSPOT_CLIENT_SECRET"],
        public_url=secrets["LEADFLOW_PUBLIC_URL"],  # what the v2-signed samples were signed for
    )
    contact = runtime.standin.store.create_object("contacts", dict(MQL_PROPS))  # type: ignore[union-attr]
    assert contact == "101", "the samples name contact 101"

    # Signed v3, which expires: `leadflow hubspot sign` signs it again now, as the README says.
    assert main(["hubspot", "sign", str(EVENTS / "webhook_contact_creation.json")]) == 0
    api = json.loads(capsys.readouterr().out)
    answer = webhook.handler(api, context("WebhookFunction"))
    assert (answer["statusCode"], json.loads(answer["body"])["signature"]) == (200, "v3")
    stale = webhook.handler(load("webhook_contact_creation.json"), context("WebhookFunction"))
    assert (stale["statusCode"], json.loads(stale["body"])["error"]) == (
        401,
        "invalid signature: request timestamp is outside the 5 minute window",
    )

    sqs = json.loads((EVENTS / "lead_events_sqs.json").read_text())
    assert lead_events.handler(sqs, context("LeadEventsFunction")) == {"batchItemFailures": []}

    state = json.loads((EVENTS / "journey_state.json").read_text())
    routed = journey_steps.route(copy.deepcopy(state), context("RouteFunction"))
    assert (routed["assignment"]["team"], routed["assignment"]["rule"]) == ("sales", "default")
    # The journey samples chain on the stand-in's ids: owner 7001, the handoff's task 20001.
    # HandOff's sample is its queue's batch of one: the sample token is nobody's, so nothing is resumed.
    handed = journey_steps.handoff(load("journey_handoff.json"), context("HandOffFunction"))
    assert handed == {"batchItemFailures": []}
    handed_off = wiring.store().latest_journey("101")
    assert handed_off is not None and handed_off.task_id == "20001"
    assert journey_steps.await_input(load("journey_await_input.json"), context("AwaitInputFunction")) is None
    record = wiring.store().latest_journey("101")
    assert record is not None and (record.task_token, record.waiting_for) == (
        "sample-task-token",
        "decision",
    )
    escalated = journey_steps.escalate(load("journey_escalate.json"), context("EscalateFunction"))
    assert (escalated["escalations"], escalated["next_escalation"]) == (1, "alert_manager")
    assert (
        journey_steps.mark_sal(load("journey_mark_sal.json"), context("MarkSalFunction"))["outcome"] == "sal"
    )
    qualified = journey_steps.mark_sql(load("journey_mark_sql.json"), context("MarkSqlFunction"))
    assert (qualified["outcome"], qualified["deal_id"]) == ("sql", "9001")
    assert journey_steps.close(load("journey_close.json"), context("CloseFunction"))["outcome"] == "rejected"
    failed = journey_steps.record_failure(
        load("journey_record_failure.json"), context("RecordFailureFunction")
    )
    assert (failed["failure"]["error"], failed["error"]) == ("HubSpotError", None)

    signals = json.loads((EVENTS / "signals_post.json").read_text())
    # Its signature carries a timestamp, so it is re-signed as `leadflow signals sign` would.
    signals["headers"] = SignalsSender("unused", secrets["LEADFLOW_SIGNALS_SECRET"]).signed_headers(
        signals["body"]
    )
    answer = signals_handler.handler(signals, context("SignalsFunction"))
    assert (answer["statusCode"], json.loads(answer["body"])) == (202, {"accepted": 1})

    # A workflow's "Send a webhook" (signed v2, which has no timestamp) and "Hand off with leadflow".
    sent = webhook.handler(load("workflow_webhook.json"), context("WebhookFunction"))
    assert (sent["statusCode"], json.loads(sent["body"])["record"]) == (200, "101")
    blocked = workflow_actions.handler(
        load("workflow_action_handoff.json"), context("WorkflowActionsFunction")
    )
    assert json.loads(blocked["body"])["outputFields"]["hs_execution_state"] == "BLOCK"

    samples = {
        "webhook_contact_creation.json",
        "lead_events_sqs.json",
        "journey_state.json",
        "signals_post.json",
        "journey_handoff.json",
        "journey_await_input.json",
        "journey_escalate.json",
        "journey_mark_sal.json",
        "journey_mark_sql.json",
        "journey_close.json",
        "journey_record_failure.json",
        "workflow_webhook.json",
        "workflow_action_handoff.json",
        "env.json",
    }
    assert {p.name for p in EVENTS.glob("*.json")} == samples
    functions = load_template(ROOT / "template.yaml").functions
    documented = (ROOT / "README.md").read_text()
    assert {name for name in functions if f"sam local invoke {name} " in documented} == set(functions)


@pytest.mark.parametrize("doc", ["README.md", "docs/architecture.md"])
def test_state_machine_diagrams_in_the_docs_are_current(doc: str) -> None:
    text = (ROOT / doc).read_text()
    for asl in ASL:
        assert render_block(asl) in text, f"{doc} is stale: run `.venv/bin/leadflow diagram`"


def test_every_state_machine_definition_passes_the_asl_lint() -> None:
    for asl in ASL:
        assert lint(asl, ROOT / "template.yaml") == []


def test_the_asl_lint_catches_broken_transitions_and_schema_errors(tmp_path: Path) -> None:
    definition = json.loads(ASL[0].read_text())
    broken = copy.deepcopy(definition)
    broken["States"]["Route"]["Next"] = "Nowhere"
    broken["States"]["Orphan"] = {"Type": "Succeed"}
    problems = graph_problems(broken)
    assert "Route goes to unknown state 'Nowhere'" in problems
    assert "Orphan is unreachable" in problems
    bad_type = copy.deepcopy(definition)
    bad_type["States"]["Route"]["Type"] = "Taskk"
    path = tmp_path / "bad.asl.json"
    path.write_text(json.dumps(bad_type))
    assert any("E3601" in p for p in lint(path, ROOT / "template.yaml"))


@pytest.mark.parametrize("block", range(3))
def test_the_configuration_examples_in_the_docs_load(block: int) -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    examples = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(examples) == 3, "an example was added or removed: update the parameter range"
    shipped = yaml.safe_load((ROOT / "functions" / "leadflow.yaml").read_text())
    example = yaml.safe_load(examples[block])
    for section, value in example.items():
        # An example section replaces the shipped one, except `journey`, whose keys it adds to.
        shipped[section] = {**shipped[section], **value} if section == "journey" else value
    parse_config(shipped, "docs/configuration.md")
