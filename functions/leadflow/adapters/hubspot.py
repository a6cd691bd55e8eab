"""The HubSpot adapter: batched CRM reads and writes on HubSpot's date-based API (`hubspot_api`).

Errors come out as typed exceptions (`hubspot_errors`) whose class names the journey's Retry
rules match.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from leadflow.adapters.hubspot_api import (
    HubSpotApi,
    Json,
    associations_read_path,
    callback_path,
    object_path,
    owners_path,
)
from leadflow.adapters.hubspot_errors import HubSpotRetry, batch_refusal
from leadflow.adapters.hubspot_pacer import HubSpotPacer
from leadflow.app.ports import (
    HubSpotError,
    HubSpotRateLimited,
    HubSpotUnavailable,
    NewNote,
    NewTask,
    Properties,
)
from leadflow.core.batching import chunked
from leadflow.core.lifecycle import Prop, contact_ids
from leadflow.core.routing import Owner
from leadflow.core.text import as_html
from leadflow.observability import logger

BATCH_LIMIT: Final = 100
OWNERS_TTL_S: Final = 60.0
TASK_TO_CONTACT: Final = 204
NOTE_TO_CONTACT: Final = 202
DEAL_TO_CONTACT: Final = 3
DEAL_TO_COMPANY: Final = 341
# Leads' association types (https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/
# associate-records/guide, "Association type ID values"). A lead "must be associated with an existing
# contact" when it is created (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/
# leads/guide); its contact and company are its primary ones.
LEAD_TO_CONTACT: Final = 578
LEAD_TO_COMPANY: Final = 580
TASK_TO_LEAD: Final = 647
DEAL_TO_LEAD: Final = 1038
NOTE_TO_LEAD: Final = 855
# The default pipeline's closed stages, for portals whose deals lack the computed hs_is_closed.
_CLOSED_STAGES: Final = frozenset({"closedwon", "closedlost"})


def hubspot_ms(moment: datetime) -> str:
    """A moment as HubSpot takes it: epoch milliseconds."""
    return str(int(moment.timestamp() * 1000))


class HubSpotGateway:
    """Everything leadflow asks of HubSpot (the HubSpot port), batched to the API's limits."""

    def __init__(
        self,
        access_token: str,
        base_url: str = "https://api.hubapi.com",
        time_left: Callable[[], float | None] = lambda: None,
        pacer: HubSpotPacer | None = None,
    ) -> None:
        # Reads and updates are idempotent: retry 429 (honouring Retry-After), 5xx and dropped
        # connections. Creates are retried only when HubSpot provably did nothing: 429, or a
        # connection that failed before the request went out (read=0); anything else is left to
        # SQS redelivery and the journey's Retry, so a slow create never becomes two records.
        common: dict[str, Any] = {
            "total": 4,
            "allowed_methods": None,
            "backoff_factor": 0.5,
            "respect_retry_after_header": True,
            "raise_on_status": False,
        }
        idempotent = HubSpotRetry(status_forcelist=(429, 500, 502, 503, 504), **common)
        creates = HubSpotRetry(status_forcelist=(429,), read=0, **common)
        self._http = HubSpotApi(access_token, base_url, idempotent, time_left, pacer)
        self._creates = HubSpotApi(access_token, base_url, creates, time_left, pacer)
        self._owners_cache: tuple[float, list[Owner]] | None = None
        self._owners_lock = threading.Lock()

    def _read(self, object_type: str, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        unique = sorted(set(ids), key=int)
        props = sorted(set(properties))
        found: dict[str, Properties] = {}
        for chunk in chunked(unique, BATCH_LIMIT):
            body = {"properties": props, "propertiesWithHistory": [], "inputs": [{"id": i} for i in chunk]}
            page = self._http.batch(object_path(object_type, "batch", "read"), body, missing_ok=True)
            for record in page.get("results") or []:
                values: Properties = dict(record.get("properties") or {})
                # A merged-away id is answered with the surviving record under its own id; it is
                # found under the id asked for (its `hs_object_id` names the survivor).
                for asked in contact_ids(str(record["id"]), values):
                    if asked in chunk:
                        found[asked] = values
        return found

    def read_contacts(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        """Read contacts' properties, one batch call per 100 ids; unknown ids are left out. A contact
        merged into another is found under the id asked for, with the survivor's properties (its
        `hs_object_id` says which)."""
        return self._read("contacts", ids, {*properties, Prop.MERGED_IDS})

    def read_companies(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        """Read companies' properties, one batch call per 100 ids; unknown ids are left out."""
        return self._read("companies", ids, properties)

    @staticmethod
    def _pages(fetch: Callable[[str | None], Json]) -> Iterator[Json]:
        """Every page of a listing, following `paging.next.after` (HubSpot's cursor) to the end."""
        after: str | None = None
        while True:
            page = fetch(after)
            yield page
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def contacts_where(self, prop: str, value: str, limit: int = 1000) -> list[str]:
        """Ids of contacts whose property equals a value (search API, 100 per page, up to `limit`)."""
        filters = [{"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}]

        def page(after: str | None) -> Json:
            body = {"filterGroups": filters, "properties": ["hs_object_id"], "limit": 100, **_after(after)}
            return self._http.call("POST", object_path("contacts", "search"), body)

        ids: list[str] = []
        for found in self._pages(page):
            ids += [str(r["id"]) for r in found.get("results") or []]
            if len(ids) >= limit:
                break
        return ids[:limit]

    def update_contacts(self, updates: Mapping[str, Mapping[str, str]]) -> None:
        """Write properties to many contacts, one batch call per 100 contacts."""
        items = [(cid, dict(props)) for cid, props in updates.items() if props]
        for chunk in chunked(items, BATCH_LIMIT):
            body = {"inputs": [{"id": cid, "properties": props} for cid, props in chunk]}
            sent = {k: v for _, props in reversed(chunk) for k, v in props.items()}
            self._http.batch(object_path("contacts", "batch", "update"), body, sent=sent)

    def _update(self, object_type: str, object_id: str, properties: Mapping[str, str]) -> None:
        body = {"properties": dict(properties)}
        self._http.call("PATCH", object_path(object_type, object_id), body, sent=properties)

    def update_contact(self, contact_id: str, properties: Mapping[str, str]) -> None:
        """Write properties to one contact."""
        self._update("contacts", contact_id, properties)

    def list_owners(self, fresh: bool = False) -> list[Owner]:
        """Every owner of the portal, following pages; cached for OWNERS_TTL_S per container.

        Owners change rarely and routing asks for them on every assignment, so the cache
        saves one call per routed or escalated lead; `fresh` skips it.
        """
        # One listing at a time: steps running side by side in one process (the local runtime) wait for
        # it instead of each listing the owners again.
        with self._owners_lock:
            now = time.monotonic()
            if not fresh and self._owners_cache is not None and now - self._owners_cache[0] < OWNERS_TTL_S:
                return self._owners_cache[1]

            def page(after: str | None) -> Json:
                query = [("limit", 500), ("archived", "false"), *_after(after).items()]
                return self._http.call("GET", owners_path(), query=query)

            owners = [
                Owner(str(o["id"]), str(o.get("email") or "").lower(), not o.get("archived"))
                for p in self._pages(page)
                for o in p.get("results") or []
            ]
            self._owners_cache = (now, owners)
            return owners

    def create_task(
        self,
        contact_id: str,
        owner_id: str,
        subject: str,
        body: str,
        due_at: datetime,
        lead_id: str | None = None,
    ) -> str:
        """Create a to-do for the owner, due at `due_at`, on the contact's (and lead's) timeline; its id."""
        links = associations((contact_id, TASK_TO_CONTACT), (lead_id, TASK_TO_LEAD))
        return self._create("tasks", task_properties(owner_id, subject, body, due_at), links)

    def _create(self, object_type: str, properties: Mapping[str, str], links: list[Json]) -> str:
        """One create, through the client that retries only what HubSpot provably did not do."""
        body = {"properties": dict(properties), "associations": links}
        created = self._creates.call("POST", object_path(object_type), body, sent=properties)
        return str(created["id"])

    def create_tasks(self, tasks: Mapping[str, NewTask]) -> dict[str, str]:
        """Create to-dos on contacts' timelines, one batch call per 100; their ids by the caller's keys."""
        return self._create_batch("tasks", {key: task_input(t) for key, t in tasks.items()})

    def create_notes(self, notes: Mapping[str, NewNote]) -> dict[str, str]:
        """Write notes on contacts' timelines, one batch call per 100; their ids by the caller's keys."""
        return self._create_batch("notes", {key: note_input(n) for key, n in notes.items()})

    def _create_batch(
        self, object_type: str, inputs: Mapping[str, tuple[dict[str, str], list[Json]]]
    ) -> dict[str, str]:
        """Batch creates, each input traced by its key (`objectWriteTraceId`, which HubSpot's 2026-09 spec
        returns on each created record: results come in no promised order). The records HubSpot refused
        are logged and left out, so the caller can make them one by one and learn why."""
        created: dict[str, str] = {}
        for chunk in chunked(list(inputs.items()), BATCH_LIMIT):
            body = {
                "inputs": [
                    {"properties": props, "associations": links, "objectWriteTraceId": key}
                    for key, (props, links) in chunk
                ]
            }
            sent = {k: v for _, (props, _) in chunk for k, v in props.items()}
            answer = self._creates.call("POST", object_path(object_type, "batch", "create"), body, sent=sent)
            for record in answer.get("results") or []:
                if record.get("objectWriteTraceId") in inputs:
                    created[record["objectWriteTraceId"]] = str(record["id"])
            refusal = batch_refusal(answer, sent, missing_ok=False)
            if refusal is not None:
                logger.warning("HubSpot refused part of a batch create", type=object_type, error=str(refusal))
        return created

    def complete_task(self, task_id: str) -> None:
        """Mark a task completed (used when a task is superseded by a reassignment)."""
        self._update("tasks", task_id, {"hs_task_status": "COMPLETED"})

    def reschedule_task(self, task_id: str, due_at: datetime) -> None:
        """Move a task's due date (the owner keeps the task after a reminder, with a new deadline)."""
        self._update("tasks", task_id, {"hs_timestamp": hubspot_ms(due_at)})

    def _associated(
        self, kind: str, object_id: str, to_type: str, properties: Iterable[str]
    ) -> dict[str, Properties]:
        """The records of `to_type` associated with a record, with these properties: its associations
        page by page (the batch read of associations pages each record on its own, `after` beside its
        id), then one batch read per 100."""
        path = associations_read_path(kind, to_type)

        def page(after: str | None) -> Json:
            answer = self._http.batch(path, {"inputs": [{"id": object_id, **_after(after)}]}, missing_ok=True)
            return next(iter(answer.get("results") or []), {})

        ids = [str(r["toObjectId"]) for p in self._pages(page) for r in p.get("to") or []]
        return self._read(to_type, ids, properties) if ids else {}

    def open_deal_owner(self, company_id: str) -> str | None:
        """The owner of the company's most recently created open deal, if it has one (two calls)."""
        return latest_open_deal_owner(
            self._associated("companies", company_id, "deals", DEAL_OWNER_PROPERTIES).values()
        )

    def deal_of_journey(self, contact_id: str, journey_id: str) -> str | None:
        """The contact's deal stamped with this journey, if one exists (two calls).

        Read through the contact's associations, which a create makes at once, rather than
        the search API, whose index lags: a retried step must see a deal made a second ago.
        """
        deals = self._associated("contacts", contact_id, "deals", [Prop.JOURNEY_ID])
        return next((i for i, p in deals.items() if p.get(Prop.JOURNEY_ID) == journey_id), None)

    def create_deal(
        self,
        contact_id: str,
        company_id: str | None,
        properties: Mapping[str, str],
        lead_id: str | None = None,
    ) -> str:
        """Create a deal associated with the contact (and its company and lead); returns its id."""
        links = associations(
            (contact_id, DEAL_TO_CONTACT), (company_id, DEAL_TO_COMPANY), (lead_id, DEAL_TO_LEAD)
        )
        return self._create("deals", properties, links)

    def create_note(self, contact_id: str, body: str, at: datetime, lead_id: str | None = None) -> str:
        """Write a note on the contact's (and lead's) timeline; returns its id."""
        links = associations((contact_id, NOTE_TO_CONTACT), (lead_id, NOTE_TO_LEAD))
        return self._create("notes", note_properties(body, at), links)

    def read_leads(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        """Read leads' properties, one batch call per 100 ids; unknown ids are left out."""
        return self._read("leads", ids, properties)

    def lead_of_journey(self, contact_id: str, journey_id: str) -> str | None:
        """The contact's lead stamped with this journey, if one exists (one call when the contact has no
        lead, else two), through the associations like `deal_of_journey`: a lead made a second ago is seen."""
        leads = self._associated("contacts", contact_id, "leads", [Prop.JOURNEY_ID])
        return next((i for i, p in leads.items() if p.get(Prop.JOURNEY_ID) == journey_id), None)

    def create_lead(self, contact_id: str, company_id: str | None, properties: Mapping[str, str]) -> str:
        """Create a lead whose primary contact (required by HubSpot) and company are given; its id."""
        links = associations((contact_id, LEAD_TO_CONTACT), (company_id, LEAD_TO_COMPANY))
        return self._create("leads", properties, links)

    def update_lead(self, lead_id: str, properties: Mapping[str, str]) -> None:
        """Write properties to one lead."""
        self._update("leads", lead_id, properties)

    def complete_callback(self, callback_id: str, output_fields: Mapping[str, str]) -> bool:
        """Let a blocked workflow action go on (the callbacks API); False when HubSpot refuses it for good:
        the block expired, or the callback was completed already (any 4xx but 429)."""
        # The 2026-09 CallbackCompletionRequest requires `typedOutputs` beside `outputFields`.
        body = {"outputFields": dict(output_fields), "typedOutputs": {}}
        try:
            self._http.call("POST", callback_path(callback_id), body)
        except HubSpotError as exc:
            if isinstance(exc, (HubSpotRateLimited, HubSpotUnavailable)):
                raise
            logger.warning("workflow callback refused", callback_id=callback_id, error=str(exc))
            return False
        return True


def _after(cursor: str | None) -> dict[str, str]:
    """The `after` argument of a listing's next page (none for the first)."""
    return {"after": cursor} if cursor else {}


def _association(object_id: str, type_id: int) -> dict[str, Any]:
    """A create-time association to `object_id` of one of HubSpot's defined types."""
    return {
        "to": {"id": object_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def associations(*links: tuple[str | None, int]) -> list[dict[str, Any]]:
    """The create-time associations to each (record id, type id) whose record is given."""
    return [_association(object_id, type_id) for object_id, type_id in links if object_id]


def task_properties(owner_id: str, subject: str, body: str, due_at: datetime) -> dict[str, str]:
    """A high-priority to-do for the owner, due at `due_at` (HubSpot requires hs_timestamp on tasks).

    The body is plain text (signal evidence, a workflow's reason, a rep's words among it); HubSpot
    renders hs_task_body as HTML (fieldType html), so it goes as HTML showing that text, never markup
    anyone outside could slip in.
    """
    return {
        "hs_timestamp": hubspot_ms(due_at),
        "hs_task_subject": subject,
        "hs_task_body": as_html(body),
        "hs_task_status": "NOT_STARTED",
        "hs_task_priority": "HIGH",
        "hs_task_type": "TODO",
        "hubspot_owner_id": owner_id,
    }


def task_input(task: NewTask) -> tuple[dict[str, str], list[Json]]:
    """A batch create's input for a to-do on a contact's timeline: its properties and associations."""
    props = task_properties(task.owner_id, task.subject, task.body, task.due_at)
    return props, associations((task.contact_id, TASK_TO_CONTACT))


def note_input(note: NewNote) -> tuple[dict[str, str], list[Json]]:
    """A batch create's input for a note on a contact's timeline: its properties and associations."""
    return note_properties(note.body, note.at), associations((note.contact_id, NOTE_TO_CONTACT))


def note_properties(body: str, at: datetime) -> dict[str, str]:
    """A timeline note written at `at`; hs_note_body is HTML too, so its plain text is escaped as a
    task's is."""
    return {"hs_timestamp": hubspot_ms(at), "hs_note_body": as_html(body)}


DEAL_OWNER_PROPERTIES: Final = ("hubspot_owner_id", "hs_is_closed", "dealstage", "createdate")


def latest_open_deal_owner(deals: Iterable[Properties]) -> str | None:
    """The owner of the most recently created open deal among these (DEAL_OWNER_PROPERTIES read)."""
    open_deals = sorted(
        (
            p
            for p in deals
            if p.get("hs_is_closed") != "true"
            and p.get("dealstage") not in _CLOSED_STAGES
            and p.get("hubspot_owner_id")
        ),
        key=lambda p: p.get("createdate") or "",
    )
    return open_deals[-1]["hubspot_owner_id"] if open_deals else None
