"""Resolves the CloudFormation intrinsic functions template.yaml uses, against local resources."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from leadflow_cli.local.template import TemplateError


class Intrinsics:
    """Ref, Fn::GetAtt, Fn::Sub and Fn::Join over the local runtime's resources."""

    def __init__(self, refs: Mapping[str, str], attributes: Mapping[str, Mapping[str, str]]) -> None:
        self._refs = refs
        self._attrs = attributes

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
                return self.ref(str(arg))
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
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value
