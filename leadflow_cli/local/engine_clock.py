"""The embedded Step Functions engine's task-token waits and long retries, timed by the local clock.

moto's engine times a `waitForTaskToken` state's `TimeoutSeconds(Path)` with a wall-clock
`Event.wait`; here the wait ends when the local clock reaches the deadline, so a test or the
demo decides when an SLA passes. Timing out also marks the token the way AWS does: a later
SendTaskSuccess on it is refused with TaskTimedOut, where moto alone would accept it silently.

The engine stamps executions and their history events with the system clock; here with the local
clock, so `leadflow journey` and the AWS CLI show the times the functions and the records use.

A Retry's interval is a wall-clock `time.sleep` in moto's retrier. Short ones (HubSpot's ten-second
window, an outage) stay so; a long one (a step parked until HubSpot's daily quota resets) waits on
the clock instead, and counts as blocked: the execution moves when the clock gets there.
"""

from __future__ import annotations

import datetime
import threading
import time
from types import ModuleType, SimpleNamespace
from typing import Any, Final
from unittest import mock

from moto.stepfunctions.parser import models as parser_models
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    CallbackConsumerTimeout,
    CallbackEndpoint,
    CallbackOutcome,
)
from moto.stepfunctions.parser.asl.eval.event import event_manager
from moto.stepfunctions.parser.backend import execution as parser_execution

from leadflow_cli.local.clock import LocalClock

# Retry intervals at least this long wait on the local clock.
CLOCK_RETRY_S: Final = 600


class EngineWaits:
    """Times the engine's task-token waits on the clock, and tells how many are still blocked."""

    def __init__(self, clock: LocalClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._waiting: set[CallbackEndpoint] = set()
        self._sleeping: set[threading.Event] = set()

    @property
    def blocked(self) -> int:
        """Waits with neither an outcome nor a timeout yet: their executions move only when one comes.

        Read from the endpoints rather than counted by the waiting threads, so a wait completed or
        timed out a moment ago no longer counts even before its thread wakes up.
        """
        with self._lock:
            tokens = sum(1 for e in self._waiting if e.get_outcome() is None and e.consumer_error is None)
            return tokens + sum(1 for e in self._sleeping if not e.is_set())

    def patches(self) -> list[Any]:
        """The patches to start (and stop) around the emulator's lifetime."""
        waits = self

        def wait(_state: Any, timeout_seconds: int, endpoint: CallbackEndpoint) -> CallbackOutcome | None:
            return waits.wait(timeout_seconds, endpoint)

        callback_state = state_task_service_callback.StateTaskServiceCallback
        clock_datetime = _datetime_module(self._clock)
        return [
            mock.patch.object(callback_state, "_wait_for_task_token_timeout", wait),
            mock.patch.object(retrier_decl, "time", SimpleNamespace(sleep=self.sleep)),
            # Where the engine stamps history events, an execution's start and its stop.
            *(
                mock.patch.object(module, "datetime", clock_datetime)
                for module in (event_manager, parser_models, parser_execution)
            ),
        ]

    def sleep(self, seconds: float) -> None:
        """A Retry's interval: a long one passes on the clock, a short one in real time."""
        if seconds < CLOCK_RETRY_S:
            time.sleep(seconds)
            return
        done = threading.Event()
        with self._lock:
            self._sleeping.add(done)
        alarm = self._clock.alarm(seconds, done.set)
        try:
            done.wait()
        finally:
            with self._lock:
                self._sleeping.discard(done)
            alarm.cancel()

    def wait(self, timeout_seconds: float, endpoint: CallbackEndpoint) -> CallbackOutcome | None:
        """The outcome sent for the token, or None once `timeout_seconds` of clock time passed."""

        def expire() -> None:
            endpoint.report(CallbackConsumerTimeout())
            endpoint.interrupt_all()

        with self._lock:
            self._waiting.add(endpoint)
        alarm = self._clock.alarm(timeout_seconds, expire)
        try:
            return endpoint.wait()
        finally:
            with self._lock:
                self._waiting.discard(endpoint)
            alarm.cancel()


def _datetime_module(clock: LocalClock) -> ModuleType:
    """The `datetime` module, but whose `datetime.now()` is the local clock's time."""

    class ClockDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> datetime.datetime:  # type: ignore[override]
            now = clock.now()
            return now.astimezone(tz) if tz is not None else now.astimezone().replace(tzinfo=None)

    module = ModuleType("datetime")
    module.__dict__.update(vars(datetime))
    module.datetime = ClockDatetime  # type: ignore[attr-defined]
    return module
