"""POST /signals: signed outside evidence is queued, stored and changes the contact's score."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import boto3

from leadflow import wiring
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import DEFAULT_SIGNALS_SECRET, REGION, LocalRuntime
from leadflow_cli.webhook_sender import SignalsSender

FIT = {
    "industry": "COMPUTER_SOFTWARE",
    "numemployees": "500-1000",
    "jobtitle": "Head of RevOps",
    "email": "k@acme.example",
}


def reply(contact_id: str, **attributes: str) -> dict[str, object]:
    return {
        "contact_id": contact_id,
        "signal": {
            "type": "conversation_reply",
            "occurred_at": datetime.now(UTC).isoformat(),
            "attributes": attributes,
            "source": "linkedin-inbox",
            "evidence": "Replied: our SDR team misses MQLs; replacing Chili Piper next quarter",
        },
    }


def queue_size(runtime: LocalRuntime) -> int:
    return runtime.queue_depth()


def test_a_signed_reply_is_stored_and_makes_a_fitting_contact_an_mql(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory()
    store = runtime.standin.store  # type: ignore[union-attr]
    contact = store.create_object("contacts", dict(FIT))
    sender = SignalsSender(runtime.api_url + "/signals", DEFAULT_SIGNALS_SECRET)
    answer = sender.send(
        [reply(contact, problem="missed MQLs", replacing="Chili Piper", timing="next quarter")]
    )
    assert (answer.status, answer.body) == (202, {"accepted": 1})
    props = wait_for(
        lambda: (p := store.get_object("contacts", contact)["properties"]).get("leadflow_mql_at") and p,
        what="the contact to become an MQL",
    )
    assert props["lifecyclestage"] == "marketingqualifiedlead"
    assert "replied naming a problem" in props["leadflow_intent_evidence"]
    (stored,) = wiring.store().load_signals([contact])[contact]
    assert (stored.source, stored.attributes["replacing"]) == ("linkedin-inbox", "Chili Piper")


def test_unsigned_or_stale_signals_are_401_and_queue_nothing(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False)
    sender = SignalsSender(runtime.api_url + "/signals", DEFAULT_SIGNALS_SECRET)
    body = json.dumps({"signals": [reply("101", problem="x")]})
    wrong = SignalsSender(runtime.api_url + "/signals", "not-the-secret")
    assert sender.post_raw(body, wrong.signed_headers(body)).status == 401
    stale = sender.signed_headers(body, int(time.time() * 1000) - 10 * 60 * 1000)
    assert sender.post_raw(body, stale).status == 401
    assert sender.post_raw(body, {"Content-Type": "application/json"}).status == 401
    assert queue_size(runtime) == 0


def test_a_malformed_signal_is_400_naming_the_field(runtime_factory: Callable[..., LocalRuntime]) -> None:
    runtime = runtime_factory(consume_queues=False)
    sender = SignalsSender(runtime.api_url + "/signals", DEFAULT_SIGNALS_SECRET)
    bad = reply("abc")
    answer = sender.send([bad])
    assert answer.status == 400 and "signals.0.contact_id" in answer.body["error"]
    assert queue_size(runtime) == 0
    sqs = boto3.client("sqs", region_name=REGION)
    assert not sqs.receive_message(QueueUrl=runtime.queue_urls["LeadEventsQueue"]).get("Messages")


def test_an_account_level_surge_reaches_every_contact_of_the_company(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory()
    store = runtime.standin.store  # type: ignore[union-attr]
    company = store.create_object("companies", {"name": "Acme"})
    staff = [store.create_object("contacts", {**FIT, "associatedcompanyid": company}) for _ in range(2)]
    outsider = store.create_object("contacts", dict(FIT))
    surge = {
        "type": "intent_surge",
        "occurred_at": datetime.now(UTC).isoformat(),
        "attributes": {"strength": "85"},
        "source": "intent-provider",
    }
    sender = SignalsSender(runtime.api_url + "/signals", DEFAULT_SIGNALS_SECRET)
    assert sender.send([{"company_id": company, "signal": surge}]).status == 202
    for contact in staff:
        wait_for(
            lambda c=contact: (
                store.get_object("contacts", c)["properties"].get("leadflow_intent_score") == "15"
            ),
            what="the surge to score",
        )
    runtime.wait_until_drained()
    assert not store.get_object("contacts", outsider)["properties"].get("leadflow_intent_score")
    both = sender.send([{"contact_id": outsider, "company_id": company, "signal": surge}])
    assert both.status == 400 and "exactly one of contact_id, company_id" in both.body["error"]
