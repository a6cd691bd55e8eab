"""Reads template.yaml into the pieces the local runtime serves.

CloudFormation's short-form tags (!Ref, !GetAtt, !Sub ...) are not YAML that PyYAML
knows; the loader below maps each to its long form. cfn-lint's decoder does the same
but is a development tool, and the runtime must not depend on it.

SAM's `!Ref <Function>.Alias` (the alias AutoPublishAlias creates, whose Ref is the alias ARN) is
rewritten to that ARN, `<function ARN>:<alias>`: locally there is one copy of each function, and an
invocation by a qualified ARN reaches it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class TemplateError(ValueError):
    """template.yaml uses something the local runtime cannot serve; the message says what."""


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


@dataclass(frozen=True)
class ApiRoute:
    """One API Gateway route of a function."""

    method: str
    path: str
    function: str


@dataclass(frozen=True)
class SqsSource:
    """One SQS event source mapping of a function."""

    queue: str
    function: str
    batch_size: int
    window_s: float
    report_failures: bool


@dataclass
class FunctionSpec:
    """A Lambda function: its handler, and its environment, timeout and reserved concurrency as the
    template writes them (intrinsic functions unresolved)."""

    logical_id: str
    handler: str
    environment: dict[str, Any] = field(default_factory=dict)
    timeout: Any = None
    reserved_concurrency: Any = None


@dataclass
class Template:
    """The parts of a SAM template the local runtime needs."""

    root: Path
    parameters: dict[str, dict[str, Any]]
    conditions: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    functions: dict[str, FunctionSpec]
    routes: list[ApiRoute]
    sqs_sources: list[SqsSource]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """The resources of one CloudFormation type, by logical id."""
        return {k: v for k, v in self.resources.items() if v.get("Type") == resource_type}

    def state_machine_definition(self, logical_id: str) -> tuple[str, dict[str, Any]]:
        """A state machine's ASL text (before substitution) and its DefinitionSubstitutions."""
        props = self.resources[logical_id].get("Properties", {})
        if "DefinitionUri" in props:
            text = (self.root / str(props["DefinitionUri"])).read_text(encoding="utf-8")
        elif "Definition" in props:
            text = json.dumps(props["Definition"])
        else:
            raise TemplateError(f"{logical_id}: needs Definition or DefinitionUri")
        return text, dict(props.get("DefinitionSubstitutions", {}))


def _with_alias_arns(value: Any, aliases: dict[str, Any]) -> Any:
    """`value` with every `{"Ref": "<Function>.Alias"}` as the alias ARN, `<function ARN>:<alias>`."""
    if isinstance(value, dict):
        ref = value.get("Ref") if len(value) == 1 else None
        if isinstance(ref, str) and ref.endswith(".Alias") and ref.removesuffix(".Alias") in aliases:
            function = ref.removesuffix(".Alias")
            alias = aliases[function]
            if alias is None:
                raise TemplateError(f"!Ref {ref}: {function} has no AutoPublishAlias")
            arn = {"Fn::GetAtt": [function, "Arn"]}
            return {"Fn::Sub": ["${Arn}:${Alias}", {"Arn": arn, "Alias": alias}]}
        return {k: _with_alias_arns(v, aliases) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_alias_arns(v, aliases) for v in value]
    return value


def load_template(path: str | Path) -> Template:
    """Parse a SAM template file."""
    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"cannot read {path}: {exc}") from None
    globals_fn = (doc.get("Globals") or {}).get("Function", {})
    aliases = {
        logical_id: (res.get("Properties") or {}).get("AutoPublishAlias", globals_fn.get("AutoPublishAlias"))
        for logical_id, res in (doc.get("Resources") or {}).items()
        if res.get("Type") == "AWS::Serverless::Function"
    }
    resources: dict[str, dict[str, Any]] = _with_alias_arns(doc.get("Resources") or {}, aliases)
    global_env = dict((globals_fn.get("Environment") or {}).get("Variables") or {})
    functions: dict[str, FunctionSpec] = {}
    routes: list[ApiRoute] = []
    sources: list[SqsSource] = []
    for logical_id, res in resources.items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res.get("Properties", {})
        env = {**global_env, **((props.get("Environment") or {}).get("Variables") or {})}
        functions[logical_id] = FunctionSpec(
            logical_id,
            str(props["Handler"]),
            env,
            props.get("Timeout", globals_fn.get("Timeout")),
            props.get("ReservedConcurrentExecutions", globals_fn.get("ReservedConcurrentExecutions")),
        )
        for event_id, ev in (props.get("Events") or {}).items():
            ev_props = ev.get("Properties", {})
            if ev.get("Type") == "Api":
                routes.append(ApiRoute(str(ev_props["Method"]).upper(), str(ev_props["Path"]), logical_id))
            elif ev.get("Type") == "SQS":
                queue = ev_props["Queue"]
                if not (isinstance(queue, dict) and "Fn::GetAtt" in queue):
                    raise TemplateError(f"{logical_id}.{event_id}: Queue must be !GetAtt <Queue>.Arn")
                sources.append(
                    SqsSource(
                        queue=queue["Fn::GetAtt"][0],
                        function=logical_id,
                        batch_size=int(ev_props.get("BatchSize", 10)),
                        window_s=float(ev_props.get("MaximumBatchingWindowInSeconds", 0)),
                        report_failures="ReportBatchItemFailures"
                        in (ev_props.get("FunctionResponseTypes") or []),
                    )
                )
    return Template(
        path.parent,
        doc.get("Parameters") or {},
        doc.get("Conditions") or {},
        resources,
        functions,
        routes,
        sources,
    )


def route_pattern(path: str) -> re.Pattern[str]:
    """A regex for an API Gateway path with {param} segments."""
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")
