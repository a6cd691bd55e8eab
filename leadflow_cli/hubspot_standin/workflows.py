"""HubSpot's workflow engine, for the actions that call out of HubSpot: "Send a webhook" and custom
workflow actions, with HubSpot's bodies, signatures, retries and blocking.

What it imitates, and where that comes from:
- "Send a webhook" (https://developers.hubspot.com/docs/methods/workflows/webhook_information and
  https://knowledge.hubspot.com/workflows/how-do-i-use-webhooks-with-hubspot-workflows): POST of the
  enrolled record "exactly as its object API returns it" (contacts: `vid`, `canonical-vid`,
  `properties.<name>.value` with `versions`), or a customized body of picked properties; signed
  with the app's client secret (v2, and v3 for backwards compatibility) or carrying an API key in
  a header or query parameter; retried on 5xx (from one minute after, gaps growing to eight hours,
  for three days) and on 429 after `Retry-After` (milliseconds); never after any other 4xx.
- Custom workflow actions (https://developers.hubspot.com/docs/api/automation/custom-workflow-actions):
  POST of `callbackId`, `origin`, `context`, `object` (with the properties `objectRequestOptions`
  asks for) and `inputFields` to the definition's `actionUrl`, signed v2; the answer's
  `outputFields.hs_execution_state` says SUCCESS, FAIL_CONTINUE or BLOCK (then the execution waits
  for its callback, or `hs_expiration_duration`); without one, 2xx succeeds, 4xx fails, 429 and
  5xx are retried like a webhook.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, Literal

from leadflow.webhooks.signature import sign_v3
from leadflow_cli.hubspot_standin.server import HubSpotStandIn
from leadflow_cli.local.polling import wait_for

RETRY_FOR: Final = timedelta(days=3)
FIRST_RETRY: Final = timedelta(minutes=1)
LONGEST_GAP: Final = timedelta(hours=8)


@dataclass(frozen=True)
class ApiKey:
    """The "API key" authentication of a webhook action: a name, a value, a header or query parameter."""

    name: str
    value: str
    location: Literal["header", "query"] = "header"


@dataclass(frozen=True)
class SendWebhook:
    """A "Send a webhook" action: where, which body ("all" properties, or request key -> property),
    and how it authenticates."""

    url: str
    body: Literal["all"] | Mapping[str, str] = "all"
    auth: ApiKey | None = None  # None: "Include request signature in header"


@dataclass(frozen=True)
class CustomAction:
    """A custom workflow action step: the app's definition and the values of its input fields."""

    app_id: str
    definition_id: str
    inputs: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Execution:
    """What an action did: every attempt's status (0: no connection), its state and its outputs."""

    attempts: list[int] = field(default_factory=list)
    state: str = "FAILED"  # SUCCESS, FAIL_CONTINUE, BLOCKED, COMPLETED, EXPIRED or FAILED
    outputs: dict[str, str] = field(default_factory=dict)
    callback_id: str = ""


