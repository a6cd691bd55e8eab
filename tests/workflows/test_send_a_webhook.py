"""A HubSpot workflow's "Send a webhook" action through `leadflow local`: every body shape and
authentication HubSpot offers, scored and handed off; refused requests change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from leadflow_cli.hubspot_standin.workflows import ApiKey, SendWebhook
from leadflow_cli.local.runtime import DEFAULT_WORKFLOW_KEY, LocalRuntime
from leadflow_cli.webhook_sender import post
from tests.conftest import COLD_PROPS, MQL_PROPS
from tests.journey.helpers import journey_record, waiting_for

HOT = {**MQL_PROPS, "firstname": "Wes", "email": "wes@prospect.example"}


@pytest.fixture
def runtime(runtime_factory: Callable[..., LocalRuntime]) -> LocalRuntime:
    return runtime_factory(time_scale=None)


def url(runtime: LocalRuntime, query: str = "") -> str:
    return f"{runtime.api_url}/workflows/webhook{query}"


def contact(runtime: LocalRuntime, **props: str) -> str:
    return runtime.standin.store.create_object("contacts", props)  # type: ignore[union-attr]


def props_of(runtime: LocalRuntime, contact_id: str) -> dict[str, str]:
    found: dict[str, str] = runtime.standin.store.get_object("contacts", contact_id)["properties"]  # type: ignore[union-attr]
    return found


AUTHS = {
    "signature": None,
    "api key in a header": ApiKey("X-Leadflow-Key", DEFAULT_WORKFLOW_KEY),
    "api key in the query": ApiKey("X-Leadflow-Key", DEFAULT_WORKFLOW_KEY, "query"),
}


@pytest.mark.parametrize("auth", AUTHS.values(), ids=AUTHS.keys())
def test_the_enrolled_contact_with_all_its_properties_is_scored_and_handed_off(
    runtime: LocalRuntime, auth: ApiKey | None
) -> None:
    hot = contact(runtime, **HOT)
    runtime.standin.store.reset_calls()  # type: ignore[union-attr]
    execution = runtime.workflows().send_webhook(hot, SendWebhook(url(runtime, "?team=inbound"), auth=auth))
    assert (execution.state, execution.attempts) == ("SUCCESS", [200])
    record = waiting_for(runtime, hot, "decision")
    props = props_of(runtime, hot)
    assert (props["lifecyclestage"], props["leadflow_journey_status"]) == (
        "marketingqualifiedlead",
        "awaiting_decision",
    )
    assert record.owner_id == props["hubspot_owner_id"]
    # The body carried every property scoring and routing read: neither the intake nor Route read the contact.
    assert runtime.standin.store.call_count("contacts.batch_read") == 0  # type: ignore[union-attr]


def test_a_customized_body_is_scored_from_its_values_and_hubspot_for_the_rest(runtime: LocalRuntime) -> None:
    hot = contact(runtime, **HOT)
    picked = {"hs_object_id": "hs_object_id", "recent_conversion_event_name": "recent_conversion_event_name"}
    runtime.workflows().send_webhook(hot, SendWebhook(url(runtime), body=picked))
    waiting_for(runtime, hot, "decision")
    assert props_of(runtime, hot)["leadflow_fit_tier"] in ("A", "B")


def test_a_cold_contact_is_scored_and_not_made_an_mql(runtime: LocalRuntime) -> None:
    cold = contact(runtime, **COLD_PROPS)
    runtime.workflows().send_webhook(cold, SendWebhook(url(runtime)))
    runtime.settle()
    props = props_of(runtime, cold)
    assert props["leadflow_score"] and not props.get("leadflow_mql_at")


def test_the_same_request_sent_again_changes_nothing_a_second_time(runtime: LocalRuntime) -> None:
    hot = contact(runtime, **HOT)
    body = json.dumps({"hs_object_id": hot, "recent_conversion_event_name": "Talk to sales"})
    key = {"X-Leadflow-Key": DEFAULT_WORKFLOW_KEY}
    store = runtime.standin.store  # type: ignore[union-attr]
    first = post(url(runtime), body, key)
    runtime.settle()
    calls = store.call_count()
    again = post(url(runtime), body, key)  # HubSpot's retry of a late answer: the same request
    assert (first.body["enqueued"], again.body["enqueued"]) == (1, 1)
    runtime.settle()
    assert len(store.list_objects("tasks")) == 1
    assert store.call_count() == calls  # dropped as done: HubSpot is not asked again


def test_a_bad_signature_or_key_is_a_401_with_no_side_effect(runtime: LocalRuntime) -> None:
    hot = contact(runtime, **HOT)
    body = json.dumps({"hs_object_id": hot})
    forged = post(url(runtime), body, {"X-HubSpot-Signature": "0" * 64, "X-HubSpot-Signature-Version": "v2"})
    wrong_key = post(url(runtime), body, {"X-Leadflow-Key": "guess"})
    nothing = post(url(runtime), body, {})
    assert [r.status for r in (forged, wrong_key, nothing)] == [401, 401, 401]
    assert "v2 signature does not match" in forged.body["error"]
    assert wrong_key.body["error"] == "the X-Leadflow-Key API key does not match"
    assert nothing.body["error"] == "no HubSpot signature, and no X-Leadflow-Key header or query parameter"
    runtime.settle()
    assert runtime.queue_depth() == 0 and not props_of(runtime, hot).get("leadflow_score")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            {"email": "wes@prospect.example"},
            "body names no record: a customized body must carry the record id as hs_object_id",
        ),
        ({"objectId": "x", "properties": {}}, "objectId must be a numeric record id"),
        (
            {"objectId": 9001, "objectType": "DEAL", "properties": {}},
            "leadflow works on contacts and leads; this workflow sent a DEAL record",
        ),
        ([1, 2], "body must be a JSON object"),
    ],
)
def test_a_body_that_can_never_be_read_is_a_400_naming_what_is_wrong(
    runtime: LocalRuntime, body: object, problem: str
) -> None:
    answer = post(url(runtime), json.dumps(body), {"X-Leadflow-Key": DEFAULT_WORKFLOW_KEY})
    assert answer.status == 400 and problem in answer.body["error"]


def test_a_contact_workflow_posting_the_object_shape_is_read_as_the_contact(runtime: LocalRuntime) -> None:
    hot = contact(runtime, **HOT)
    body = {
        "objectId": int(hot),
        "objectType": "CONTACT",
        "properties": {k: {"value": v} for k, v in HOT.items()},
    }
    answer = post(url(runtime), json.dumps(body), {"X-Leadflow-Key": DEFAULT_WORKFLOW_KEY})
    assert (answer.status, answer.body["record"], answer.body["complete"]) == (200, hot, True)
    waiting_for(runtime, hot, "decision")


def test_a_decision_in_the_body_acts_like_the_property_change(runtime: LocalRuntime) -> None:
    hot = contact(runtime, **HOT)
    workflows = runtime.workflows()
    workflows.send_webhook(hot, SendWebhook(url(runtime)))
    waiting_for(runtime, hot, "decision")
    runtime.standin.store.update_object(  # type: ignore[union-attr]
        "contacts", hot, {"leadflow_decision": "reject", "leadflow_decision_reason": "not_icp"}
    )
    workflows.send_webhook(hot, SendWebhook(url(runtime)))
    runtime.settle()
    assert journey_record(hot).status == "rejected"


def test_while_leadflow_cannot_queue_hubspot_is_told_to_retry_and_the_retry_lands(
    runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadflow.adapters.queue import SqsEventQueue
    from leadflow.app.ports import EnqueueError

    hot = contact(runtime, **HOT)
    real, failures = SqsEventQueue.send, iter([True, True])

    def flaky(self: SqsEventQueue, *args: object, **kwargs: object) -> int:
        if next(failures, False):
            raise EnqueueError("1 messages were not enqueued (ServiceUnavailable)")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SqsEventQueue, "send", flaky)
    execution = runtime.workflows().send_webhook(hot, SendWebhook(url(runtime)))
    # HubSpot retried the 503s one and two minutes later, on the runtime's clock.
    assert (execution.state, execution.attempts) == ("SUCCESS", [503, 503, 200])
    waiting_for(runtime, hot, "decision")
