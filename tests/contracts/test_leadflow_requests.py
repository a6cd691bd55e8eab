"""What leadflow sends HubSpot, checked against HubSpot's request schemas.

Representative flows run leadflow's real code (the lead intake and the journey's steps on HubSpotGateway,
`leadflow hubspot bootstrap`, the CLI's reads with hubspot-api-client, `leadflow hubspot actions`) against
a stand-in that records every request; each recorded request must name an operation of HubSpot's vendored
specs and be one that operation's schemas take (parameters and JSON body, with the places HubSpot behaves
otherwise listed in openapi.OBSERVED). A write HubSpot would refuse is found here, not in a portal. The
flows must reach every operation leadflow is known to call, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import urllib3
from hubspot import HubSpot

from leadflow.adapters.hubspot import HubSpotGateway
from leadflow.adapters.hubspot_api import HubSpotApi
from leadflow.app.intake import LeadIntake
from leadflow.app.journey import JourneySteps
from leadflow.app.workflow_callbacks import complete_callbacks
from leadflow.core.config import LeadflowConfig
from leadflow.core.decisions import Decision
from leadflow.core.journey_state import DecisionInput, EngagementInput, JourneyState
from leadflow.core.signals import ContactSignal
from leadflow.core.workflow_outcome import CallbackCompletion
from leadflow.webhooks.events import WebhookEvent
from leadflow_cli.hubspot_bootstrap import bootstrap
from leadflow_cli.hubspot_standin import HubSpotStandIn, StandInStore
from leadflow_cli.hubspot_standin.openapi import specs
from leadflow_cli.hubspot_standin.server import SentRequest
from leadflow_cli.portal_properties import PropertyCatalog
from leadflow_cli.replay_cmd import hubspot_owners
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from leadflow_cli.workflow_actions import publish
from tests.conftest import MQL_PROPS, STANDIN_TOKEN, TEAM
from tests.fast.conftest import configuration, mql_state
from tests.fast.fakes import FakeEngine, FakeNotifier, FakeQueue, FakeStore, ManualClock

DEVELOPER_KEY = "developer-key"
APP = 777
SENDER = HubSpotWebhookSender("http://unused", "unused")

# Every operation leadflow calls (vendored file, `METHOD path`): the deployed functions and
# `leadflow hubspot bootstrap` on 2026-09; `--hubspot` reads of backtest and replay and
# `leadflow hubspot actions` through hubspot-api-client's legacy APIs.
LEADFLOW_CALLS = {
    ("crm-objects-2026-09.json", "POST /crm/objects/2026-09/{objectType}/batch/read"),
    ("crm-objects-2026-09.json", "POST /crm/objects/2026-09/{objectType}/batch/update"),
    ("crm-objects-2026-09.json", "POST /crm/objects/2026-09/{objectType}/search"),
    ("crm-objects-2026-09.json", "POST /crm/objects/2026-09/{objectType}"),
    ("crm-objects-2026-09.json", "PATCH /crm/objects/2026-09/{objectType}/{objectId}"),
    (
        "crm-associations-2026-09.json",
        "POST /crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/read",
    ),
    ("crm-owners-2026-09.json", "GET /crm/owners/2026-09"),
    ("crm-pipelines-2026-09.json", "GET /crm/pipelines/2026-09/{objectType}"),
    ("crm-properties-2026-09.json", "GET /crm/properties/2026-09/{objectType}/groups/{groupName}"),
    ("crm-properties-2026-09.json", "POST /crm/properties/2026-09/{objectType}/groups"),
    ("crm-properties-2026-09.json", "GET /crm/properties/2026-09/{objectType}/{propertyName}"),
    ("crm-properties-2026-09.json", "POST /crm/properties/2026-09/{objectType}"),
    ("crm-properties-2026-09.json", "PATCH /crm/properties/2026-09/{objectType}/{propertyName}"),
    ("automation-actions-2026-09.json", "POST /automation/actions/callbacks/2026-09/{callbackId}/complete"),
    ("crm-properties-v3.json", "GET /crm/v3/properties/{objectType}"),
    ("crm-owners-v3.json", "GET /crm/v3/owners"),
    ("automation-actions-v4.json", "GET /automation/v4/actions/{appId}"),
    ("automation-actions-v4.json", "POST /automation/v4/actions/{appId}"),
    ("automation-actions-v4.json", "PATCH /automation/v4/actions/{appId}/{definitionId}"),
}


@dataclass
class Flows:
    """leadflow's use cases on HubSpotGateway against the recording stand-in, the rest on the fakes."""

    config: LeadflowConfig
    crm: StandInStore
    gateway: HubSpotGateway
    clock: ManualClock
    steps: JourneySteps
    intake: LeadIntake
    engine: FakeEngine

    def mql(self, **props: str) -> JourneyState:
        """An MQL contact and its journey's first state."""
        contact = self.crm.create_object(
            "contacts", {**MQL_PROPS, "lifecyclestage": "marketingqualifiedlead", **props}
        )
        return mql_state(contact, self.clock(), reason="submitted the <Talk to sales> form")

    def decided(self, state: JourneyState, decision: Decision, reason: str = "") -> JourneyState:
        self.clock.advance(minutes=30)
        state.decision = DecisionInput(decision=decision, reason=reason, decided_at=self.clock())
        return state


