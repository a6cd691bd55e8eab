"""Where the local runtime changes the embedded Step Functions engine, and why.

Under a burst of journeys, moto's engine spent most of the local runtime's CPU on work that is not
the journey's, with every execution thread contending for one interpreter:
- It parsed the state machine's ASL with its ANTLR grammar at every StartExecution: half the CPU.
  The parse is a pure function of the definition, so each definition is parsed once per runtime.
- Each Task invoked its Lambda function through a new boto3 client and moto's HTTP emulation of the
  Lambda API (request signing, routing, serialising) before reaching the function: 40% of each
  Task's time. A Task now calls the function directly, with the same payload, the same answer and
  the same error, and asynchronously when the state asks for InvocationType Event.
Nothing an execution does changes: the same states, retries, catches and payloads.

The parsed program is shared by every execution of a definition. Its components keep no state of
their own while evaluating: what an execution accumulates (the attempt count of a Retry, variables,
the history) lives in the execution's environment, under keys each component draws lazily once.
Those keys are drawn before the program is shared, so two executions racing through a Retry for the
first time cannot each draw one.

A waitForTaskToken Task drew its token once per state, so a retried attempt was handed the token whose
failure it was retrying, and failed at once, every attempt until the Retry ran out. On Step Functions
each attempt is scheduled anew with a token of its own, so each attempt now draws one.

GetExecutionHistory answers every event, oldest first, whatever the request asks; Step Functions
answers a page of `maxResults` (100 by default, 1000 at most), newest first with `reverseOrder`, and a
`nextToken` for the rest (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html).
Code that reads only the first page would pass here and miss events on AWS; it now gets pages.

moto also lists an execution before it sets it RUNNING: ListExecutions in that moment raised
AttributeError, and a second StartExecution of the same name and input was refused instead of
answered with the execution. Step Functions answers RUNNING from the moment StartExecution returns
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html), and so does
the local runtime.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from typing import Any, Final
from unittest import mock

from moto.core.responses import ActionResult
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.component.component import Component
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.responses import StepFunctionResponse

# GetExecutionHistory's default and largest pages.
HISTORY_PAGE: Final = 100
MAX_HISTORY_PAGE: Final = 1000
# Runs a function: (name or ARN, JSON payload, asynchronously?) -> (answer payload, function errored?)
Invoke = Callable[[str, bytes | None, bool], tuple[bytes, bool]]


def _components(node: Any, seen: set[int]) -> Iterator[EvalComponent]:
    """Every evaluation component reachable from `node` (components' attributes, lists and dicts)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, Component):
        if isinstance(node, EvalComponent):
            yield node
        children: Any = vars(node).values()
    elif isinstance(node, (list, tuple)):
        children = node
    elif isinstance(node, dict):
        children = node.values()
    else:
        return
    for child in children:
        yield from _components(child, seen)


def _parse_once() -> Callable[[str], Any]:
    parse = AmazonStateLanguageParser.parse
    parsed: dict[str, Any] = {}
    lock = threading.Lock()

    def cached(definition: str) -> Any:
        with lock:
            if definition not in parsed:
                program, tree = parse(definition)
                for component in _components(program, set()):
                    _ = component.heap_key
                parsed[definition] = (program, tree)
            return parsed[definition]

    return cached


def _direct(invoke: Invoke) -> Callable[..., dict[str, Any]]:
    def invoke_lambda_function(
        parameters: dict[str, Any], region: str, state_credentials: Any
    ) -> dict[str, Any]:
        asynchronous = parameters.get("InvocationType") == "Event"
        payload, errored = invoke(parameters["FunctionName"], parameters.get("Payload"), asynchronous)
        # Lambda's Invoke answer (202 and no payload for an Event), its payload decoded by the
        # engine's own reader, as the boto3 path did.
        answer: dict[str, Any] = {
            "StatusCode": 202 if asynchronous else 200,
            "Payload": lambda_eval_utils._from_payload(io.BytesIO(payload)),
        }
        if errored:
            answer["FunctionError"] = "Unhandled"
        return answer

    return invoke_lambda_function


def _running_from_the_start() -> Callable[..., None]:
    init = Execution.__init__

    def created(self: Execution, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.exec_status = ExecutionStatus.RUNNING

    return created


def _token_per_attempt() -> Callable[..., Any]:
    evaluate = state_task_service_callback.StateTaskServiceCallback._evaluate_with_timeout

    def attempt(self: Any, env: Any) -> Any:
        if (
            self._is_integration_pattern()
            and ResourceCondition.WaitForTaskToken in self._supported_integration_patterns
        ):
            env.callback_pool_manager.add(env.states.context_object.update_task_token())
        return evaluate(self, env)

    return attempt


def _history_pages(response: StepFunctionResponse) -> ActionResult:
    history = response.stepfunction_backend.get_execution_history(response._get_param("executionArn"))
    events = list(history["events"])
    if response._get_param("reverseOrder"):
        events.reverse()
    start = int(response._get_param("nextToken") or 0)
    end = start + min(int(response._get_param("maxResults") or HISTORY_PAGE), MAX_HISTORY_PAGE)
    page: dict[str, Any] = {"events": events[start:end]}
    if end < len(events):
        page["nextToken"] = str(end)
    return ActionResult(page)


def patches(invoke: Invoke) -> list[Any]:
    """The patches: each definition parsed once, Tasks calling their functions through `invoke`, an
    execution running from its start, a token for each attempt of a wait, and the history in pages."""
    return [
        mock.patch.object(AmazonStateLanguageParser, "parse", staticmethod(_parse_once())),
        mock.patch.object(lambda_eval_utils, "_invoke_lambda_function", _direct(invoke)),
        mock.patch.object(Execution, "__init__", _running_from_the_start()),
        mock.patch.object(
            state_task_service_callback.StateTaskServiceCallback,
            "_evaluate_with_timeout",
            _token_per_attempt(),
        ),
        mock.patch.object(StepFunctionResponse, "get_execution_history", _history_pages),
    ]
