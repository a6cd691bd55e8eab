"""Validation errors of the configuration file, said the way its author wrote it.

pydantic locates an error by keys and list positions (`scoring.fit.rules.13.gtee`); a RevOps
author knows their rules by name. Each list item with a `name` (a rule, a persona) or an `email` (a
member) is named by it, others by their 1-based place (`sla.escalation[#2]`); an unknown key or value
gets the closest known one as a suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

# The keys that name a list item, in the order they are tried.
_ITEM_NAMES = ("name", "email")


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the known word closest to `word`, or nothing when none is close."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def problems(exc: ValidationError, data: object, model: type[BaseModel]) -> list[str]:
    """One line per error: where (rules by name), what, and what was probably meant."""
    schema = model.model_json_schema(by_alias=True)
    return [_line(err, data, schema) for err in exc.errors()]


def _line(err: Mapping[str, Any], data: object, schema: dict[str, Any]) -> str:
    loc: Sequence[str | int] = err["loc"]
    if err["type"] == "extra_forbidden" and loc:
        allowed = _keys_at(schema, loc[:-1])
        where = where_in(data, loc[:-1]) or "(top level)"
        return f"{where}: unknown key {str(loc[-1])!r}" + did_you_mean(str(loc[-1]), allowed)
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "literal_error":
        expected = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        given = err.get("input")
        if isinstance(given, str):
            message = f"{given!r} is not allowed: {message[0].lower()}{message[1:]}"
            message += did_you_mean(given, expected)
    return f"{where_in(data, loc) or '(top level)'}: {message}"


def where_in(data: object, loc: Sequence[str | int]) -> str:
    """A location as its author reads it: `scoring.fit.rules[executive].gtee`."""
    parts: list[str] = []
    node: Any = data
    for key in loc:
        if isinstance(key, int):
            item = node[key] if isinstance(node, list) and key < len(node) else None
            names = [item.get(k) for k in _ITEM_NAMES] if isinstance(item, dict) else []
            label = next((n for n in names if isinstance(n, str)), f"#{key + 1}")
            parts.append(f"[{label}]")
            node = item
            continue
        parts.append(f".{key}" if parts else str(key))
        node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts)


def _keys_at(schema: dict[str, Any], loc: Sequence[str | int]) -> list[str]:
    """The keys the schema allows at a location (empty when it cannot say)."""
    node: dict[str, Any] | None = _resolve(schema, schema)
    for key in loc:
        if node is None:
            return []
        if isinstance(key, int):
            node = _resolve(schema, node.get("items"))
        elif key in node.get("properties", {}):
            node = _resolve(schema, node["properties"][key])
        else:
            extra = node.get("additionalProperties")
            node = _resolve(schema, extra) if isinstance(extra, dict) else None
    return list((node or {}).get("properties", {}))


def _resolve(schema: dict[str, Any], node: object) -> dict[str, Any] | None:
    """A schema node with its `$ref` followed and, for an optional value, its non-null branch."""
    if not isinstance(node, dict):
        return None
    if "$ref" in node:
        return _resolve(schema, schema["$defs"][str(node["$ref"]).rsplit("/", 1)[-1]])
    for branch in node.get("anyOf", ()):
        if isinstance(branch, dict) and branch.get("type") != "null":
            return _resolve(schema, branch)
    return node