def flows(standin: HubSpotStandIn, config: LeadflowConfig) -> Flows:
    crm = standin.store = StandInStore(clock=ManualClock())
    for email in TEAM:
        crm.add_owner(email, email.split("@")[0].title(), "Rep")
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url)
    store, engine, notifier, queue, clock = (
        FakeStore(),
        FakeEngine(),
        FakeNotifier(),
        FakeQueue(),
        ManualClock(),
    )
    steps = JourneySteps(
        config, gateway, store, store, lambda: engine, lambda: notifier, lambda: queue, clock
    )
    intake = LeadIntake(config, gateway, engine, store, store, store, clock)
    return Flows(config, crm, gateway, clock, steps, intake, engine)


def on_leads(data: dict[str, Any]) -> None:
    for team in data["routing"]["teams"].values():
        team["handoff"] = "lead"


def contact_journeys(world: Flows) -> None:
    """An MQL of a company with an open deal, routed, handed off, escalated and reassigned, accepted and
    qualified (its deal found again by a retried step); another recycled."""
    company = world.crm.create_object("companies", {"name": "Initech"})
    deal = world.crm.create_object("deals", {"dealname": "Initech renewal", "pipeline": "default"})
    world.crm.associate("deals", deal, "companies", company)
    state = world.steps.handoff(world.steps.route(world.mql(associatedcompanyid=company, firstname="Maya")))
    state = world.steps.escalate(state, "remind")
    state = world.steps.escalate(state, "reassign")
    state = world.steps.mark_sal(world.decided(state, Decision.ACCEPT))
    state.engagement = EngagementInput(kind="meeting_booked", at=world.clock())
    world.steps.mark_sql(state, attempt=1)
    other = world.steps.handoff(world.steps.route(world.mql(firstname="Tom")))
    world.steps.close(world.decided(other, Decision.RECYCLE, "bad_timing"))


def lead_journeys(world: Flows) -> None:
    """A team on HubSpot Leads: the lead opened with the task, qualified into a deal; another disqualified."""
    state = world.steps.handoff(world.steps.route(world.mql(firstname="Zoe")))
    state = world.steps.mark_sal(world.decided(state, Decision.ACCEPT))
    state.engagement = EngagementInput(kind="lead_qualified", at=world.clock())
    world.steps.mark_sql(state)
    other = world.steps.handoff(world.steps.route(world.mql(firstname="Ines")))
    world.steps.close(world.decided(other, Decision.REJECT, "not_icp"))


def intake(world: Flows) -> None:
    """A contact created as an MQL, and an account-level signal reaching a company's contacts."""
    company = world.crm.create_object("companies", {"name": "Acme"})
    contact = world.crm.create_object("contacts", {**MQL_PROPS, "associatedcompanyid": company})
    at = int(world.clock().timestamp() * 1000)
    created = WebhookEvent.model_validate(SENDER.event("contact.creation", contact, occurred_at_ms=at))
    surge = ContactSignal.model_validate(
        {
            "company_id": company,
            "signal": {
                "type": "intent_surge",
                "occurred_at": (world.clock() - timedelta(hours=1)).isoformat(),
                "attributes": {"strength": "85", "topic": "lead routing"},
                "source": "intent-provider",
            },
        }
    )
    world.intake.process([("m1", created)], [("s1", surge)])
    assert world.engine.started, "the MQL's journey started"


