"""A request body read as JSON, refusing what leadflow cannot carry further.

`json.loads` takes things no sender of valid JSON writes and leadflow could not queue or store:
`NaN` and `Infinity` (not JSON, RFC 8259 section 6), numbers too large for a float, nesting deep
enough to exhaust the parser's recursion (a RecursionError, not a ValueError), and strings SQS and
DynamoDB refuse (`leadflow.core.text`). Each is refused here, naming where it is, before any model
sees the body; the walk is iterative, so no body is too deep for it.

A string SQS cannot store is refused in what an outside tool wrote (`replace=False`). In what HubSpot
sends, it is replaced by U+FFFD instead: HubSpot's records hold whatever a public form or an API
client put in them, and refusing a delivery for one contact's value would drop the events of every
other contact in it once HubSpot stops retrying.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

from leadflow.core.text import storable, unstorable

# Deeper than any body HubSpot or a signals tool sends (a contacts API record nests five levels),
# and far below what the parsers that read the queue back accept.
MAX_DEPTH: Final = 32


class JsonBodyError(ValueError):
    """The body is not JSON leadflow takes; the message names where and why."""


def _no_constant(name: str) -> Any:
    raise JsonBodyError(f"body is not JSON: {name} is not a JSON number")


def read_json(raw: str, *, replace: bool = False) -> Any:
    """The body parsed, or JsonBodyError naming the first thing leadflow cannot take; with `replace`,
    characters SQS cannot store are replaced by U+FFFD rather than refused."""
    try:
        parsed = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise JsonBodyError(f"body nests deeper than {MAX_DEPTH} levels") from None
    except JsonBodyError:
        raise
    except ValueError as exc:
        raise JsonBodyError(f"body is not JSON: {exc}") from None
    if isinstance(parsed, str):
        return _text(parsed, "body", replace)
    _walk(parsed, replace)
    return parsed


def _walk(body: Any, replace: bool) -> None:
    stack: list[tuple[Any, str, int]] = [(body, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        if not isinstance(node, dict | list):
            if isinstance(node, float) and not math.isfinite(node):
                raise JsonBodyError(f"{where or 'body'}: number out of range")
            continue
        if depth >= MAX_DEPTH:
            raise JsonBodyError(f"{where or 'body'}: nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key in [k for k in node if unstorable(k)]:
                node[_text(key, f"{where or 'body'}: a key", replace)] = node.pop(key)
            entries: list[tuple[Any, Any]] = list(node.items())
        else:
            entries = list(enumerate(node))
        for key, item in entries:
            path = f"{where}.{key}" if where else str(key)
            if isinstance(item, str):
                node[key] = _text(item, path, replace)
            else:
                stack.append((item, path, depth + 1))


def _text(text: str, where: str, replace: bool) -> str:
    bad = unstorable(text)
    if bad is None:
        return text
    if replace:
        return storable(text)
    raise JsonBodyError(f"{where}: contains {bad}, a character leadflow cannot store")
