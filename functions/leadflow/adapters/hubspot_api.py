"""HubSpot's date-based REST API: every path leadflow calls, on one version, and the transport that calls it.

From 2026-03-30 HubSpot's APIs are versioned by date (`/crm/objects/2026-09/...`); v4 (associations,
automation actions and their callbacks) is unsupported from 2027-03-30, v1-v3 from September 2027
(https://developers.hubspot.com/changelog/legacy-apis-and-legacy-apps-whats-going-unsupported-and-when,
https://developers.hubspot.com/docs/api-reference/legacy/migration-guide). The paths below are those of
HubSpot's published 2026-09 specs (github.com/HubSpot/HubSpot-public-api-spec-collection, PublicApiSpecs/
CRM/{Objects,Contacts,Associations,Crm Owners,Pipelines,Properties}/.../2026-09 and Automation/Actions V4/
.../2026-09); moving to the next version is changing API_VERSION and checking those specs' changes.

hubspot-api-client 12 has no dated paths (its generated APIs are v3/v4). Its generated transport is
version-agnostic, so leadflow calls the dated paths through it: one `ApiClient` (urllib3 connection pool,
the bearer token, `urllib3.Retry` as `retries`, `ApiException` for any status outside 2xx), with JSON bodies
written from the specs instead of the v3 model classes. HubSpot's own new SDK (`hubspot-sdk`) is an
alpha, on 2026-03 paths and httpx, where `HubSpotRetry` (a urllib3 Retry) cannot plug in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

from hubspot.crm.objects.api_client import ApiClient
from hubspot.crm.objects.configuration import Configuration
from urllib3.util.retry import Retry

from leadflow.adapters.hubspot_errors import CALL_BUDGET, CallBudget, batch_refusal, log_warnings, translate
from leadflow.adapters.hubspot_pacer import HubSpotPacer
from leadflow.app.ports import HubSpotUnavailable
from leadflow.observability import logger

API_VERSION: Final = "2026-09"
REQUEST_TIMEOUT_S: Final = (3.05, 20.0)
# What a function keeps for itself after its last HubSpot call (writing the outcome, answering), and
# the least time worth starting a call with.
CALL_RESERVE_S: Final = 2.0
MIN_CALL_S: Final = 1.0
# What a function keeps after waiting for a slot in the HubSpot budget: the call itself and the work
# after it (a hand-off's batch of records and task tokens, a lead-events batch's journeys).
PACED_CALL_S: Final = 10.0
Json = dict[str, Any]
# Every answer leadflow reads is JSON; 207 is the legacy multi-status of a batch with errors, which dated
# batches may answer in a 200 instead (both are read the same way).
_JSON_ANSWERS: Final = {200: "object", 201: "object", 207: "object"}


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def object_path(object_type: str, *rest: str) -> str:
    """`/crm/objects/2026-09/{objectType}[/...]`: the CRM objects API (records, batches, search)."""
    return "/".join((f"/crm/objects/{API_VERSION}/{_seg(object_type)}", *map(_seg, rest)))


def associations_read_path(from_type: str, to_type: str) -> str:
    """`POST /crm/associations/2026-09/{from}/{to}/batch/read`: a record's associations, paged per record
    (the 2026-09 spec has no single-record listing; 2026-03 had one)."""
    return f"/crm/associations/{API_VERSION}/{_seg(from_type)}/{_seg(to_type)}/batch/read"


def owners_path() -> str:
    """`GET /crm/owners/2026-09`: the portal's owners, paged."""
    return f"/crm/owners/{API_VERSION}"


def pipelines_path(object_type: str) -> str:
    """`GET /crm/pipelines/2026-09/{objectType}`: an object's pipelines with their stages."""
    return f"/crm/pipelines/{API_VERSION}/{_seg(object_type)}"


def properties_path(object_type: str, *rest: str) -> str:
    """`/crm/properties/2026-09/{objectType}[/...]`: property definitions and groups."""
    return "/".join((f"/crm/properties/{API_VERSION}/{_seg(object_type)}", *map(_seg, rest)))