def long_listings(world: Flows) -> None:
    """Listings of more than a page, followed to their end: the owners (500 a page), a company's contacts
    found by search (100 a page) and a company's deals through its associations (500 a page, then batch
    reads of 100)."""
    for n in range(501):
        world.crm.add_owner(f"rep{n}@example.com", "Rep", str(n))
    company = world.crm.create_object("companies", {"name": "Globex"})
    for n in range(101):
        world.crm.create_object("contacts", {"email": f"c{n}@globex.example", "associatedcompanyid": company})
    owner = world.gateway.list_owners(fresh=True)[-1].id
    for n in range(501):
        deal = world.crm.create_object("deals", {"dealname": f"Globex {n}", "hubspot_owner_id": owner})
        world.crm.associate("deals", deal, "companies", company)
    assert len(world.gateway.list_owners(fresh=True)) == 501 + len(TEAM)
    assert len(world.gateway.contacts_where("associatedcompanyid", company)) == 101
    assert world.gateway.open_deal_owner(company) == owner


def completions(world: Flows, standin: HubSpotStandIn) -> None:
    """A workflow action's callback completed, as the callbacks consumer does."""
    standin.automation.block("4242", None)
    done = CallbackCompletion(callback_id="4242", output_fields={"hs_execution_state": "SUCCESS"})
    assert complete_callbacks(world.gateway, [("m1", done)]) == []
    assert standin.automation.blocked("4242").state == "COMPLETED"


@pytest.fixture(scope="module")
def recorded() -> Iterator[list[SentRequest]]:
    """Every request the flows made, recorded by the stand-in."""
    with HubSpotStandIn(access_token=STANDIN_TOKEN, developer_key=DEVELOPER_KEY) as standin:
        sent = standin.record_requests()
        contacts = flows(standin, configuration())
        contact_journeys(contacts)
        intake(contacts)
        lead_journeys(flows(standin, configuration(on_leads)))
        completions(contacts, standin)
        long_listings(flows(standin, configuration()))
        client = HubSpot(
            access_token=STANDIN_TOKEN, host=standin.base_url, retry=urllib3.util.Retry(total=False)
        )
        assert "rep500@example.com" in hubspot_owners(client), "the second page of owners was read"
        leads_config = configuration(on_leads)
        standin.store = StandInStore(leadflow_properties=False)
        bootstrap(
            HubSpotApi(STANDIN_TOKEN, standin.base_url),
            leads=leads_config.journey.leads,
            progress=lambda _: None,
        )
        standin.store.update_property("contacts", "leadflow_fit_tier", {"label": "Tier"})
        bootstrap(
            HubSpotApi(STANDIN_TOKEN, standin.base_url),
            leads=leads_config.journey.leads,
            progress=lambda _: None,
        )
        PropertyCatalog.from_hubspot(client)
        developer = HubSpot(api_key=DEVELOPER_KEY, host=standin.base_url)
        publish(developer, APP, leads_config, "https://leadflow.example/workflows/actions")
        publish(developer, APP, leads_config, "https://leadflow.example/workflows/actions")
        yield list(sent)


def test_every_request_leadflow_sends_is_one_hubspots_spec_takes(recorded: list[SentRequest]) -> None:
    problems = []
    for sent in recorded:
        operation = specs().operation(sent.method, sent.path)
        if operation is None:
            problems.append(f"{sent.method} {sent.path}: no vendored spec has this operation")
            continue
        found = specs().request_problems(operation, sent.path, sent.query, sent.body, sent.body is not None)
        problems += [f"{sent.method} {sent.path}: {p}" for p in found]
    assert problems == []


def test_leadflows_requests_are_taken(recorded: list[SentRequest]) -> None:
    """Nothing leadflow sent was refused, but the reads that find nothing (bootstrap on a bare portal)."""
    refused = [
        f"{s.method} {s.path} -> {s.status}"
        for s in recorded
        if s.status >= 400 and not (s.status == 404 and s.method == "GET")
    ]
    assert refused == []


def test_the_flows_reach_every_operation_leadflow_calls_and_no_other(recorded: list[SentRequest]) -> None:
    reached = set()
    for sent in recorded:
        operation = specs().operation(sent.method, sent.path)
        if operation is not None:
            reached.add((operation.file, operation.name))
    assert sorted(reached - LEADFLOW_CALLS) == []
    assert sorted(LEADFLOW_CALLS - reached) == []
