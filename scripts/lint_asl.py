"""Lint every statemachines/*.asl.json with cfn-lint's Step Functions rules.

cfn-lint does not look inside AWS::Serverless::StateMachine definitions, so each
definition is wrapped in a plain AWS::StepFunctions::StateMachine resource (its
${...} placeholders as DefinitionSubstitutions) and that wrapper is linted. On top,
every placeholder must be one the SAM template substitutes.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from cfnlint.api import lint_all

from leadflow_cli.local.template import load_template

ROOT = Path(__file__).resolve().parent.parent


def _template_substitutions(template: Path, definition: Path) -> set[str] | None:
    """The DefinitionSubstitutions of the template's state machine that uses `definition`."""
    tpl = load_template(template)
    for res in tpl.of_type("AWS::Serverless::StateMachine").values():
        props = res.get("Properties", {})
        if (tpl.root / str(props.get("DefinitionUri", ""))).resolve() == definition.resolve():
            return set(props.get("DefinitionSubstitutions", {}))
    return None


def _targets(state: dict[str, Any]) -> list[str]:
    found = [state["Next"]] if "Next" in state else []
    found += [c["Next"] for c in state.get("Choices", []) if "Next" in c]
    found += [c["Next"] for c in state.get("Catch", []) if "Next" in c]
    return found + ([state["Default"]] if "Default" in state else [])


def graph_problems(machine: dict[str, Any], where: str = "") -> list[str]:
    """Transitions the schema cannot check: unknown targets, unreachable states, dead ends.

    Recurses into Parallel branches and Map iterators, which are state machines of their own.
    """
    states: dict[str, dict[str, Any]] = machine.get("States", {})
    problems = []
    if machine.get("StartAt") not in states:
        problems.append(f"{where}StartAt {machine.get('StartAt')!r} is not a state")
    for name, state in states.items():
        problems += [f"{where}{name} goes to unknown state {t!r}" for t in _targets(state) if t not in states]
        if (
            state.get("Type") not in ("Choice", "Succeed", "Fail")
            and not state.get("End")
            and "Next" not in state
        ):
            problems.append(f"{where}{name} has neither Next nor End")
        for i, branch in enumerate(state.get("Branches", [])):
            problems += graph_problems(branch, f"{where}{name}.Branches[{i}].")
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                problems += graph_problems(state[key], f"{where}{name}.{key}.")
    reachable, todo = set(), [machine.get("StartAt")]
    while todo:
        current = todo.pop()
        if current in states and current not in reachable:
            reachable.add(current)
            todo += _targets(states[current])
    problems += [f"{where}{name} is unreachable" for name in states if name not in reachable]
    return problems


def lint(definition: Path, template: Path) -> list[str]:
    """Problems found in one ASL file, as readable lines (empty when clean)."""
    try:
        asl = json.loads(definition.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"{definition}: not valid JSON: {exc}"]
    placeholders = sorted(set(re.findall(r"\$\{(\w+)\}", definition.read_text(encoding="utf-8"))))
    problems = [f"{definition}: {p}" for p in graph_problems(asl)]
    substituted = _template_substitutions(template, definition)
    if substituted is not None:
        problems += [
            f"{definition}: ${{{p}}} is not in the template's DefinitionSubstitutions"
            for p in placeholders
            if p not in substituted
        ]
    wrapper = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "sts:AssumeRole",
                                "Principal": {"Service": "states.amazonaws.com"},
                            }
                        ],
                    }
                },
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Definition": asl,
                    "DefinitionSubstitutions": {
                        p: f"arn:aws:lambda:us-east-1:123456789012:function:{p}" for p in placeholders
                    },
                },
            },
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{definition.stem}.json"
        path.write_text(json.dumps(wrapper), encoding="utf-8")
        matches = lint_all(path.read_text(encoding="utf-8"))
        # Informational rules (I*) are about the wrapper, which exists only for this check.
        problems += [f"{definition}: {m.rule.id} {m.message}" for m in matches if m.rule.id[0] in "EW"]
    return problems


def main(argv: list[str]) -> int:
    """Lint the given ASL files (default: statemachines/*.asl.json against template.yaml)."""
    files = [Path(a).resolve() for a in argv] or sorted((ROOT / "statemachines").glob("*.asl.json"))
    problems = [p for f in files for p in lint(f, ROOT / "template.yaml")]
    for problem in problems:
        print(problem)
    print(f"asl-lint: {len(files)} state machine definition(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
