"""Each function's IAM permissions, as template.yaml grants them, enforced on its AWS calls.

The emulator answers every call whoever makes it, so a function whose policy lacks a permission
works here and is denied on AWS. The local runtime reads each function's execution role the way
CloudFormation gets it: template.yaml expanded by the SAM translator (the library behind `sam build`
and the Serverless transform), its policy templates and statements as inline policies and its
managed policies (the execution, X-Ray and SQS-poller roles SAM adds) from the emulator's copy of
AWS's managed policy documents. Every AWS call a function makes while it runs is checked against
them with the emulator's own policy evaluator; a call no statement allows fails as AccessDenied,
as it would on AWS. Calls made outside a function (the tests, the CLI) are not checked.

What a call is authorised as follows the services' documentation: a batch action needs the
permission of its single action (SendMessageBatch is sqs:SendMessage, ChangeMessageVisibilityBatch
sqs:ChangeMessageVisibility: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html),
DynamoDB's batch and transaction calls need the action on every table they touch, and Step Functions'
task-token calls have no resource but "*" (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

from botocore.exceptions import ClientError
from moto.iam.access_control import IAMPolicy, PermissionResult

from leadflow_cli.local.aws_calls import client_error
from leadflow_cli.local.intrinsics import Intrinsics
from leadflow_cli.local.lambdas import Invocation
from leadflow_cli.local.template import TemplateError

# Batch actions authorised as their single action.
_SINGLE_ACTION: Final = {
    "sqs": {
        "SendMessageBatch": "SendMessage",
        "DeleteMessageBatch": "DeleteMessage",
        "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    },
    "sns": {"PublishBatch": "Publish"},
}
# The code each service answers a denied call with.
_DENIED_CODE: Final = {"sqs": "AccessDenied", "sns": "AuthorizationError"}


def _placeholders(template: dict[str, Any]) -> dict[str, Any]:
    """The template with its local code paths as S3 URIs: the translator takes only those, and the
    code's location changes nothing in a role."""
    for res in template.get("Resources", {}).values():
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::Serverless::StateMachine" and "DefinitionUri" in props:
            props["DefinitionUri"] = "s3://local/statemachine.asl.json"
        if res.get("Type") == "AWS::Serverless::Function" and "CodeUri" in props:
            props["CodeUri"] = "s3://local/code.zip"
    function_globals = template.get("Globals", {}).get("Function", {})
    if "CodeUri" in function_globals:
        function_globals["CodeUri"] = "s3://local/code.zip"
    return template


@cache
def _translated(text: str, parameters: tuple[tuple[str, str], ...], region: str) -> dict[str, Any]:
    """The CloudFormation template SAM's transform makes of a SAM template (cached per process)."""
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicyNames:
        """Policies named by their ARN only: no IAM call to map names to ARNs."""

        def load(self) -> dict[str, str]:
            return {}

    try:
        translated: dict[str, Any] = transform(
            _placeholders(yaml_parse(text)),
            {**dict(parameters), "AWS::Region": region},
            NoManagedPolicyNames(),
        )
    except InvalidDocumentException as exc:
        raise TemplateError(f"the SAM transform refused the template: {exc}") from None
    return translated


@cache
def _managed_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    documents: dict[str, Any] = json.loads(aws_managed_policies_data)
    return documents


def _managed(arn: str) -> dict[str, Any]:
    name = arn.rsplit("/", 1)[-1]
    try:
        document: dict[str, Any] = _managed_policies()[name]["Document"]
    except KeyError:
        raise TemplateError(f"managed policy {arn} is not one the local runtime knows") from None
    return document


def function_policies(
    template: Path, parameters: Mapping[str, str], region: str, intrinsics: Intrinsics
) -> dict[str, list[dict[str, Any]]]:
    """Each function's policy documents, by logical id, with their intrinsic functions resolved."""
    translated = _translated(template.read_text(encoding="utf-8"), tuple(sorted(parameters.items())), region)
    resources = translated["Resources"]
    found: dict[str, list[dict[str, Any]]] = {}
    for logical_id, res in resources.items():
        role = (res.get("Properties") or {}).get("Role")
        if res["Type"] != "AWS::Lambda::Function" or not (isinstance(role, dict) and "Fn::GetAtt" in role):
            continue
        role_props = resources[role["Fn::GetAtt"][0]]["Properties"]
        inline = [intrinsics.resolve(p["PolicyDocument"]) for p in role_props.get("Policies", [])]
        found[logical_id] = inline + [_managed(arn) for arn in role_props.get("ManagedPolicyArns", [])]
    return found


def _sqs_arn(queue_url: str, region: str) -> str:
    account, name = queue_url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{region}:{account}:{name}"


def _tables(params: Mapping[str, Any]) -> Iterator[str]:
    if "TableName" in params:
        yield str(params["TableName"]) + (f"/index/{params['IndexName']}" if params.get("IndexName") else "")
    yield from params.get("RequestItems", {})
    for item in params.get("TransactItems", []):
        yield from (str(op["TableName"]) for op in item.values() if isinstance(op, dict))


def resources(service: str, params: Mapping[str, Any], region: str, account: str) -> list[str]:
    """The ARNs a call acts on, as IAM authorises it ("*" for calls with no resource-level permission)."""
    if service == "sqs" and "QueueUrl" in params:
        return [_sqs_arn(str(params["QueueUrl"]), region)]
    if service == "dynamodb":
        return [f"arn:aws:dynamodb:{region}:{account}:table/{t}" for t in _tables(params)] or ["*"]
    for key in ("stateMachineArn", "executionArn", "TopicArn", "TargetArn", "SecretId"):
        if key in params:
            return [str(params[key])]
    if service == "lambda" and "FunctionName" in params:
        name = str(params["FunctionName"])
        return [name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"]
    return ["*"]


class Permissions:
    """The functions' policies, and the check of one call against them."""

    def __init__(self, policies: Mapping[str, list[dict[str, Any]]]) -> None:
        self._policies = {
            name: [IAMPolicy(json.dumps(doc)) for doc in docs] for name, docs in policies.items()
        }

    def allows(self, function: str, action: str, resource: str) -> bool:
        """Whether the function's role allows the action on the resource (an explicit Deny wins)."""
        results = [p.is_action_permitted(action, resource) for p in self._policies.get(function, [])]
        return PermissionResult.DENIED not in results and PermissionResult.PERMITTED in results


def _denied(service: str, operation: str, message: str) -> ClientError:
    status = 403 if service in _DENIED_CODE else 400
    return client_error(operation, _DENIED_CODE.get(service, "AccessDeniedException"), message, status)


class IamGuard:
    """Checks the AWS calls made inside a function against its role (an `aws_calls` check)."""

    def __init__(
        self,
        permissions: Permissions,
        current: Callable[[], Invocation | None],
        region: str,
        account: str,
        role_arn: Callable[[str], str],
    ) -> None:
        self._permissions = permissions
        self._current = current
        self._region = region
        self._account = account
        self._role_arn = role_arn

    def check(self, service: str, operation: str, params: Mapping[str, Any]) -> None:
        """Raise AccessDenied as the service would when the running function may not make this call."""
        invocation = self._current()
        if invocation is None:
            return
        action = f"{service}:{_SINGLE_ACTION.get(service, {}).get(operation, operation)}"
        for resource in resources(service, params, self._region, self._account):
            if not self._permissions.allows(invocation.function, action, resource):
                raise _denied(
                    service,
                    operation,
                    f"User: {self._role_arn(invocation.function)} is not authorized to perform: {action} "
                    f"on resource: {resource} because no identity-based policy allows the {action} action",
                )
