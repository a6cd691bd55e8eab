"""Shared fixtures: the local runtime (moto + stand-in) and helpers to drive it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from hubspot import HubSpot

from leadflow_cli.hubspot_standin import HubSpotStandIn, StandInStore
from leadflow_cli.local.runtime import DEFAULT_CLIENT_SECRET, REGION, LocalOptions, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender

ROOT = Path(__file__).resolve().parent.parent
TEAM = ["ada@example.com", "grace@example.com", "linus@example.com", "queue@example.com"]

# Contact properties that make an MQL under the shipped configuration (80 points).
MQL_PROPS = {
    "industry": "COMPUTER_SOFTWARE",
    "numemployees": "500-1000",
    "recent_conversion_event_name": "Talk to sales",
}
COLD_PROPS = {"industry": "RETAIL", "numemployees": "1-5"}


def make_runtime(**options: Any) -> LocalRuntime:
    """A runtime on a free port with the repository's template."""
    options.setdefault("port", 0)
    options.setdefault("template", ROOT / "template.yaml")
    return LocalRuntime(LocalOptions(**options))


def seed_team(store: StandInStore) -> dict[str, str]:
    """Create the configured team as HubSpot owners; returns owner id by email."""
    return {email: store.add_owner(email, email.split("@")[0].title(), "Rep") for email in TEAM}


@pytest.fixture
def runtime_factory() -> Iterator[Callable[..., LocalRuntime]]:
    """Start runtimes with custom options; each is stopped after the test."""
    started: list[LocalRuntime] = []

    def start(**options: Any) -> LocalRuntime:
        runtime = make_runtime(**options).start()
        started.append(runtime)
        assert runtime.standin is not None
        seed_team(runtime.standin.store)
        return runtime

    yield start
    for runtime in reversed(started):
        runtime.stop()


@pytest.fixture
def sender_for() -> Callable[[LocalRuntime], HubSpotWebhookSender]:
    """A HubSpot-like webhook sender aimed at a runtime's API."""
    return lambda runtime: HubSpotWebhookSender(runtime.api_url + "/webhooks/hubspot", DEFAULT_CLIENT_SECRET)


def queued_bodies(runtime: LocalRuntime) -> list[dict[str, Any]]:
    """Every event waiting in the lead-events queue (left in place)."""
    sqs = boto3.client("sqs", region_name=REGION)
    bodies: list[dict[str, Any]] = []
    url = runtime.queue_urls["LeadEventsQueue"]
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
            "Messages", []
        )
        if not got:
            return bodies
        bodies += [event for m in got for event in json.loads(m["Body"])["events"]]


STANDIN_TOKEN = "test-token"


@pytest.fixture
def standin() -> Iterator[HubSpotStandIn]:
    """A HubSpot stand-in that requires STANDIN_TOKEN."""
    with HubSpotStandIn(access_token=STANDIN_TOKEN) as server:
        yield server


def hubspot_client(standin: HubSpotStandIn, token: str = STANDIN_TOKEN) -> HubSpot:
    """The real hubspot-api-client aimed at the stand-in, without client-side retries."""
    return HubSpot(access_token=token, host=standin.base_url, retry=urllib3.util.Retry(total=False))
