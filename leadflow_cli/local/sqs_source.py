"""SQS event source mappings: poll a queue and hand batches to a function, as Lambda does."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from leadflow_cli.local.lambdas import FunctionError, LocalLambdas, Throttled
from leadflow_cli.local.template import SqsSource

_log = logging.getLogger(__name__)


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """The Lambda SQS event record for a received message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class SqsPoller:
    """One event source mapping: long-poll, batch up to BatchSize within the window, invoke, delete."""

    def __init__(
        self, source: SqsSource, sqs: Any, queue_url: str, queue_arn: str, lambdas: LocalLambdas, region: str
    ) -> None:
        self._source = source
        self._sqs = sqs
        self._url = queue_url
        self._arn = queue_arn
        self._lambdas = lambdas
        self._region = region
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{source.function}", daemon=True)
        self.batches = 0
        self.busy = False

    @property
    def source(self) -> SqsSource:
        """The event source mapping this poller plays."""
        return self._source

    @property
    def started(self) -> bool:
        """Whether the poller thread was started."""
        return self._thread.ident is not None

    def start(self) -> None:
        """Start polling in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (the batch in flight finishes)."""
        self._stop.set()
        self._thread.join(timeout=10)

    def _receive(self) -> list[dict[str, Any]]:
        # The batching window starts with the first message, as with Lambda's own poller.
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + self._source.window_s
        while len(messages) < self._source.batch_size and not self._stop.is_set():
            answer = self._sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(10, self._source.batch_size - len(messages)),
                AttributeNames=["All"],
            )
            got = answer.get("Messages", [])
            messages.extend(got)
            if messages and time.monotonic() >= deadline:
                break
            if not got:
                if not messages:
                    deadline = time.monotonic() + self._source.window_s
                time.sleep(0.05)
        return messages

    def _run(self) -> None:
        while not self._stop.is_set():
            messages = self._receive()
            if not messages:
                continue
            self.busy = True
            try:
                self._deliver(messages)
            finally:
                self.busy = False

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [sqs_record(m, self._arn, self._region) for m in messages]}
        self.batches += 1
        try:
            answer = self._lambdas.invoke(self._source.function, event)
        except (FunctionError, Throttled) as exc:
            # As Lambda logs an unhandled error (or backs off a throttled function); every message becomes
            # visible again after the visibility timeout.
            _log.error("%s failed on a batch of %d: %s", self._source.function, len(messages), exc)
            return
        failed: set[str] = set()
        if self._source.report_failures and isinstance(answer, dict):
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures") or []}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(done[start : start + 10])
            ]
            self._sqs.delete_message_batch(QueueUrl=self._url, Entries=entries)
