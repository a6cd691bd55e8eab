"""The journey engine on AWS Step Functions: starting journeys and completing their waits."""

from __future__ import annotations

from typing import Any, Final

# The ASL state that records failures (its own entry is skipped when looking for the failed state).
FAILURE_HANDLER: Final = "RecordFailure"
# GetExecutionHistory's largest page (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html).
HISTORY_PAGE: Final = 1000


class StepFunctionsEngine:
    """Starts journey executions idempotently and completes their waiting tasks (the journey engine port)."""

    def __init__(self, sfn_client: Any, state_machine_arn: str) -> None:
        self._sfn = sfn_client
        self._arn = state_machine_arn

    def start(self, name: str, payload_json: str) -> bool:
        """Start the named execution; False when it already exists (a redelivered MQL)."""
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=payload_json)
        except self._sfn.exceptions.ExecutionAlreadyExists:
            return False
        return True

    def _not_waited_on(self) -> tuple[type[Exception], ...]:
        """The answers that mean nobody waits on a token any more (it completed or timed out)."""
        errors = self._sfn.exceptions
        return (errors.InvalidToken, errors.TaskTimedOut, errors.TaskDoesNotExist)

    def fail(self, token: str, error: str, cause: str) -> bool:
        """Fail a waiting task with an error its state's Retry and Catch see; False when not waited on."""
        try:
            self._sfn.send_task_failure(taskToken=token, error=error[:256], cause=cause[:32768])
        except self._not_waited_on():
            return False
        return True

    def resume(self, token: str, output_json: str) -> bool:
        """Complete a waiting task; False when the token is no longer waited on."""
        try:
            self._sfn.send_task_success(taskToken=token, output=output_json)
        except self._not_waited_on():
            return False
        return True

    def failed_state(self, execution_arn: str) -> str | None:
        """The state whose failure the execution is now handling: the newest state entered before the
        failure handler, read from the history newest first, page by page (a step retried for hours
        leaves hundreds of events after its entry)."""
        pages = self._sfn.get_paginator("get_execution_history").paginate(
            executionArn=execution_arn, reverseOrder=True, PaginationConfig={"PageSize": HISTORY_PAGE}
        )
        try:
            for page in pages:
                # Sorted here as well: an emulator that ignores reverseOrder must not name the first state.
                newest_first = sorted(page["events"], key=lambda e: int(e["id"]), reverse=True)
                entered = [
                    str(e["stateEnteredEventDetails"]["name"])
                    for e in newest_first
                    if "stateEnteredEventDetails" in e
                ]
                # The newest entry is the failure handler itself; the one before it is the state that failed.
                found = next((name for name in entered if name != FAILURE_HANDLER), None)
                if found:
                    return found
        except self._sfn.exceptions.ClientError:
            # Recording the failure matters more than naming its state.
            return None
        return None
