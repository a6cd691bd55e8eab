"""Escalation notifications: the HTTP webhook and the SNS topic, and failures that never block."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from leadflow.adapters.notify import Notifier
from leadflow.observability import logger
from leadflow_cli.local.receiver import NotificationReceiver

REGION = "us-east-1"
# Short timeouts: a failing channel must come back at once.
FAST = (0.5, 1.0)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and a region, then every AWS call mocked by moto."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def receiver() -> Iterator[NotificationReceiver]:
    """A local webhook that answers 200 "ok"."""
    with NotificationReceiver() as server:
        yield server


def topic_with_queue() -> tuple[Any, str, Any, str]:
    """An SNS topic with an SQS queue subscribed to it: (sns, topic ARN, sqs, queue URL)."""
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic_arn = sns.create_topic(Name="leadflow-escalations")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="escalations-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return sns, topic_arn, sqs, queue_url


def delivered(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """The SNS envelopes that reached the queue."""
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def closed_port_url() -> str:
    """A URL on a local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/slack"


def test_a_notification_reaches_the_http_endpoint_as_slack_text(receiver: NotificationReceiver) -> None:
    result = Notifier(receiver.url, None, None).send("Lead escalated", "Ada missed the SLA for jo@acme.io")

    assert result == {"http": True}
    assert receiver.received == [{"text": "Ada missed the SLA for jo@acme.io"}]


@pytest.mark.usefixtures("aws")
def test_a_notification_reaches_the_sns_topic_with_subject_and_message() -> None:
    sns, topic_arn, sqs, queue_url = topic_with_queue()

    result = Notifier(None, sns, topic_arn).send("Lead escalated", "Ada missed the SLA for jo@acme.io")

    assert result == {"sns": True}
    [envelope] = delivered(sqs, queue_url)
    assert envelope["Subject"] == "Lead escalated"
    assert envelope["Message"] == "Ada missed the SLA for jo@acme.io"


def test_an_endpoint_answering_500_returns_false_and_does_not_raise() -> None:
    with NotificationReceiver(fail_with=500) as failing:
        result = Notifier(failing.url, None, None, timeout=FAST).send("Lead escalated", "text")

        assert result == {"http": False}
        # The attempt was made: the endpoint saw the body before failing.
        assert failing.received == [{"text": "text"}]


def test_an_unreachable_url_returns_false_and_does_not_raise() -> None:
    result = Notifier(closed_port_url(), None, None, timeout=FAST).send("Lead escalated", "text")

    assert result == {"http": False}


@pytest.mark.usefixtures("aws")
def test_an_sns_error_returns_false_and_does_not_raise() -> None:
    sns = boto3.client("sns", region_name=REGION)
    missing = f"arn:aws:sns:{REGION}:123456789012:no-such-topic"

    assert Notifier(None, sns, missing).send("Lead escalated", "text") == {"sns": False}


def test_a_failing_channel_does_not_stop_the_other(receiver: NotificationReceiver, aws: None) -> None:
    sns = boto3.client("sns", region_name=REGION)
    missing = f"arn:aws:sns:{REGION}:123456789012:no-such-topic"

    result = Notifier(receiver.url, sns, missing, timeout=FAST).send("Lead escalated", "text")

    assert result == {"http": True, "sns": False}
    assert receiver.received == [{"text": "text"}]


def test_with_no_channels_configured_send_returns_empty_and_does_nothing(
    receiver: NotificationReceiver, aws: None
) -> None:
    sns = boto3.client("sns", region_name=REGION)

    # An SNS client without a topic, like an empty URL, is not a configured channel.
    assert Notifier(None, None, None).send("Lead escalated", "text") == {}
    assert Notifier("", sns, "").send("Lead escalated", "text") == {}
    assert receiver.received == []


def test_the_webhook_url_never_appears_in_the_log_on_failure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # powertools writes JSON to the sys.stdout of import time, which is not capsys's: point it there.
    monkeypatch.setattr(logger.registered_handler, "stream", sys.stdout)
    # The path stands in for a Slack webhook's secret token.
    secret_url = closed_port_url().replace("/slack", "/services/T000/B000/s3cr3tT0ken")

    Notifier(secret_url, None, None, timeout=FAST).send("Lead escalated", "text")
    with NotificationReceiver(fail_with=403) as failing:
        failing_url = failing.url
        Notifier(failing_url, None, None, timeout=FAST).send("Lead escalated", "text")

    out = capsys.readouterr().out
    failures = [json.loads(line) for line in out.splitlines() if '"notification failed"' in line]
    # Both failures were logged (so the check below is not vacuous), naming only what went wrong.
    assert [f["channel"] for f in failures] == ["http", "http"]
    assert failures[0]["error"] == "NewConnectionError"
    assert failures[1]["status"] == 403
    assert "s3cr3tT0ken" not in out
    assert secret_url not in out
    assert failing_url not in out


@pytest.mark.usefixtures("aws")
def test_newlines_in_the_subject_do_not_break_sns() -> None:
    sns, topic_arn, sqs, queue_url = topic_with_queue()

    result = Notifier(None, sns, topic_arn).send("Lead escalated:\r\njo@acme.io\n" + "x" * 200, "text")

    assert result == {"sns": True}
    [envelope] = delivered(sqs, queue_url)
    assert envelope["Subject"].startswith("Lead escalated: jo@acme.io x")
    assert "\n" not in envelope["Subject"]
    assert len(envelope["Subject"]) == 99 and envelope["Subject"].endswith("...")


class StrictSns:
    """SNS's Publish as AWS documents its Subject, which moto does not enforce: "ASCII text that begins
    with a letter, number, or punctuation mark; must not include line breaks or control characters;
    and must be less than 100 characters long" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html)."""

    def __init__(self) -> None:
        self.subjects: list[str] = []

    def publish(self, TopicArn: str, Message: str, Subject: str | None = None) -> dict[str, str]:
        if Subject is not None:
            printable = Subject.isascii() and Subject.isprintable()
            if not (printable and len(Subject) < 100 and Subject[:1] not in ("", " ")):
                raise ClientError(
                    {"Error": {"Code": "InvalidParameter", "Message": "Invalid parameter: Subject"}},
                    "Publish",
                )
            self.subjects.append(Subject)
        return {"MessageId": "1"}


@pytest.mark.parametrize(
    "subject",
    [
        "x" * 100,
        "Zoë Müller (Zürich) is still waiting: decision due 09:00 " * 3,
        "  \n\tLead escalated",
        "Lead escalated for 山田太郎",
    ],
    ids=["100 characters", "accents, long", "leading space and line break", "no ASCII name"],
)
def test_a_subject_sns_would_refuse_is_sent_as_one_it_takes(subject: str) -> None:
    sns = StrictSns()
    assert Notifier(None, sns, "arn:aws:sns:us-east-1:123456789012:t").send(subject, "text") == {"sns": True}
    (sent,) = sns.subjects
    assert len(sent) < 100 and sent.isascii()


def test_an_http_notification_shows_outside_text_as_written_never_as_slack_markup(
    receiver: NotificationReceiver,
) -> None:
    Notifier(receiver.url, None, None).send("x", "Lead <!channel> from <https://evil.example|Acme> & co")
    assert receiver.received == [
        {"text": "Lead &lt;!channel&gt; from &lt;https://evil.example|Acme&gt; &amp; co"}
    ]
