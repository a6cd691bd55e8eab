"""Runs the template's Lambda functions in this process, as Lambda would run them.

As on AWS, and unlike the emulator's own Lambda: an invocation that outlives the function's
`Timeout` fails with Lambda's timeout error (`Sandbox.Timedout`, "Task timed out after N seconds")
while the caller moves on, and an invocation beyond the function's reserved concurrency is throttled
(TooManyRequestsException). A timed-out invocation cannot be stopped here, so it is marked: the AWS
calls it still tries fail (its sandbox would be frozen on AWS), which the IAM guard enforces.

Lambda gives each invocation CPU of its own, in proportion to its memory: a whole vCPU at 1,769 MB
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-function-common.html#configuration-memory-console),
about 0.3 of one at leadflow's 512 MB. Here every invocation shares one interpreter, so at most
`SANDBOXES` run at once, each with about that share; the others wait for a sandbox, and a function's
timeout runs from when it has one. Without that cap a burst of hundreds of journey steps leaves each
invocation, the lead-events batch among them, a few thousandths of the interpreter, and they time out
on work Lambda does in a second. An API request does not wait its turn: HubSpot waits on its answer,
which takes milliseconds, and on AWS no journey's work delays it.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

Handler = Callable[[Any, Any], Any]
_log = logging.getLogger(__name__)

# A function's timeout when the template sets none (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
DEFAULT_TIMEOUT_S = 3.0
# How many invocations run at once (see the module docstring): three 512 MB shares of a CPU.
SANDBOXES = 3


@dataclass
class Invocation:
    """One running invocation: which function, and until when it may run (time.monotonic())."""

    function: str
    deadline: float
    timed_out: bool = False


_current: ContextVar[Invocation | None] = ContextVar("leadflow_local_invocation", default=None)


def current_invocation() -> Invocation | None:
    """The invocation this thread runs, if it runs one."""
    return _current.get()


@dataclass
class LocalContext:
    """The subset of the Lambda context object that handlers and powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "local"
    log_stream_name: str = "local"
    deadline: float | None = None  # time.monotonic() the invocation must end by; None: no limit

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the function's timeout (five minutes when it has none)."""
        if self.deadline is None:
            return 300_000
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class FunctionError(Exception):
    """A handler raised or timed out; carries the Lambda error payload."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("errorMessage", ""))
        self.payload = payload


class Throttled(ClientError):
    """The function is at its reserved concurrency: Lambda's Invoke answers 429 TooManyRequestsException
    (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors)."""

    def __init__(self, function: str) -> None:
        answer: Any = {
            "Error": {
                "Code": "TooManyRequestsException",
                "Message": f"Rate Exceeded. {function} is at its reserved concurrency",
            },
            "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
            "ResponseMetadata": {"HTTPStatusCode": 429, "RequestId": str(uuid.uuid4())},
        }
        super().__init__(answer, "Invoke")


@dataclass
class _Function:
    handler: str
    timeout_s: float
    reserved: int | None
    running: int = 0


class Sandboxes:
    """At most `count` invocations at once; the others get a sandbox in the order they asked for one.

    Written here because threading's Semaphore lets a newcomer take a freed slot ahead of the threads
    already waiting: under a burst the journeys started last would run first, where on Lambda every
    invocation runs at once and the order is the order they came in.
    """

    def __init__(self, count: int) -> None:
        self._free = count
        self._lock = threading.Lock()
        self._waiting: deque[threading.Event] = deque()

    @property
    def waiting(self) -> int:
        """How many invocations wait for a sandbox."""
        with self._lock:
            return len(self._waiting)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold a sandbox for the block, waiting for one in turn."""
        with self._lock:
            turn = None if self._free and not self._waiting else threading.Event()
            if turn is None:
                self._free -= 1
            else:
                self._waiting.append(turn)
        if turn is not None:
            turn.wait()  # the sandbox is handed over by the release that sets it
        try:
            yield
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting.popleft().set()
                else:
                    self._free += 1


