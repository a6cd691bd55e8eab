"""Every AWS call the functions make, seen before it reaches the emulator.

The emulator answers any call, from anyone, at once. Here each call a function makes (from any botocore
client, however it was built) first passes the runtime's checks: the function's IAM policy
(`iam.IamGuard`) and the failures a test asks AWS to answer with (`AwsFaults`: a throttle, an outage),
which the emulator never produces on its own. Calls made outside a function (the tests, the CLI) pass
unchecked.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from unittest import mock

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from leadflow_cli.local.lambdas import current_invocation

# A check of one call a function makes: (service, operation, parameters); raises to refuse it.
Check = Callable[[str, str, Mapping[str, Any]], None]


def intercept(checks: Sequence[Check]) -> Any:
    """The patch (to start, and stop) that passes every call a function makes through `checks`."""
    make_call = BaseClient._make_api_call  # type: ignore[attr-defined]

    def checked(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        invocation = current_invocation()
        if invocation is not None and invocation.timed_out:
            # On AWS a function that timed out is frozen: nothing more it does reaches AWS.
            message = f"{invocation.function} timed out; its sandbox is frozen"
            raise client_error(operation, "SandboxFrozen", message, 500)
        if invocation is not None:
            for check in checks:
                check(client.meta.service_model.signing_name, operation, params)
        return make_call(client, operation, params)

    return mock.patch.object(BaseClient, "_make_api_call", checked)


def client_error(operation: str, code: str, message: str, status: int) -> ClientError:
    """The error botocore raises for an AWS answer with this code and HTTP status."""
    answer: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4())},
    }
    return ClientError(answer, operation)


@dataclass
class _Fault:
    service: str
    operation: str
    code: str
    status: int
    left: int
    function: str | None


class AwsFaults:
    """Failures AWS answers the functions' calls with, for reliability tests: the next `times` calls of an
    operation fail with `code` (after the SDK's own retries, as a call that stayed throttled does)."""

    def __init__(self) -> None:
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()

    def fail(
        self,
        service: str,
        operation: str,
        code: str = "ThrottlingException",
        times: int = 1,
        status: int = 400,
        function: str | None = None,
    ) -> None:
        """Make the next `times` calls of `service`'s `operation` (e.g. "states", "SendTaskSuccess") fail,
        made by any function or only by `function`."""
        with self._lock:
            self._faults.append(_Fault(service, operation, code, status, times, function))

    def check(self, service: str, operation: str, params: Mapping[str, Any]) -> None:
        """Fail this call if a fault is planned for it."""
        invocation = current_invocation()
        caller = invocation.function if invocation else None
        with self._lock:
            fault = next(
                (
                    f
                    for f in self._faults
                    if (f.service, f.operation) == (service, operation)
                    and f.left
                    and f.function in (None, caller)
                ),
                None,
            )
            if fault is None:
                return
            fault.left -= 1
        raise client_error(operation, fault.code, f"{fault.code} (planned by the test)", fault.status)
