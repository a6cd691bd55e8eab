"""AWS's errors that a later retry may fix: throttling and AWS's own failures.

botocore retries these a few times inside each call; one that still fails reaches leadflow. Which
errors they are is botocore's own definition (its standard retry mode's throttling and transient
checks, https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), so a journey
step reports them as `AwsUnavailable`, which its Retry matches, instead of the generic ClientError
that no Retry can tell from a permanent refusal.
"""

from __future__ import annotations

from types import SimpleNamespace

from botocore.exceptions import BotoCoreError, ClientError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

_CHECKERS = (ThrottledRetryableChecker(), TransientRetryableChecker())


def is_transient(exc: BaseException) -> bool:
    """Whether an SDK error is throttling or a failure on AWS's side (worth retrying later)."""
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        context = RetryContext(
            attempt_number=1, parsed_response=exc.response, http_response=SimpleNamespace(status_code=status)
        )
    elif isinstance(exc, BotoCoreError):
        context = RetryContext(attempt_number=1, caught_exception=exc)
    else:
        return False
    return any(checker.is_retryable(context) for checker in _CHECKERS)
