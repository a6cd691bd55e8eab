"""Each function checks at its cold start that its settings are there, and names what is missing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadflow import wiring
from leadflow.handlers import journey_steps, lead_events, signals, webhook
from leadflow.settings import SettingsError
from leadflow_cli.local.lambdas import LocalContext

SETTINGS = (
    "LEADFLOW_TABLE",
    "LEADFLOW_QUEUE_URL",
    "LEADFLOW_STATE_MACHINE_ARN",
    "LEADFLOW_SECRET_ARN",
    "HUBSPOT_ACCESS_TOKEN",
    "HUBSPOT_CLIENT_SECRET",
    "LEADFLOW_SIGNALS_SECRET",
)

TABLE_MACHINE_TOKEN = "LEADFLOW_TABLE, LEADFLOW_STATE_MACHINE_ARN, HUBSPOT_ACCESS_TOKEN"


@pytest.fixture(autouse=True)
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    wiring.reset()
    yield
    wiring.reset()


@pytest.mark.parametrize(
    ("handler", "missing"),
    [
        (
            webhook.handler,
            "webhook function cannot start: LEADFLOW_QUEUE_URL, HUBSPOT_CLIENT_SECRET",
        ),
        (signals.handler, "signals function cannot start: LEADFLOW_QUEUE_URL, LEADFLOW_SIGNALS_SECRET"),
        (
            lead_events.handler,
            "lead_events function cannot start: LEADFLOW_TABLE, LEADFLOW_QUEUE_URL, "
            "LEADFLOW_STATE_MACHINE_ARN, HUBSPOT_ACCESS_TOKEN",
        ),
        (journey_steps.route, f"journey function cannot start: {TABLE_MACHINE_TOKEN}"),
    ],
)
def test_a_function_without_its_settings_fails_before_doing_anything_naming_each_variable(
    handler: Any, missing: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        handler({}, LocalContext("fn", "arn:aws:lambda:us-east-1:123456789012:function:fn"))
    assert str(refused.value) == f"the {missing} not set"


def test_the_stacks_secret_stands_in_for_secret_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:leadflow")
    monkeypatch.setenv("LEADFLOW_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/q")
    wiring.reset()
    wiring.ready("signals")  # no SettingsError: the signals secret comes from the stack's secret
