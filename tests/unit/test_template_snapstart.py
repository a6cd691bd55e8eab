"""template.yaml's SnapStart option: off unless chosen, and published versions behind an alias either way.

SnapStart snapshots published versions only, so every function publishes one behind the `live`
alias, which API Gateway, the SQS event source and the state machine invoke; the `SnapStart`
parameter only decides whether those versions are snapshotted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadflow_cli.local.intrinsics import Intrinsics
from leadflow_cli.local.lambdas import LocalLambdas
from leadflow_cli.local.template import TemplateError, _CfnLoader, load_template
from tests.conftest import ROOT

TEMPLATE = ROOT / "template.yaml"


def parsed() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    return doc


def functions(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each function's properties with the Globals they inherit (a function's own value wins)."""
    globals_fn = doc["Globals"]["Function"]
    return {
        logical_id: {**globals_fn, **res["Properties"]}
        for logical_id, res in doc["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function"
    }


def resolve(value: Any, doc: dict[str, Any], parameters: dict[str, str]) -> Any:
    """`value` with its conditions (Fn::If) and parameter Refs decided for these parameter values."""
    given = {name: parameters.get(name, str(p.get("Default", ""))) for name, p in doc["Parameters"].items()}

    def condition(name: str) -> bool:
        return bool(evaluate(doc["Conditions"][name]))

    def evaluate(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref" and arg in given:
                return given[arg]
            if key == "Fn::Equals":
                return str(evaluate(arg[0])) == str(evaluate(arg[1]))
            if key == "Fn::Not":
                return not evaluate(arg[0])
            if key == "Fn::If":
                return evaluate(arg[1] if condition(arg[0]) else arg[2])
        if isinstance(node, dict):
            return {k: evaluate(v) for k, v in node.items()}
        if isinstance(node, list):
            return [evaluate(v) for v in node]
        return node

    return evaluate(value)


def test_the_option_is_a_true_or_false_parameter_that_defaults_to_off() -> None:
    declared = parsed()["Parameters"]["SnapStart"]

    assert (declared["Type"], declared["Default"], set(declared["AllowedValues"])) == (
        "String",
        "false",
        {"true", "false"},
    )


@pytest.mark.parametrize(
    ("chosen", "apply_on"),
    [({}, "None"), ({"SnapStart": "false"}, "None"), ({"SnapStart": "true"}, "PublishedVersions")],
)
def test_every_function_gets_snapstart_only_when_it_is_chosen(chosen: dict[str, str], apply_on: str) -> None:
    doc = parsed()

    for logical_id, props in functions(doc).items():
        assert resolve(props["SnapStart"], doc, chosen) == {"ApplyOn": apply_on}, logical_id


def test_every_function_publishes_a_version_behind_the_live_alias_whatever_the_option() -> None:
    doc = parsed()

    for logical_id, props in functions(doc).items():
        # AutoPublishAlias takes no condition: it is a plain name, on in both settings.
        assert props["AutoPublishAlias"] == "live", logical_id
        # A version names the setting it was published with, which CloudFormation substitutes: switching
        # the setting replaces the version resource, so a new version is published (and snapshotted).
        assert "${SnapStart}" in props["VersionDescription"]["Fn::Sub"], logical_id


def test_the_state_machine_invokes_the_functions_aliases_and_is_allowed_to() -> None:
    doc = parsed()
    machine = doc["Resources"]["LeadJourneyStateMachine"]["Properties"]
    names = set(functions(doc))

    invoked, queues = set(), set()
    for placeholder, value in machine["DefinitionSubstitutions"].items():
        if placeholder.endswith("QueueUrl"):  # HandOff sends its journeys to a queue
            queues.add(value["Ref"])
            continue
        assert set(value) == {"Ref"} and value["Ref"].endswith(".Alias"), placeholder
        invoked.add(value["Ref"].removesuffix(".Alias"))
    assert invoked <= names
    assert queues == {"HandOffQueue"}
    sendable = {
        str(p["SQSSendMessagePolicy"]["QueueName"])
        for p in machine["Policies"]
        if "SQSSendMessagePolicy" in p
    }
    assert all(any(q in allowed for allowed in sendable) for q in queues), sendable
    # SAM's LambdaInvokePolicy allows `function:<name>*`: the function, its versions and its aliases.
    allowed = {
        p["LambdaInvokePolicy"]["FunctionName"]["Ref"]
        for p in machine["Policies"]
        if "LambdaInvokePolicy" in p
    }
    assert invoked <= allowed


def test_no_function_uses_what_snapstart_does_not_support() -> None:
    # https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html#snapstart-runtimes: Python 3.12 and
    # later; no provisioned concurrency, no EFS, no ephemeral storage over 512 MB.
    for logical_id, props in functions(parsed()).items():
        runtime = re.fullmatch(r"python(\d+)\.(\d+)", props["Runtime"])
        assert runtime and (int(runtime[1]), int(runtime[2])) >= (3, 12), logical_id
        assert "ProvisionedConcurrencyConfig" not in props, logical_id
        assert "FileSystemConfigs" not in props, logical_id
        assert props.get("EphemeralStorage", {}).get("Size", 512) <= 512, logical_id


def test_locally_an_alias_arn_reaches_its_function() -> None:
    tpl = load_template(TEMPLATE)
    lambdas = LocalLambdas("us-east-1", "123456789012")
    for name, spec in tpl.functions.items():
        lambdas.register(name, spec.handler)
    intrinsics = Intrinsics({}, {name: {"Arn": lambdas.arn(name)} for name in tpl.functions})

    _, substitutions = tpl.state_machine_definition("LeadJourneyStateMachine")
    for placeholder, value in substitutions.items():
        if not placeholder.endswith("FunctionArn"):
            continue
        arn = intrinsics.resolve(value)
        function = placeholder.removesuffix("Arn")
        assert arn == f"arn:aws:lambda:us-east-1:123456789012:function:{function}:live"
        assert lambdas.name_of(arn) == function


def test_an_alias_of_a_function_without_one_is_refused_locally(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Handler: app.handler}\n"
        "  Machine:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        "      Definition: {StartAt: A, States: {A: {Type: Succeed}}}\n"
        "      DefinitionSubstitutions: {FnArn: !Ref Fn.Alias}\n"
    )

    with pytest.raises(TemplateError, match=r"Fn\.Alias: Fn has no AutoPublishAlias"):
        load_template(template)
