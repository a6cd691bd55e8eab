"""The stand-in's automation state: custom workflow action definitions, and the executions that block.

Rules from HubSpot's custom workflow actions documentation
(https://developers.hubspot.com/docs/api/automation/custom-workflow-actions):
- a definition needs `actionUrl`, `objectTypes`, `inputFields`, `published` and English labels with
  an `actionName`; input and output fields each need a `typeDefinition` with `name` and `type`;
- an execution answered `hs_execution_state: BLOCK` waits until
  `POST /automation/v4/actions/callbacks/{callbackId}/complete` (answered 204) or until its
  `hs_expiration_duration` (ISO 8601, one week when not given) runs out; then the workflow goes on;
- a completion must say `hs_execution_state` SUCCESS or FAIL_CONTINUE.
HubSpot does not document what completing an unknown, expired or already completed callback
answers; the stand-in refuses each with a 400 naming the reason (leadflow treats any 4xx but 429
as final), which is the strictest reading.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from leadflow_cli.hubspot_standin.store import StandInError

DEFAULT_BLOCK: Final = timedelta(weeks=1)
_DURATION: Final = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
_FINAL_STATES: Final = ("SUCCESS", "FAIL_CONTINUE")


def iso_duration(text: str) -> timedelta:
    """An ISO 8601 duration as HubSpot's block expiration takes it (`P1WT1H`, `P30D`, `PT90S`)."""
    match = _DURATION.match(text or "")
    if not match or text in ("P", "PT"):
        raise StandInError(
            400, "VALIDATION_ERROR", f"hs_expiration_duration {text!r} is not an ISO 8601 duration"
        )
    return timedelta(**{k: int(v) for k, v in match.groupdict().items() if v})


@dataclass
class Blocked:
    """An execution that answered BLOCK: it waits for its completion or its expiry."""

    callback_id: str
    expires_at: datetime
    state: str = "BLOCKED"  # then COMPLETED or EXPIRED
    outputs: dict[str, str] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)


def _check_definition(body: dict[str, Any]) -> None:
    missing = [k for k in ("actionUrl", "objectTypes", "inputFields", "published", "labels") if k not in body]
    if missing:
        raise StandInError(400, "VALIDATION_ERROR", f"Missing required fields: {', '.join(missing)}")
    labels = body.get("labels")
    english = labels.get("en") if isinstance(labels, dict) else None
    if not isinstance(english, dict) or not english.get("actionName"):
        raise StandInError(400, "VALIDATION_ERROR", "labels.en.actionName is required")
    for kind in ("inputFields", "outputFields"):
        fields = body.get(kind) or []
        if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
            raise StandInError(400, "VALIDATION_ERROR", f"{kind} must be an array of field definitions")
        for spec in fields:
            definition = spec.get("typeDefinition")
            if not isinstance(definition, dict) or not definition.get("name") or not definition.get("type"):
                raise StandInError(
                    400, "VALIDATION_ERROR", f"every {kind} entry needs typeDefinition name and type"
                )


class Automation:
    """Action definitions per app, and blocked executions by callback id."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._ids = itertools.count(1001)
        self._definitions: dict[tuple[str, str], dict[str, Any]] = {}
        self._blocked: dict[str, Blocked] = {}

    def create_definition(self, app_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """A new definition of the app's (201)."""
        _check_definition(body)
        with self._lock:
            definition_id = str(next(self._ids))
            stored = {
                **body,
                "id": definition_id,
                "revisionId": "1",
                "functions": body.get("functions") or [],
            }
            self._definitions[(app_id, definition_id)] = stored
            return dict(stored)

    def install(self, app_id: str, uid: str, component: dict[str, Any]) -> str:
        """A project's workflow-action component (its `config`), as `hs project upload` installs it: a
        definition of the app's (`isPublished` is the definition's `published`); its id."""
        body = {k: v for k, v in component.items() if k not in ("isPublished", "supportedClients")}
        return str(
            self.create_definition(app_id, {**body, "published": bool(component.get("isPublished"))})["id"]
        )

    def update_definition(self, app_id: str, definition_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """The definition with `patch` applied: a new revision."""
        with self._lock:
            current = self._definitions.get((app_id, definition_id))
            if current is None:
                raise StandInError(404, "OBJECT_NOT_FOUND", f"action definition {definition_id} not found")
            merged = {
                **current,
                **patch,
                "id": definition_id,
                "revisionId": str(int(current["revisionId"]) + 1),
            }
            _check_definition(merged)
            self._definitions[(app_id, definition_id)] = merged
            return dict(merged)

    def definitions(self, app_id: str) -> list[dict[str, Any]]:
        """The app's definitions."""
        with self._lock:
            return [dict(d) for (app, _), d in self._definitions.items() if app == app_id]

    def definition(self, app_id: str, definition_id: str) -> dict[str, Any]:
        """One definition, or a 404."""
        with self._lock:
            found = self._definitions.get((app_id, definition_id))
        if found is None:
            raise StandInError(404, "OBJECT_NOT_FOUND", f"action definition {definition_id} not found")
        return dict(found)

    def block(self, callback_id: str, expiration: str | None) -> Blocked:
        """An execution answered BLOCK: it waits until completed or `expiration` (ISO 8601) passes."""
        expires = self._clock() + (iso_duration(expiration) if expiration else DEFAULT_BLOCK)
        with self._lock:
            blocked = self._blocked[callback_id] = Blocked(callback_id, expires)
            return blocked

    def complete(self, callback_id: str, outputs: dict[str, Any]) -> None:
        """Complete a blocked execution with its outputs; a 400 when it cannot be completed."""
        state = str(outputs.get("hs_execution_state", ""))
        if state not in _FINAL_STATES:
            raise StandInError(400, "VALIDATION_ERROR", "hs_execution_state must be SUCCESS or FAIL_CONTINUE")
        with self._lock:
            blocked = self._blocked.get(callback_id)
            if blocked is None:
                raise StandInError(
                    400, "VALIDATION_ERROR", f"callback {callback_id} is not a blocked execution"
                )
            self._expire(blocked)
            if blocked.state != "BLOCKED":
                raise StandInError(
                    400, "VALIDATION_ERROR", f"callback {callback_id} is {blocked.state.lower()}"
                )
            blocked.state, blocked.outputs = "COMPLETED", {k: str(v) for k, v in outputs.items()}
        blocked.done.set()

    def _expire(self, blocked: Blocked) -> None:
        if blocked.state == "BLOCKED" and self._clock() >= blocked.expires_at:
            blocked.state = "EXPIRED"
            blocked.done.set()

    def blocked(self, callback_id: str) -> Blocked:
        """A blocked execution as it is now (expired once its time has passed)."""
        with self._lock:
            blocked = self._blocked[callback_id]
            self._expire(blocked)
            return blocked
