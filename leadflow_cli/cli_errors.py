"""Every way a command can fail that its user can fix, said in one sentence (and the exit code).

A traceback tells a user nothing they can act on; each error a command can meet through no fault of
the code (a missing file, a stopped runtime, no AWS credentials, a HubSpot that refuses) is said
here as what happened and what to do.
"""

from __future__ import annotations

import json
import os
import re
from typing import Final

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from leadflow.app.ports import HubSpotError, HubSpotUnavailable
from leadflow.core.config import ConfigError
from leadflow.settings import SettingsError
from leadflow_cli.hubspot_project import ProjectError
from leadflow_cli.local.control import RuntimeUnreachable
from leadflow_cli.local.http_server import PortInUse
from leadflow_cli.local.hubspot_player import PlayError
from leadflow_cli.local.template import TemplateError

# Exit codes: a mistake in what the user asked for (arguments, files, configuration) is 2, as
# argparse's; a command that could not do its work is 1.
USAGE: Final = 2
FAILED: Final = 1
# The variable that shows the traceback of an error leadflow did not foresee.
DEBUG_VARIABLE: Final = "LEADFLOW_DEBUG"


class CliError(Exception):
    """A command cannot go on; the message says why and what to do, in one sentence."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code


def explain(exc: BaseException) -> tuple[str, int]:
    """The sentence that answers an error, and the exit code."""
    if isinstance(exc, CliError):
        return str(exc), exc.code
    if isinstance(exc, (ConfigError, TemplateError, SettingsError, ProjectError)):
        return str(exc), USAGE
    if isinstance(exc, PortInUse):
        return (
            f"{exc}: is another `leadflow local` running? Stop it, or choose free ports with --port and "
            "--aws-port",
            FAILED,
        )
    if isinstance(exc, HubSpotError):
        return hubspot_problem(exc), FAILED
    if isinstance(exc, (RuntimeUnreachable, PlayError)):
        return str(exc), FAILED
    found = _aws(exc)
    if found is not None:
        return found, FAILED
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", USAGE
    if isinstance(exc, OSError) and exc.filename:
        return f"cannot use {exc.filename}: {exc.strerror or exc}", USAGE
    hint = "" if os.environ.get(DEBUG_VARIABLE) else f" (set {DEBUG_VARIABLE}=1 to see where)"
    return f"unexpected error: {type(exc).__name__}: {exc}{hint}", FAILED


def hubspot_problem(exc: HubSpotError) -> str:
    """A HubSpot error as a sentence: a failed connection said without urllib3's retelling of it (where
    and why), any other as HubSpot answered it."""
    message = str(exc)
    host = re.search(r"host='([^']+)', port=(\d+)", message)
    if not isinstance(exc, HubSpotUnavailable) or exc.status or host is None:
        return message
    why = re.search(r"\[Errno -?\d+\] ([^'\")]+)", message)
    reason = f" ({why.group(1).strip().lower()})" if why else ""
    where = f"{host.group(1)}:{host.group(2)}"
    return f"HubSpot does not answer at {where}{reason}: check --base-url and the network"


def _aws(exc: BaseException) -> str | None:
    """An AWS client's error as a sentence, or None when it is none."""
    if isinstance(exc, EndpointConnectionError):
        return f"nothing answers at {exc.kwargs.get('endpoint_url')}: is the stack's region right?"
    if isinstance(exc, NoRegionError):
        return "no AWS region: pass --region, or set AWS_REGION or a region in your AWS profile"
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return "no AWS credentials: pass --profile, or set AWS_PROFILE (see `aws configure`)"
    if isinstance(exc, ProfileNotFound):
        return f"{exc}: pass an existing --profile (see `aws configure list-profiles`)"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"AWS refused {exc.operation_name}: {error.get('Message') or error.get('Code')}"
    return None
