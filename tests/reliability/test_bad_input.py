"""Bad input, generated: the webhook never answers 5xx and never acts without a valid signature;
the configuration loader only ever answers with a config or a ConfigError."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.core.config import ConfigError, LeadflowConfig, load_config, parse_config
from leadflow.handlers import webhook
from leadflow_cli.local.api import STAGE
from leadflow_cli.local.lambdas import LocalContext
from leadflow_cli.local.runtime import DEFAULT_CLIENT_SECRET, REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import ROOT, make_runtime

CONTEXT = LocalContext("WebhookFunction", "arn:aws:lambda:us-east-1:123456789012:function:WebhookFunction")
HEADER_NAMES = [
    "X-HubSpot-Signature-v3",
    "X-HubSpot-Request-Timestamp",
    "X-HubSpot-Signature",
    "X-HubSpot-Signature-Version",
    "Content-Type",
]


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with make_runtime(consume_queues=False) as started:
        yield started


def side_effects(runtime: LocalRuntime) -> tuple[int, int]:
    """Messages queued and dedupe keys stored."""
    table = runtime.table_names["StateTable"]
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]
    return runtime.queue_depth(), sum(1 for i in items if i["pk"]["S"].startswith("EVENT#"))


def api_event(body: str, headers: dict[str, str], base64: bool = False) -> dict[str, Any]:
    return {
        "resource": "/webhooks/hubspot",
        "path": "/webhooks/hubspot",
        "httpMethod": "POST",
        "headers": headers,
        "requestContext": {"stage": STAGE, "domainName": "x", "requestId": "r"},
        "body": body,
        "isBase64Encoded": base64,
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(st.text(max_size=300), json_values.map(json.dumps)),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), st.text(max_size=60), max_size=5),
    base64=st.booleans(),
)
def test_unsigned_or_badly_signed_requests_are_refused_without_side_effects(
    runtime: LocalRuntime, body: str, headers: dict[str, str], base64: bool
) -> None:
    before = side_effects(runtime)
    answer = webhook.handler(api_event(body, headers, base64), CONTEXT)
    assert answer["statusCode"] in (401, 400, 413)
    assert side_effects(runtime) == before


event_fields = st.fixed_dictionaries(
    {},
    optional={
        "eventId": st.integers() | st.text(max_size=5),
        "subscriptionId": st.integers(),
        "portalId": st.integers(),
        "occurredAt": st.integers() | st.none(),
        "subscriptionType": st.sampled_from(
            ["contact.creation", "contact.propertyChange", "deal.creation", ""]
        ),
        "objectId": st.integers(min_value=-5, max_value=10**12) | st.text(max_size=5),
        "propertyName": st.sampled_from(["industry", "leadflow_decision", "x"]),
        "propertyValue": st.text(max_size=10),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.one_of(st.lists(event_fields, max_size=5), json_values))
def test_signed_requests_never_get_a_5xx_and_invalid_ones_change_nothing(
    runtime: LocalRuntime, payload: Any
) -> None:
    sender = HubSpotWebhookSender(runtime.api_url + "/webhooks/hubspot", DEFAULT_CLIENT_SECRET)
    body = json.dumps(payload)
    before = side_effects(runtime)
    answer = webhook.handler(api_event(body, sender.signed_headers(body)), CONTEXT)
    assert answer["statusCode"] in (200, 400), answer
    if answer["statusCode"] == 400:
        assert side_effects(runtime) == before
        assert json.loads(answer["body"])["error"]


SHIPPED = yaml.safe_load((ROOT / "functions/leadflow.yaml").read_text())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(SHIPPED)


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(PATHS), value=json_values)
def test_a_mutated_configuration_loads_or_fails_with_a_config_error(
    path: tuple[Any, ...], value: Any
) -> None:
    data = json.loads(json.dumps(SHIPPED))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    try:
        assert isinstance(parse_config(data), LeadflowConfig)
    except ConfigError as exc:
        assert "is invalid" in str(exc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_any_file_text_loads_or_fails_with_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(path) in str(exc)