class LocalLambdas:
    """The template's functions by name and ARN, each resolved to its handler on first use."""

    def __init__(self, region: str, account: str, sandboxes: int = SANDBOXES) -> None:
        self._region = region
        self._account = account
        self._sandboxes = Sandboxes(sandboxes)
        self._functions: dict[str, _Function] = {}
        self._loaded: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.invocations: dict[str, int] = {}
        self.throttles: dict[str, int] = {}
        self.timeouts: dict[str, int] = {}
        # Invocations that timed out and still run (a Python thread cannot be stopped).
        self.overrunning: list[threading.Thread] = []

    def arn(self, name: str) -> str:
        """The ARN a function has locally."""
        return f"arn:aws:lambda:{self._region}:{self._account}:function:{name}"

    def register(
        self, name: str, handler: str, timeout_s: float = DEFAULT_TIMEOUT_S, reserved: int | None = None
    ) -> None:
        """Make a function invokable by name or ARN; `handler` is "module.function", `timeout_s` its
        Timeout, `reserved` its reserved concurrency (None: unreserved)."""
        self._functions[name] = _Function(handler, timeout_s, reserved)

    def _handler(self, name: str) -> Handler:
        with self._lock:
            if name not in self._loaded:
                module_name, _, attr = self._functions[name].handler.rpartition(".")
                self._loaded[name] = getattr(importlib.import_module(module_name), attr)
            return self._loaded[name]

    def name_of(self, name_or_arn: str) -> str:
        """The function name behind a name, ARN, or ARN with qualifier; KeyError when unknown."""
        parts = name_or_arn.split(":")
        name = parts[6] if name_or_arn.startswith("arn:") and len(parts) >= 7 else name_or_arn
        if name not in self._functions:
            raise KeyError(name_or_arn)
        return name

    def invoke(self, name_or_arn: str, event: Any, *, waits_turn: bool = True) -> Any:
        """Run a function on an event; raises FunctionError with Lambda's payload when it fails or times
        out, and Throttled when it is at its reserved concurrency. Without `waits_turn` it runs at once,
        whatever the sandboxes hold (an API request, which its caller waits on)."""
        name = self.name_of(name_or_arn)
        handler = self._handler(name)
        function = self._functions[name]
        with self._lock:
            if function.reserved is not None and function.running >= function.reserved:
                self.throttles[name] = self.throttles.get(name, 0) + 1
                raise Throttled(name)
            function.running += 1
            self.invocations[name] = self.invocations.get(name, 0) + 1
        try:
            if not waits_turn:
                return self._run(name, function.timeout_s, handler, event)
            with self._sandboxes.held():
                return self._run(name, function.timeout_s, handler, event)
        finally:
            with self._lock:
                function.running -= 1

    def _run(self, name: str, timeout_s: float, handler: Handler, event: Any) -> Any:
        """The handler on a thread of its own, waited for until the function's timeout."""
        invocation = Invocation(name, time.monotonic() + timeout_s)
        context = LocalContext(name, self.arn(name), deadline=invocation.deadline)
        outcome: dict[str, Any] = {}

        def run() -> None:
            _current.set(invocation)
            try:
                outcome["result"] = handler(event, context)
            except Exception as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=run, name=f"lambda-{name}", daemon=True)
        worker.start()
        worker.join(timeout_s)
        if worker.is_alive():
            invocation.timed_out = True
            with self._lock:
                self.timeouts[name] = self.timeouts.get(name, 0) + 1
                self.overrunning.append(worker)
            # Lambda's answer for a function that ran out of time (errorType as the current runtimes give
            # it; Step Functions' guide calls the same failure Lambda.Unknown).
            raise FunctionError(
                {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {context.aws_request_id} Error: "
                    f"Task timed out after {timeout_s:.2f} seconds",
                }
            )
        if "error" in outcome:
            exc = outcome["error"]
            # As Lambda writes a function's unhandled error to its log: with the whole traceback.
            _log.error("%s failed: %s: %s", name, type(exc).__name__, exc, exc_info=exc)
            raise FunctionError(
                {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_exception(exc)[-5:],
                }
            ) from exc
        return outcome.get("result")

    def invoke_json(self, name_or_arn: str, body: bytes | str | None) -> tuple[bytes, bool]:
        """Invoke with a JSON payload as Lambda's Invoke API does: (payload, function_errored)."""
        event = json.loads(body) if body else {}
        try:
            return json.dumps(self.invoke(name_or_arn, event)).encode(), False
        except FunctionError as exc:
            return json.dumps(exc.payload).encode(), True