def callback_path(callback_id: str) -> str:
    """`POST /automation/actions/callbacks/2026-09/{callbackId}/complete`: let a blocked workflow go on."""
    return f"/automation/actions/callbacks/{API_VERSION}/{_seg(callback_id)}/complete"


class HubSpotApi:
    """Calls HubSpot's dated paths through hubspot-api-client's transport; one connection pool."""

    def __init__(
        self,
        access_token: str,
        base_url: str,
        retry: Retry | None = None,
        time_left: Callable[[], float | None] = lambda: None,
        pacer: HubSpotPacer | None = None,
    ) -> None:
        configuration = Configuration(host=base_url.rstrip("/"))
        configuration.access_token = access_token
        configuration.retries = retry
        self._client = ApiClient(configuration)
        self._client.user_agent = "leadflow (hubspot-api-client)"
        self._time_left = time_left
        self._pacer = pacer

    def _budget(self) -> tuple[tuple[float, float], CallBudget | None]:
        """Each attempt's (connect, read) timeout, and the budget of the whole call (None: no deadline).

        Inside a Lambda invocation a call, its retries and their waits end CALL_RESERVE_S before the
        function's timeout: Lambda's timeout would reach the journey as an error that says nothing of
        HubSpot, while HubSpotUnavailable is retried like any outage.
        """
        left = self._time_left()
        if left is None:
            return REQUEST_TIMEOUT_S, None
        usable = left - CALL_RESERVE_S
        if usable < MIN_CALL_S:
            raise HubSpotUnavailable(f"HubSpot not called: {left:.1f} s left before the function times out")
        connect = min(REQUEST_TIMEOUT_S[0], usable / 2)
        read = min(REQUEST_TIMEOUT_S[1], usable - connect)
        return (connect, read), CallBudget(time.monotonic() + usable, connect + read)

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        query: Sequence[tuple[str, Any]] = (),
        sent: Mapping[str, str] | None = None,
    ) -> Json:
        """One request; its JSON answer ({} for 204). Errors come out as leadflow's typed errors (`sent`:
        the properties written, so a refusal names each with its value); the warnings an answer carries
        are logged, and the errors a batch answer carries in a 200 or a 207 are the caller's to read.
        With a pacer, the call first waits for its slot in the HubSpot budget (HubSpotBusy when it would
        wait too long)."""
        if self._pacer is not None:
            left = self._time_left()
            self._pacer.wait_turn(path, None if left is None else left - CALL_RESERVE_S - PACED_CALL_S)
        timeout, budget = self._budget()
        token = CALL_BUDGET.set(budget)
        try:
            answer, _status, _headers = self._client.call_api(
                path,
                method,
                query_params=list(query),
                header_params={"Accept": "application/json", "Content-Type": "application/json"},
                body=dict(body) if body is not None else None,
                response_types_map=_JSON_ANSWERS,
                auth_settings=["oauth2"],
                _return_http_data_only=False,
                _request_timeout=timeout,
            )
        except Exception as exc:
            if type(exc).__module__.startswith(("hubspot", "urllib3")):
                raise translate(exc, sent) from exc
            raise
        finally:
            CALL_BUDGET.reset(token)
        found: Json = answer if isinstance(answer, dict) else {}
        log_warnings(found, path)
        return found

    def batch(
        self,
        path: str,
        body: Mapping[str, Any],
        sent: Mapping[str, str] | None = None,
        missing_ok: bool = False,
    ) -> Json:
        """A batch call whose errors (in a 200 or a 207) fail it, except, with `missing_ok`, records HubSpot
        does not have (a read leaves them out)."""
        answer = self.call("POST", path, body, sent=sent)
        refusal = batch_refusal(answer, sent or {}, missing_ok=missing_ok)
        if refusal is not None:
            logger.warning("HubSpot refused part of a batch", path=path, error=str(refusal))
            raise refusal
        return answer
