"""A portal admin's validation rules, which HubSpot enforces on API writes from the 2026-09 version on.

https://developers.hubspot.com/changelog/crm-api-write-validation-enforcement: "Starting with the /2026-09/
API version [...] HubSpot will enforce admin-configured validation rules on all CRM API write paths":
- a property required on the object's Create Record form (record creator settings) must be given on
  create: 400 VALIDATION_ERROR, `errors[].code` MISSING_REQUIRED_PROPERTY ("A value for <name> must be
  provided");
- a conditionally required property ("close_date becomes required when dealstage is set to closedwon")
  must be there when the rule's condition holds: MISSING_CONDITIONAL_REQUIRED_PROPERTY ("<name> is
  required because of a conditional property rule based on [<controlling property>]");
each error names the property in `context.propertyName`. Earlier versions (v3, 2026-03) ignore the rules.

HubSpot does not say exactly when an update trips a conditional rule. The stand-in's reading: when the
record after the write meets the condition, the property is empty after it, and the write sets the
controlling property or the required one; a write of unrelated properties is let through. A batch is
refused whole, as for any invalid input.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

MISSING: Final = "MISSING_REQUIRED_PROPERTY"
MISSING_CONDITIONAL: Final = "MISSING_CONDITIONAL_REQUIRED_PROPERTY"


@dataclass(frozen=True)
class ConditionalRule:
    """`required` must have a value whenever `when` has the value `equals`."""

    required: str
    when: str
    equals: str


class PortalRules:
    """The rules of one portal, by object type (plural API names: contacts, deals, leads, ...)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._on_create: dict[str, set[str]] = {}
        self._conditional: dict[str, list[ConditionalRule]] = {}

    def require_on_create(self, object_type: str, name: str) -> None:
        """The admin makes a property required on the object's Create Record form."""
        with self._lock:
            self._on_create.setdefault(object_type, set()).add(name)

    def require_when(self, object_type: str, name: str, when: str, equals: str) -> None:
        """The admin makes a property required when another property has a value."""
        with self._lock:
            self._conditional.setdefault(object_type, []).append(ConditionalRule(name, when, equals))

    def problems(
        self, object_type: str, before: Mapping[str, Any], written: Mapping[str, Any], creating: bool
    ) -> list[dict[str, Any]]:
        """HubSpot's `errors[]` entries for a write these rules refuse; [] when they let it through."""
        after = {**before, **written}
        with self._lock:
            on_create = sorted(self._on_create.get(object_type, ())) if creating else []
            conditional = list(self._conditional.get(object_type, ()))
        errors = [
            _error(MISSING, name, f"A value for {name} must be provided")
            for name in on_create
            if not after.get(name)
        ]
        for rule in conditional:
            touched = rule.when in written or rule.required in written
            if touched and str(after.get(rule.when) or "") == rule.equals and not after.get(rule.required):
                text = (
                    f"{rule.required} is required because of a conditional property rule based on "
                    f"[{rule.when}]"
                )
                errors.append(_error(MISSING_CONDITIONAL, rule.required, text))
        return errors


def _error(code: str, name: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "context": {"propertyName": [name]}}
