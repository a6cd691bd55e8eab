"""Resolves the CloudFormation intrinsic functions template.yaml uses, against local resources."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from leadflow_cli.local.template import TemplateError

# What `!Ref AWS::NoValue` resolves to: the property it sets is left out.
NO_VALUE: Final = object()


class Intrinsics:
    """Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split, Fn::Select and Fn::If (with the template's
    Conditions) over the local runtime's resources."""

    def __init__(
        self,
        refs: Mapping[str, str],
        attributes: Mapping[str, Mapping[str, str]],
        conditions: Mapping[str, Any] | None = None,
    ) -> None:
        self._refs = refs
        self._attrs = attributes
        self._conditions = conditions or {}

    def condition(self, name: str) -> bool:
        """Whether one of the template's Conditions holds."""
        if name not in self._conditions:
            raise TemplateError(f"Condition {name}: no such condition")
        return self._holds(self._conditions[name])

    def _holds(self, value: Any) -> bool:
        ((key, arg),) = value.items()
        if key == "Condition":
            return self.condition(str(arg))
        if key == "Fn::Equals":
            left, right = (self.resolve(v) for v in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self._holds(arg[0])
        if key == "Fn::And":
            return all(self._holds(v) for v in arg)
        if key == "Fn::Or":
            return any(self._holds(v) for v in arg)
        raise TemplateError(f"{key} is not a condition function the local runtime knows")

    def ref(self, name: str) -> str:
        """The value of !Ref name (a parameter, a pseudo parameter or a resource)."""
        try:
            return self._refs[name]
        except KeyError:
            raise TemplateError(f"!Ref {name}: no such parameter or local resource") from None

    def get_att(self, name: str, attribute: str) -> str:
        """The value of !GetAtt name.attribute."""
        try:
            return self._attrs[name][attribute]
        except KeyError:
            raise TemplateError(f"!GetAtt {name}.{attribute}: not available locally") from None

    def _sub(self, text: str, extra: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in extra:
                return str(self.resolve(extra[key]))
            if "." in key:
                return self.get_att(*key.split(".", 1))
            return self.ref(key)

        return re.sub(r"\$\{([^}!][^}]*)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic function inside a value."""
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return NO_VALUE if arg == "AWS::NoValue" else self.ref(str(arg))
            if key == "Fn::If":
                name, then, otherwise = arg
                return self.resolve(then if self.condition(str(name)) else otherwise)
            if key == "Fn::GetAtt":
                name, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return self.get_att(name, attribute)
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    return self._sub(str(arg[0]), arg[1])
                return self._sub(str(arg), {})
            if key == "Fn::Join":
                separator, items = arg
                return str(separator).join(str(self.resolve(i)) for i in items)
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(str(separator))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
        if isinstance(value, dict):
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            return [v for v in (self.resolve(v) for v in value) if v is not NO_VALUE]
        return value
