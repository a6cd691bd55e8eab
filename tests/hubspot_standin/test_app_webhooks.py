"""The stand-in's app webhook subscriptions: the property changes HubSpot would send, as it sends them."""

from __future__ import annotations

from leadflow.webhooks.events import WebhookBatch
from leadflow_cli.hubspot_standin import StandInStore
from leadflow_cli.hubspot_standin.app_webhooks import PropertyChange
from leadflow_cli.webhook_sender import HubSpotWebhookSender

LINK = [{"to": {"id": ""}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]


def a_lead(store: StandInStore) -> str:
    contact = store.create_object("contacts", {"firstname": "Ada"})
    return store.create_object("leads", {"hs_lead_name": "Ada"}, [{**LINK[0], "to": {"id": contact}}])


def test_a_subscribed_change_is_caught_once_and_an_unchanged_or_unsubscribed_one_never() -> None:
    store = StandInStore()
    store.webhooks.subscribe("leads", ["hs_pipeline_stage"])
    lead = a_lead(store)
    store.update_object("leads", lead, {"hs_pipeline_stage": "attempting-stage-id", "hs_lead_label": "HOT"})
    store.update_object("leads", lead, {"hs_pipeline_stage": "attempting-stage-id"})
    (change,) = store.webhooks.take()
    assert (change.object_id, change.name, change.value, change.object_type_id) == (
        lead,
        "hs_pipeline_stage",
        "attempting-stage-id",
        "0-136",
    )
    assert store.webhooks.take() == []


def test_leads_changes_are_delivered_as_generic_events_and_contacts_as_legacy_ones() -> None:
    sent: list[str] = []
    sender = HubSpotWebhookSender("http://unused", "secret")
    sender.post = lambda body, headers: sent.append(body)  # type: ignore[method-assign,assignment,return-value]
    changes = [
        PropertyChange("leads", "70001", "hs_pipeline_stage", "qualified-stage-id", 1_795_539_600_000),
        PropertyChange("contacts", "101", "leadflow_decision", "accept", 1_795_539_600_000),
    ] * 60
    sender.deliver(changes)
    batches = [WebhookBatch.validate_json(body) for body in sent]
    assert [len(b) for b in batches] == [100, 20]
    lead, contact = batches[0][:2]
    assert (lead.subscription_type, lead.object_type_id, lead.object_id) == (
        "object.propertyChange",
        "0-136",
        70001,
    )
    assert (contact.subscription_type, contact.object_type_id) == ("contact.propertyChange", None)
    assert len({e.event_id for b in batches for e in b}) == 120