class Workflows:
    """Runs workflow actions for enrolled contacts of the stand-in's portal."""

    def __init__(
        self,
        standin: HubSpotStandIn,
        client_secret: str,
        wait: Callable[[float], None] = time.sleep,
        portal_id: int = 62515,
    ) -> None:
        self._standin = standin
        self._secret = client_secret
        # How HubSpot lets time pass between retries (the local runtime's clock, in tests).
        self._wait = wait
        self._portal_id = portal_id
        self._executions = itertools.count(1)

    def send_webhook(self, contact_id: str, action: SendWebhook) -> Execution:
        """Run a "Send a webhook" action for an enrolled contact."""
        body = json.dumps(self._webhook_body(contact_id, action.body))
        url, headers = action.url, {"Content-Type": "application/json"}
        if action.auth is None:
            headers |= self._signature(url, body)
        elif action.auth.location == "header":
            headers[action.auth.name] = action.auth.value
        else:
            joiner = "&" if "?" in url else "?"
            url += joiner + urllib.parse.urlencode({action.auth.name: action.auth.value})
        execution = Execution()
        status, _ = self._deliver(url, body, headers, execution)
        execution.state = "SUCCESS" if 200 <= status < 300 else "FAILED"
        return execution

    def run_action(self, contact_id: str, action: CustomAction, workflow_id: int = 4201) -> Execution:
        """Run a custom workflow action for an enrolled contact; BLOCKED when its answer says BLOCK."""
        definition = self._standin.automation.definition(action.app_id, action.definition_id)
        callback_id = f"ap-{self._portal_id}-{action.definition_id}-{next(self._executions)}-0"
        wanted = (definition.get("objectRequestOptions") or {}).get("properties") or []
        props = self._standin.store.get_object("contacts", contact_id)["properties"]
        body = json.dumps(
            {
                "callbackId": callback_id,
                "origin": {
                    "portalId": self._portal_id,
                    "actionDefinitionId": int(action.definition_id),
                    "actionDefinitionVersion": int(definition["revisionId"]),
                },
                "context": {"source": "WORKFLOWS", "workflowId": workflow_id},
                "object": {
                    "objectId": int(contact_id),
                    "objectType": "CONTACT",
                    "properties": {p: props[p] for p in wanted if props.get(p)},
                },
                "inputFields": dict(action.inputs),
            }
        )
        url = definition["actionUrl"]
        execution = Execution(callback_id=callback_id)
        status, answer = self._deliver(
            url, body, {"Content-Type": "application/json"} | self._signature(url, body), execution
        )
        outputs = {k: str(v) for k, v in ((answer or {}).get("outputFields") or {}).items()}
        state = outputs.get("hs_execution_state") or ("SUCCESS" if 200 <= status < 300 else "FAILED")
        if state == "BLOCK":
            self._standin.automation.block(callback_id, outputs.get("hs_expiration_duration"))
            state = "BLOCKED"
        execution.state, execution.outputs = state, outputs
        return execution

    def finish(self, execution: Execution, timeout_s: float = 30.0) -> Execution:
        """Wait until a blocked execution is completed (its outputs) or expired; the workflow goes on then."""
        if execution.state != "BLOCKED":
            return execution
        automation = self._standin.automation
        wait_for(
            lambda: automation.blocked(execution.callback_id).state != "BLOCKED",
            timeout_s=timeout_s,
            what=f"workflow callback {execution.callback_id} to be completed",
        )
        blocked = automation.blocked(execution.callback_id)
        execution.state, execution.outputs = blocked.state, dict(blocked.outputs)
        return execution

    def _webhook_body(self, contact_id: str, body: Literal["all"] | Mapping[str, str]) -> dict[str, Any]:
        store = self._standin.store
        props = store.get_object("contacts", contact_id)["properties"]
        if body != "all":
            return {key: props.get(prop) for key, prop in body.items() if props.get(prop) is not None}
        changed = store.changed_at("contacts", contact_id)
        return {
            "vid": int(contact_id),
            "canonical-vid": int(contact_id),
            "merged-vids": [],
            "portal-id": self._portal_id,
            "is-contact": True,
            "properties": {
                name: {
                    "value": value,
                    "versions": [{"value": value, "source-type": "API", "timestamp": changed.get(name, 0)}],
                }
                for name, value in props.items()
                if value not in (None, "")
            },
        }

    def _signature(self, url: str, body: str) -> dict[str, str]:
        """The headers of "Include request signature in header": v2, and v3 with its timestamp."""
        timestamp = int(time.time() * 1000)  # signatures are about real time, whatever the clock says
        v2 = hashlib.sha256(f"{self._secret}POST{url}{body}".encode()).hexdigest()
        return {
            "X-HubSpot-Signature": v2,
            "X-HubSpot-Signature-Version": "v2",
            "X-HubSpot-Signature-v3": sign_v3(self._secret, "POST", url, body, timestamp),
            "X-HubSpot-Request-Timestamp": str(timestamp),
        }

    def _deliver(self, url: str, body: str, headers: dict[str, str], execution: Execution) -> tuple[int, Any]:
        """POST until a final answer, as HubSpot retries: 429 after Retry-After, 5xx and no connection
        on a growing schedule for three days, never after another 4xx."""
        waited, gap = timedelta(), FIRST_RETRY
        while True:
            status, answer, retry_after_ms = _post(url, body, headers)
            execution.attempts.append(status)
            if status < 500 and status != 429 and status != 0:
                return status, answer
            pause = timedelta(milliseconds=retry_after_ms) if status == 429 and retry_after_ms else gap
            if waited + pause > RETRY_FOR:
                return status, answer
            self._wait(pause.total_seconds())
            waited += pause
            if status != 429:
                gap = min(gap * 2, LONGEST_GAP)


def _post(url: str, body: str, headers: dict[str, str]) -> tuple[int, Any, int | None]:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the action's configured URL
            status, raw, retry = answer.status, answer.read(), answer.headers.get("Retry-After")
    except urllib.error.HTTPError as exc:
        status, raw, retry = exc.code, exc.read(), exc.headers.get("Retry-After")
    except (urllib.error.URLError, OSError):
        return 0, None, None
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, parsed, int(retry) if retry and retry.isdigit() else None
