"""The real lead journey ASL, executed by the embedded Step Functions engine, branch by branch."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from leadflow_cli.local.receiver import NotificationReceiver
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import MQL_PROPS
from tests.handlers.test_lead_events import sqs_event
from tests.journey.helpers import (
    config_file,
    decide,
    engage,
    finished,
    journey_record,
    start,
    states,
    still_running,
    waiting_for,
)


@pytest.fixture
def runtime(runtime_factory: Callable[..., LocalRuntime]) -> LocalRuntime:
    return runtime_factory(consume_queues=False, time_scale=None)


def props_of(runtime: LocalRuntime, contact: str) -> dict[str, str]:
    properties: dict[str, str] = runtime.standin.store.get_object("contacts", contact)["properties"]  # type: ignore[union-attr]
    return properties


def test_accept_then_a_logged_call_makes_an_sql_with_a_deal(runtime: LocalRuntime) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    company = store.create_object("companies", {"name": "Initech"})
    contact, arn = start(runtime, {**MQL_PROPS, "associatedcompanyid": company, "firstname": "Maya"})
    waiting_for(runtime, contact, "decision")
    props = props_of(runtime, contact)
    assert (props["leadflow_journey_status"], props["leadflow_team"], props["leadflow_routed_by"]) == (
        "awaiting_decision",
        "sales",
        "default",
    )
    (task,) = store.list_objects("tasks")
    assert task["properties"]["hubspot_owner_id"] == props["hubspot_owner_id"]
    assert store.associations("tasks", task["id"], "contacts") == [(contact, 204)]
    sla_due = datetime.fromisoformat(props["leadflow_sla_due_at"])
    assert abs(datetime.fromisoformat(task["properties"]["hs_timestamp"]) - sla_due) < timedelta(seconds=1)
    (note,) = store.list_objects("notes")
    assert "no routing rule matched: default team sales" in note["properties"]["hs_note_body"]

    decide(runtime, contact, "accept")
    waiting_for(runtime, contact, "engagement")
    assert props_of(runtime, contact)["leadflow_journey_status"] == "sal"
    engage(runtime, contact, "leadflow_connected_call_at")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn) == [
        "Route",
        "HandOff",
        "DirectToSql",
        "AwaitDecision",
        "Decide",
        "MarkSal",
        "AwaitEngagement",
        "MarkSql",
        "SalesQualified",
    ]
    props = props_of(runtime, contact)
    assert (props["lifecyclestage"], props["leadflow_journey_status"]) == ("salesqualifiedlead", "sql")
    (deal,) = store.list_objects("deals")
    assert (deal["properties"]["pipeline"], deal["properties"]["dealstage"]) == (
        "default",
        "appointmentscheduled",
    )
    assert deal["properties"]["hubspot_owner_id"] == props["hubspot_owner_id"]
    assert "acceptance plus a two-way engagement (call logged)" in deal["properties"]["description"]
    assert "Routing: no routing rule matched: default team sales" in deal["properties"]["description"]
    assert store.associations("deals", deal["id"], "contacts") == [(contact, 3)]
    assert store.associations("deals", deal["id"], "companies") == [(company, 341)]
    record = journey_record(contact)
    assert (record.status, record.sql_path, record.deal_id) == (
        "sql",
        "engagement_required",
        deal["id"],
    )
    assert {"routed", "awaiting_decision", "sal", "sql"} <= set(record.reached)
    assert store.get_object("tasks", task["id"])["properties"]["hs_task_status"] == "COMPLETED"


def test_an_engagement_logged_before_acceptance_qualifies_as_soon_as_the_rep_accepts(
    runtime: LocalRuntime,
) -> None:
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    engage(runtime, contact, "hs_sales_email_last_replied")
    assert still_running(runtime, arn)
    decide(runtime, contact, "accept")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert journey_record(contact).engagement == "email_reply"


def test_fast_track_inbound_in_a_fast_track_team_is_an_sql_before_any_contact(runtime: LocalRuntime) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    contact, arn = start(runtime, {**MQL_PROPS, "numemployees": "1000+"}, fast_track=True)
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn) == ["Route", "HandOff", "DirectToSql", "MarkSql", "SalesQualified"]
    (deal,) = store.list_objects("deals")
    assert deal["properties"]["dealstage"] == "qualifiedtobuy"  # the enterprise team's own stage
    assert "fast track" in deal["properties"]["description"]
    (task,) = store.list_objects("tasks")
    assert task["properties"]["hs_task_subject"].startswith("Fast-track SQL")
    assert journey_record(contact).sql_path == "fast_track"


def test_a_fast_track_team_qualifies_its_other_leads_by_engagement(runtime: LocalRuntime) -> None:
    contact, arn = start(runtime, {**MQL_PROPS, "numemployees": "1000+"})
    waiting_for(runtime, contact, "decision")
    assert props_of(runtime, contact)["leadflow_routed_by"] == "enterprise"
    decide(runtime, contact, "accept")
    engage(runtime, contact, "engagements_last_meeting_booked")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert "AwaitDecision" in states(arn)
    assert journey_record(contact).sql_path == "engagement_required"


def test_under_the_meeting_booked_policy_only_a_booked_meeting_makes_the_sql(runtime: LocalRuntime) -> None:
    contact, arn = start(runtime, {**MQL_PROPS, "numemployees": "50-100"})
    waiting_for(runtime, contact, "decision")
    assert props_of(runtime, contact)["leadflow_team"] == "sdr"
    decide(runtime, contact, "accept")
    waiting_for(runtime, contact, "engagement")
    engage(runtime, contact, "leadflow_connected_call_at")  # a call is not a meeting
    assert still_running(runtime, arn)
    engage(runtime, contact, "engagements_last_meeting_booked")
    assert finished(arn)["status"] == "SUCCEEDED"
    record = journey_record(contact)
    assert (record.sql_path, record.engagement) == ("meeting_booked", "meeting_booked")


def test_no_qualifying_engagement_within_the_window_recycles_with_no_response(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Any
) -> None:
    short = config_file(tmp_path, lambda c: c["routing"]["teams"]["sales"].update(qualification_days=0.01))
    runtime = runtime_factory(consume_queues=False, time_scale=None, config_file=short)
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    decide(runtime, contact, "accept")
    waiting_for(runtime, contact, "engagement")
    runtime.advance(days=0.01)
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn)[-5:] == ["MarkSal", "AwaitEngagement", "NoResponse", "CloseJourney", "Closed"]
    props = props_of(runtime, contact)
    assert (props["leadflow_journey_status"], props["leadflow_decision_reason"]) == (
        "recycled",
        "no_response",
    )
    assert (props["lifecyclestage"], props["hs_lead_status"]) == ("lead", "ATTEMPTED_TO_CONTACT")
    assert journey_record(contact).reason == "no_response"


def test_reject_needs_a_reason_and_the_journey_waits_until_it_has_one(runtime: LocalRuntime) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    decide(runtime, contact, "reject")
    notes = [n["properties"]["hs_note_body"] for n in store.list_objects("notes")]
    assert any("decision not accepted yet: a reject needs a reason" in n for n in notes)
    assert still_running(runtime, arn)
    decide(runtime, contact, "reject", "not_icp", field="leadflow_decision_reason")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn)[-2:] == ["CloseJourney", "Closed"]
    props = props_of(runtime, contact)
    assert (props["leadflow_journey_status"], props["hs_lead_status"]) == ("rejected", "UNQUALIFIED")
    assert props["leadflow_rejected_fingerprint"]
    record = journey_record(contact)
    assert (record.status, record.reason) == ("rejected", "not_icp")


def test_recycle_moves_the_lead_back_to_nurture_with_a_cooldown_and_keeps_the_owner(
    runtime: LocalRuntime,
) -> None:
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    owner = props_of(runtime, contact)["hubspot_owner_id"]
    decide(runtime, contact, "recycle", "bad_timing")
    assert finished(arn)["status"] == "SUCCEEDED"
    props = props_of(runtime, contact)
    assert (props["lifecyclestage"], props["leadflow_journey_status"]) == ("lead", "recycled")
    assert (props["hs_lead_status"], props["hubspot_owner_id"]) == ("BAD_TIMING", owner)
    assert not props.get("leadflow_mql_at") and props["leadflow_recycle_until"]


def test_recycle_clears_the_owner_when_configured(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Any
) -> None:
    clear = config_file(tmp_path, lambda c: c["journey"]["recycle"].update(owner="clear"))
    runtime = runtime_factory(consume_queues=False, time_scale=None, config_file=clear)
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    decide(runtime, contact, "recycle", "not_ready")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert props_of(runtime, contact)["hubspot_owner_id"] == ""


def test_an_accepted_lead_moves_to_the_portals_custom_sal_stage_then_on_to_sql(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Any
) -> None:
    sal = config_file(tmp_path, lambda c: c["journey"].update(sal_stage="salesacceptedlead"))
    runtime = runtime_factory(consume_queues=False, time_scale=None, config_file=sal)
    runtime.standin.store.add_lifecycle_stage(  # type: ignore[union-attr]
        "salesacceptedlead", "Sales accepted lead", after="marketingqualifiedlead"
    )
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    decide(runtime, contact, "accept")
    waiting_for(runtime, contact, "engagement")
    assert props_of(runtime, contact)["lifecyclestage"] == "salesacceptedlead"
    engage(runtime, contact, "hs_sales_email_last_replied")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert props_of(runtime, contact)["lifecyclestage"] == "salesqualifiedlead"


def test_the_escalation_ladder_reminds_alerts_reassigns_then_the_fallback_owner_decides(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    with NotificationReceiver() as receiver:
        runtime = runtime_factory(
            consume_queues=False, time_scale=None, extra_env={"LEADFLOW_NOTIFY_URL": receiver.url}
        )
        sqs, sns = boto3.client("sqs", region_name=REGION), boto3.client("sns", region_name=REGION)
        inbox = sqs.create_queue(QueueName="notify-inbox")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=runtime.topic_arns["NotificationTopic"], Protocol="sqs", Endpoint=inbox_arn)
        store = runtime.standin.store  # type: ignore[union-attr]
        contact, arn = start(runtime)
        waiting_for(runtime, contact, "decision")
        first_owner = props_of(runtime, contact)["hubspot_owner_id"]
        # The shipped ladder: 4 h to decide, then remind (2 h), alert the manager (2 h), reassign (4 h).
        for hours in (4, 2, 2, 4):
            runtime.advance(hours=hours)
        waiting_for(runtime, contact, "decision")
        assert states(arn) == [
            "Route",
            "HandOff",
            "DirectToSql",
            "AwaitDecision",
            "Escalate",
            "Remind",
            "AwaitDecision",
            "Escalate",
            "AlertManager",
            "AwaitDecision",
            "Escalate",
            "Reassign",
            "AwaitDecision",
            "Escalate",
            "AssignFallback",
            "AwaitDecision",
        ]
        texts = [m["text"] for m in receiver.received]
        assert len(texts) == 4
        assert texts[0].startswith("Reminder for") and "For maria@example.com" in texts[1]
        assert "reassigned by weighted round robin" in texts[2] and "fallback queue" in texts[3]
        emails = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
        assert len(emails) == 4
        assert {json.loads(m["Body"])["Subject"] for m in emails} >= {f"SLA missed on MQL {contact}"}
    notes = [n["properties"]["hs_note_body"] for n in store.list_objects("notes")]
    assert len(notes) == 5  # the routing, then one per step
    assert "reminded" in notes[1] and "alerted maria@example.com" in notes[2] and "fallback queue" in notes[4]
    tasks = sorted(store.list_objects("tasks"), key=lambda t: int(t["id"]))
    assert [t["properties"]["hs_task_status"] for t in tasks] == ["COMPLETED", "COMPLETED", "NOT_STARTED"]
    assert tasks[1]["properties"]["hubspot_owner_id"] != first_owner  # reassigned to someone else
    queue_owner = {o["email"]: o["id"] for o in store.owners()}["queue@example.com"]
    assert (
        props_of(runtime, contact)["hubspot_owner_id"]
        == tasks[2]["properties"]["hubspot_owner_id"]
        == queue_owner
    )
    record = journey_record(contact)
    assert (record.status, record.escalations, record.step) == ("fallback", 4, "fallback")
    assert props_of(runtime, contact)["leadflow_journey_status"] == "fallback"
    # The fallback owner works the lead like any rep: their decision ends the journey.
    decide(runtime, contact, "reject", "duplicate")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn)[-3:] == ["Decide", "CloseJourney", "Closed"]
    assert (journey_record(contact).status, props_of(runtime, contact)["hs_lead_status"]) == (
        "rejected",
        "UNQUALIFIED",
    )


def test_when_the_fallback_owner_does_not_decide_either_the_lead_is_recycled_for_no_response(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Any
) -> None:
    def quick_queue(config: dict[str, Any]) -> None:
        config["sla"].update(escalation=[], fallback_days=1)

    runtime = runtime_factory(
        consume_queues=False, time_scale=None, config_file=config_file(tmp_path, quick_queue)
    )
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    runtime.advance(hours=4)
    assert journey_record(contact).status == "fallback"
    runtime.advance(days=1)
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn)[3:] == [
        "AwaitDecision",
        "Escalate",
        "AssignFallback",
        "AwaitDecision",
        "Escalate",
        "NoResponse",
        "CloseJourney",
        "Closed",
    ]
    record = journey_record(contact)
    assert (record.status, record.reason, record.decided_by) == (
        "recycled",
        "no_response",
        "deadline",
    )
    props = props_of(runtime, contact)
    assert (props["lifecyclestage"], props["hs_lead_status"]) == ("lead", "ATTEMPTED_TO_CONTACT")


def test_a_failing_notification_endpoint_never_blocks_the_journey(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    with NotificationReceiver(fail_with=500) as receiver:
        runtime = runtime_factory(
            consume_queues=False, time_scale=None, extra_env={"LEADFLOW_NOTIFY_URL": receiver.url}
        )
        contact, arn = start(runtime)
        # Every notification of the ladder fails, and the lead still reaches the fallback owner.
        for hours in (4, 2, 2, 4):
            runtime.advance(hours=hours)
        assert states(arn)[-2:] == ["AssignFallback", "AwaitDecision"]
        assert journey_record(contact).status == "fallback"
        assert len(receiver.received) == 4


def test_an_escalated_lead_can_still_be_accepted_by_its_new_owner(runtime: LocalRuntime) -> None:
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    runtime.advance(hours=4)
    assert states(arn).count("AwaitDecision") == 2
    waiting_for(runtime, contact, "decision")
    decide(runtime, contact, "accept")
    waiting_for(runtime, contact, "engagement")
    assert states(arn)[3:6] == ["AwaitDecision", "Escalate", "Remind"]
    assert states(arn)[-2:] == ["MarkSal", "AwaitEngagement"]
    assert journey_record(contact).escalations == 1


def test_a_failed_step_is_recorded_alerted_and_resumed_by_a_human(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Any
) -> None:
    from leadflow_cli.journeys_cmd import resume_journey

    nobody = config_file(
        tmp_path, lambda c: c["routing"]["teams"]["sales"].update(fallback_owner="ghost@example.com")
    )
    with NotificationReceiver() as receiver:
        runtime = runtime_factory(
            consume_queues=False,
            time_scale=None,
            config_file=nobody,
            extra_env={"LEADFLOW_NOTIFY_URL": receiver.url},
        )
        store = runtime.standin.store  # type: ignore[union-attr]
        for owner in store.owners():
            store.archive_owner(owner["id"])
        contact, arn = start(runtime)
        waiting_for(runtime, contact, "repair")
        assert states(arn) == ["Route", "RecordFailure", "AwaitRepair"]
        record = journey_record(contact)
        assert (record.status, record.failed_state, record.error) == (
            "failed",
            "Route",
            "RoutingError",
        )
        assert "ghost@example.com is not an active HubSpot owner" in record.cause
        assert props_of(runtime, contact)["leadflow_journey_status"] == "failed"
        assert "failed at Route" in receiver.received[0]["text"]
        # The notification says what to fix, not only the error type.
        assert "ghost@example.com is not an active HubSpot owner" in receiver.received[0]["text"]

        store.add_owner("ghost@example.com", "Ghost", "Queue")
        clients = (
            boto3.client("dynamodb", region_name=REGION),
            boto3.client("stepfunctions", region_name=REGION),
        )
        resumed = resume_journey(clients[0], runtime.table_names["StateTable"], clients[1], contact)
        assert resumed == record.journey_id
        waiting_for(runtime, contact, "decision")
        assert states(arn)[:6] == [
            "Route",
            "RecordFailure",
            "AwaitRepair",
            "RetryFailedStep",
            "Route",
            "HandOff",
        ]
        assert props_of(runtime, contact)["leadflow_routed_by"] == "no_one_available"


def _failed_at_mark_sql(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Any
) -> tuple[LocalRuntime, str, str]:
    """A fast-tracked enterprise lead whose team's deal pipeline does not exist: its journey waits for a
    repair after MarkSql; (runtime, contact, execution ARN)."""
    partners = config_file(
        tmp_path,
        lambda c: c["routing"]["teams"]["enterprise"].update(deal={"pipeline": "partners", "stage": "intro"}),
    )
    runtime = runtime_factory(consume_queues=False, time_scale=None, config_file=partners)
    contact, arn = start(runtime, {**MQL_PROPS, "numemployees": "1000+"}, fast_track=True)
    waiting_for(runtime, contact, "repair")
    return runtime, contact, arn


def test_a_missing_deal_pipeline_stops_the_sql_step_until_an_admin_creates_it(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Any
) -> None:
    from leadflow_cli.journeys_cmd import resume_journey

    runtime, contact, arn = _failed_at_mark_sql(runtime_factory, tmp_path)
    store = runtime.standin.store  # type: ignore[union-attr]
    record = journey_record(contact)
    assert (record.failed_state, record.error) == ("MarkSql", "HubSpotError")
    assert "refused pipeline='partners': partners was not one of the allowed options" in record.cause
    assert store.list_objects("deals") == []

    store.add_pipeline("partners", ["intro", "won"])
    clients = (
        boto3.client("dynamodb", region_name=REGION),
        boto3.client("stepfunctions", region_name=REGION),
    )
    resume_journey(clients[0], runtime.table_names["StateTable"], clients[1], contact)
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn)[-4:] == ["AwaitRepair", "RetryFailedStep", "MarkSql", "SalesQualified"]
    (deal,) = store.list_objects("deals")
    assert (deal["properties"]["pipeline"], deal["properties"]["dealstage"]) == ("partners", "intro")
    assert journey_record(contact).status == "sql"


def test_a_failed_journey_nobody_repairs_ends_itself_before_step_functions_one_year_limit(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Any
) -> None:
    runtime, _contact, arn = _failed_at_mark_sql(runtime_factory, tmp_path)
    runtime.advance(days=363)
    assert still_running(runtime, arn)
    runtime.advance(days=2)
    ended = finished(arn)
    # Step Functions would end it after a year with no Catch; the journey's own timeout is caught.
    assert (ended["status"], ended["error"]) == ("FAILED", "JourneyRepairExpired")
    assert states(arn)[-2:] == ["AwaitRepair", "RepairExpired"]


def test_a_decision_whose_resume_aws_throttled_resumes_the_journey_on_redelivery_not_at_the_deadline(
    runtime: LocalRuntime,
) -> None:
    contact, _arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    runtime.standin.store.update_object("contacts", contact, {"leadflow_decision": "accept"})  # type: ignore[union-attr]
    at_ms = int(runtime.clock.now().timestamp() * 1000)
    event = sqs_event(
        [
            HubSpotWebhookSender("http://unused", "unused").event(
                "contact.propertyChange", contact, "leadflow_decision", "accept", occurred_at_ms=at_ms
            )
        ]
    )
    runtime.aws_faults.fail("states", "SendTaskSuccess", "ThrottlingException")
    failed = runtime.lambdas.invoke("LeadEventsFunction", event)
    assert [f["itemIdentifier"] for f in failed["batchItemFailures"]] == [event["Records"][0]["messageId"]]
    # SQS delivers the message again: the wait is resumed now, not after the SLA runs out.
    assert runtime.lambdas.invoke("LeadEventsFunction", event) == {"batchItemFailures": []}
    assert waiting_for(runtime, contact, "engagement").status == "sal"


@pytest.mark.parametrize(
    ("function", "state"), [("RouteFunction", "Route"), ("AwaitInputFunction", "AwaitDecision")]
)
def test_an_aws_throttle_inside_a_step_is_retried_by_the_state_not_sent_to_the_failure_branch(
    runtime: LocalRuntime, function: str, state: str
) -> None:
    runtime.aws_faults.fail(
        "dynamodb", "UpdateItem", "ProvisionedThroughputExceededException", function=function
    )
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    assert "RecordFailure" not in states(arn)
    history = runtime.history(arn)
    assert [e["taskFailedEventDetails"]["error"] for e in history if e["type"] == "TaskFailed"] == [
        "AwsUnavailable"
    ]


def test_a_wait_that_cannot_register_its_token_fails_into_the_failure_branch(
    runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadflow.app.journey import JourneySteps

    register = JourneySteps.await_input

    def broken_for_decisions(self: JourneySteps, state: Any, token: str, kind: str) -> None:
        if kind == "decision":
            raise RuntimeError("the journey table is unreachable")
        register(self, state, token, kind)  # type: ignore[arg-type]

    monkeypatch.setattr(JourneySteps, "await_input", broken_for_decisions)
    contact, _arn = start(runtime)
    # Invoked asynchronously, the wait's function reports its error to the task itself, so the
    # state's Catch sees it instead of the journey waiting for a token nobody registered.
    waiting_for(runtime, contact, "repair")
    record = journey_record(contact)
    # The emulator drops a task failure's cause (AWS keeps it); the error alone is checked here, and
    # an error without a cause must not break the failure branch.
    assert (record.failed_state, record.error) == ("AwaitDecision", "RuntimeError")


def test_a_decision_nothing_waits_for_gets_a_note_instead_of_vanishing(runtime: LocalRuntime) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    decide(runtime, contact, "accept")
    waiting_for(runtime, contact, "engagement")
    decide(runtime, contact, "recycle", "bad_timing")  # second thoughts after accepting
    notes = [n["properties"]["hs_note_body"] for n in store.list_objects("notes")]
    assert any("decision 'recycle' not applied: the lead is accepted already" in n for n in notes)
    assert still_running(runtime, arn) and journey_record(contact).status == "sal"
    engage(runtime, contact, "engagements_last_meeting_booked")
    assert finished(arn)["status"] == "SUCCEEDED"


def test_a_deal_created_before_its_answer_was_lost_is_found_not_made_twice(runtime: LocalRuntime) -> None:
    from leadflow_cli.hubspot_standin import FaultPlan

    store = runtime.standin.store  # type: ignore[union-attr]
    # HubSpot creates the deal, but the answer never arrives: MarkSql fails and Step Functions retries it.
    store.faults = FaultPlan(lose_answer_once=("deals.create",))
    contact, arn = start(runtime, {**MQL_PROPS, "numemployees": "1000+"}, fast_track=True)
    assert finished(arn)["status"] == "SUCCEEDED"
    (deal,) = store.list_objects("deals")
    assert deal["properties"]["leadflow_journey_id"] == journey_record(contact).journey_id
    assert journey_record(contact).deal_id == deal["id"]
    assert store.call_count("deals.create") == 1
