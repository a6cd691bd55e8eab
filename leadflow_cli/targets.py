"""What the ops commands read: a deployed stack (the user's AWS profile) or a running local runtime.

Both answer the same AWS APIs, so `journeys`, `journey`, `report` and `replay` read them through the
same boto3 calls; the local runtime also says what time its clock shows, which its records and
deadlines are on, and its HubSpot stand-in names the owners.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadflow_cli.owners import Owners


@dataclass
class Target:
    """The journey records' table and the journeys' state machine, where they run, and its time."""

    dynamodb: Any
    sfn: Any
    table: str
    state_machine_arn: str
    now: datetime
    # The portal's owners, when they can be read (the stand-in, or HUBSPOT_ACCESS_TOKEN for a stack).
    owners: Callable[[], Owners | None]


def stack_outputs(stack: str, profile: str | None, region: str | None) -> dict[str, str]:
    """A CloudFormation stack's outputs by key."""
    import boto3

    session = boto3.Session(profile_name=profile, region_name=region)
    found = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def local_target(port: int) -> Target:
    """The local runtime serving its AWS APIs on `port` (`leadflow local --aws-port`)."""
    import boto3

    from leadflow.adapters.hubspot_api import HubSpotApi
    from leadflow_cli.local.control import RuntimeClient
    from leadflow_cli.local.runtime import DEFAULT_ACCESS_TOKEN, REGION

    endpoint = f"http://127.0.0.1:{port}"
    info = RuntimeClient(endpoint).info()
    local = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION)  # noqa: S106
    hubspot_url = str(info.get("hubspot_url"))
    return Target(
        local.client("dynamodb", endpoint_url=endpoint),
        local.client("stepfunctions", endpoint_url=endpoint),
        str(info["state_table"]),
        str(info["state_machine_arn"]),
        datetime.fromisoformat(str(info["now"])),
        lambda: Owners.read(HubSpotApi(DEFAULT_ACCESS_TOKEN, hubspot_url)) if info.get("standin") else None,
    )


def stack_target(stack: str, profile: str | None, region: str | None, hubspot_url: str) -> Target:
    """A deployed stack, read with the user's AWS profile; its owners with HUBSPOT_ACCESS_TOKEN if set."""
    import boto3

    from leadflow.adapters.hubspot_api import HubSpotApi

    session = boto3.Session(profile_name=profile, region_name=region)
    outputs = stack_outputs(stack, profile, region)
    token = os.environ.get("HUBSPOT_ACCESS_TOKEN", "")
    return Target(
        session.client("dynamodb"),
        session.client("stepfunctions"),
        outputs["StateTableName"],
        outputs["LeadJourneyStateMachineArn"],
        datetime.now(UTC),
        lambda: Owners.read(HubSpotApi(token, hubspot_url)) if token else None,
    )
