"""The HubSpot adapter: batched CRM reads and writes through hubspot-api-client.

Errors come out as typed exceptions (`hubspot_errors`) whose class names the journey's Retry
rules match.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from operator import attrgetter
from typing import Any, Final

from hubspot import HubSpot
from hubspot.automation.actions import CallbackCompletionRequest
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
)
from hubspot.crm.objects import SimplePublicObjectInputForCreate

from leadflow.adapters.hubspot_errors import CALL_BUDGET, CallBudget, HubSpotRetry, translate
from leadflow.app.ports import HubSpotError, HubSpotRateLimited, HubSpotUnavailable, Properties
from leadflow.core.batching import chunked
from leadflow.core.lifecycle import Prop, contact_ids
from leadflow.core.routing import Owner
from leadflow.core.text import as_html
from leadflow.observability import logger

BATCH_LIMIT: Final = 100
OWNERS_TTL_S: Final = 60.0
REQUEST_TIMEOUT_S: Final = (3.05, 20.0)
# What a function keeps for itself after its last HubSpot call (writing the outcome, answering), and
# the least time worth starting a call with.
CALL_RESERVE_S: Final = 2.0
MIN_CALL_S: Final = 1.0
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
# The batch read of each object type records are associated with.
_BATCH_READS: Final = {"deals": "crm.deals.batch_api", "leads": "crm.objects.leads.batch_api"}
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
        self._client = HubSpot(access_token=access_token, host=base_url, retry=idempotent)
        self._create_client = HubSpot(access_token=access_token, host=base_url, retry=creates)
        self._owners_cache: tuple[float, list[Owner]] | None = None
        self._apis: dict[tuple[str, bool], Any] = {}
        self._time_left = time_left

    def _api(self, path: str, creates: bool = False) -> Any:
        """One generated API (`crm.contacts.batch_api`), built once: each builds its own connection pool."""
        key = (path, creates)
        if key not in self._apis:
            self._apis[key] = attrgetter(path)(self._create_client if creates else self._client)
        return self._apis[key]

    def _call(self, fn: Any, *args: Any, sent: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        """Call the generated client; its errors as leadflow's (`sent`: the properties written).

        Inside a Lambda invocation the call, its retries and their waits end CALL_RESERVE_S before the
        function's timeout: Lambda's timeout would reach the journey as an error that says nothing of
        HubSpot, while HubSpotUnavailable is retried like any outage.
        """
        # (connect, read) seconds: the generated client waits forever unless told otherwise.
        timeout, budget = self._budget()
        kwargs.setdefault("_request_timeout", timeout)
        token = CALL_BUDGET.set(budget)
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if type(exc).__module__.startswith(("hubspot", "urllib3")):
                raise translate(exc, sent) from exc
            raise
        finally:
            CALL_BUDGET.reset(token)

    def _budget(self) -> tuple[tuple[float, float], CallBudget | None]:
        """Each attempt's (connect, read) timeout, and the budget of the whole call (None: no deadline)."""
        left = self._time_left()
        if left is None:
            return REQUEST_TIMEOUT_S, None
        usable = left - CALL_RESERVE_S
        if usable < MIN_CALL_S:
            raise HubSpotUnavailable(f"HubSpot not called: {left:.1f} s left before the function times out")
        connect = min(REQUEST_TIMEOUT_S[0], usable / 2)
        read = min(REQUEST_TIMEOUT_S[1], usable - connect)
        return (connect, read), CallBudget(time.monotonic() + usable, connect + read)

    def _read(self, api: Any, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        unique = sorted(set(ids), key=int)
        props = sorted(set(properties))
        found: dict[str, Properties] = {}
        for chunk in chunked(unique, BATCH_LIMIT):
            body = BatchReadInputSimplePublicObjectId(
                properties=props, inputs=[{"id": i} for i in chunk], properties_with_history=[]
            )
            page = self._call(api.read, batch_read_input_simple_public_object_id=body)
            for record in page.results:
                values = dict(record.properties)
                # A merged-away id is answered with the surviving record under its own id; it is
                # found under the id asked for (its `hs_object_id` names the survivor).
                for asked in contact_ids(str(record.id), values):
                    if asked in chunk:
                        found[asked] = values
        return found

    def read_contacts(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        """Read contacts' properties, one batch call per 100 ids; unknown ids are left out. A contact
        merged into another is found under the id asked for, with the survivor's properties (its
        `hs_object_id` says which)."""
        return self._read(self._api("crm.contacts.batch_api"), ids, {*properties, Prop.MERGED_IDS})

    def read_companies(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        """Read companies' properties, one batch call per 100 ids; unknown ids are left out."""
        return self._read(self._api("crm.companies.batch_api"), ids, properties)

    def _pages(self, fetch: Callable[[str | None], Any]) -> Iterator[Any]:
        """Every page of a listing, following `paging.next.after` (HubSpot's cursor) to the end."""
        after: str | None = None
        while True:
            page = fetch(after)
            yield page
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return

    def contacts_where(self, prop: str, value: str, limit: int = 1000) -> list[str]:
        """Ids of contacts whose property equals a value (search API, 100 per page, up to `limit`)."""
        search = self._api("crm.contacts.search_api").do_search
        filters = [{"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}]

        def page(after: str | None) -> Any:
            request = PublicObjectSearchRequest(
                filter_groups=filters, properties=["hs_object_id"], limit=100, after=after
            )
            return self._call(search, public_object_search_request=request)

        ids: list[str] = []
        for found in self._pages(page):
            ids += [str(r.id) for r in found.results]
            if len(ids) >= limit:
                break
        return ids[:limit]

    def update_contacts(self, updates: Mapping[str, Mapping[str, str]]) -> None:
        """Write properties to many contacts, one batch call per 100 contacts."""
        items = [(cid, dict(props)) for cid, props in updates.items() if props]
        update = self._api("crm.contacts.batch_api").update
        for chunk in chunked(items, BATCH_LIMIT):
            body = BatchInputSimplePublicObjectBatchInput(
                inputs=[{"id": cid, "properties": props} for cid, props in chunk]
            )
            sent = {k: v for _, props in reversed(chunk) for k, v in props.items()}
            self._call(update, batch_input_simple_public_object_batch_input=body, sent=sent)

    def update_contact(self, contact_id: str, properties: Mapping[str, str]) -> None:
        """Write properties to one contact."""
        body = SimplePublicObjectInput(properties=dict(properties))
        update = self._api("crm.contacts.basic_api").update
        self._call(update, contact_id, simple_public_object_input=body, sent=properties)

    def list_owners(self, fresh: bool = False) -> list[Owner]:
        """Every owner of the portal, following pages; cached for OWNERS_TTL_S per container.

        Owners change rarely and routing asks for them on every assignment, so the cache
        saves one call per routed or escalated lead; `fresh` skips it.
        """
        now = time.monotonic()
        if not fresh and self._owners_cache is not None and now - self._owners_cache[0] < OWNERS_TTL_S:
            return self._owners_cache[1]
        get_page = self._api("crm.owners.owners_api").get_page
        pages = self._pages(lambda after: self._call(get_page, limit=500, archived=False, **_after(after)))
        owners = [Owner(str(o.id), (o.email or "").lower(), not o.archived) for p in pages for o in p.results]
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
        task = SimplePublicObjectInputForCreate(
            properties=task_properties(owner_id, subject, body, due_at),
            associations=associations((contact_id, TASK_TO_CONTACT), (lead_id, TASK_TO_LEAD)),
        )
        return self._create("crm.objects.tasks.basic_api", task)

    def _create(self, api: str, body: SimplePublicObjectInputForCreate) -> str:
        """One create, through the client that retries only what HubSpot provably did not do."""
        create = self._api(api, creates=True).create
        created = self._call(create, simple_public_object_input_for_create=body, sent=body.properties)
        return str(created.id)

    def complete_task(self, task_id: str) -> None:
        """Mark a task completed (used when a task is superseded by a reassignment)."""
        body = SimplePublicObjectInput(properties={"hs_task_status": "COMPLETED"})
        self._call(self._api("crm.objects.tasks.basic_api").update, task_id, simple_public_object_input=body)

    def reschedule_task(self, task_id: str, due_at: datetime) -> None:
        """Move a task's due date (the owner keeps the task after a reminder, with a new deadline)."""
        body = SimplePublicObjectInput(properties={"hs_timestamp": hubspot_ms(due_at)})
        self._call(self._api("crm.objects.tasks.basic_api").update, task_id, simple_public_object_input=body)

    def _associated(
        self, kind: str, object_id: str, to_type: str, properties: Iterable[str]
    ) -> dict[str, Properties]:
        """The records of `to_type` associated with a record, with these properties: the associations
        page by page (500 a page, the v4 API's most), then one batch read per 100."""
        get_page = self._api("crm.associations.v4.basic_api").get_page
        pages = self._pages(
            lambda after: self._call(get_page, kind, object_id, to_type, limit=500, **_after(after))
        )
        ids = [str(r.to_object_id) for page in pages for r in page.results]
        return self._read(self._api(_BATCH_READS[to_type]), ids, properties) if ids else {}

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
        deal = SimplePublicObjectInputForCreate(properties=dict(properties), associations=links)
        return self._create("crm.deals.basic_api", deal)

    def create_note(self, contact_id: str, body: str, at: datetime, lead_id: str | None = None) -> str:
        """Write a note on the contact's (and lead's) timeline; returns its id."""
        note = SimplePublicObjectInputForCreate(
            properties=note_properties(body, at),
            associations=associations((contact_id, NOTE_TO_CONTACT), (lead_id, NOTE_TO_LEAD)),
        )
        return self._create("crm.objects.notes.basic_api", note)

    def read_leads(self, ids: Iterable[str], properties: Iterable[str]) -> dict[str, Properties]:
        """Read leads' properties, one batch call per 100 ids; unknown ids are left out."""
        return self._read(self._api(_BATCH_READS["leads"]), ids, properties)

    def lead_of_journey(self, contact_id: str, journey_id: str) -> str | None:
        """The contact's lead stamped with this journey, if one exists (one call when the contact has no
        lead, else two), through the associations like `deal_of_journey`: a lead made a second ago is seen."""
        leads = self._associated("contacts", contact_id, "leads", [Prop.JOURNEY_ID])
        return next((i for i, p in leads.items() if p.get(Prop.JOURNEY_ID) == journey_id), None)

    def create_lead(self, contact_id: str, company_id: str | None, properties: Mapping[str, str]) -> str:
        """Create a lead whose primary contact (required by HubSpot) and company are given; its id."""
        links = associations((contact_id, LEAD_TO_CONTACT), (company_id, LEAD_TO_COMPANY))
        lead = SimplePublicObjectInputForCreate(properties=dict(properties), associations=links)
        return self._create("crm.objects.leads.basic_api", lead)

    def update_lead(self, lead_id: str, properties: Mapping[str, str]) -> None:
        """Write properties to one lead."""
        body = SimplePublicObjectInput(properties=dict(properties))
        update = self._api("crm.objects.leads.basic_api").update
        self._call(update, lead_id, simple_public_object_input=body, sent=properties)

    def complete_callback(self, callback_id: str, output_fields: Mapping[str, str]) -> bool:
        """Let a blocked workflow action go on (automation v4 callbacks API); False when HubSpot refuses
        it for good: the block expired, or the callback was completed already (any 4xx but 429)."""
        body = CallbackCompletionRequest(output_fields=dict(output_fields))
        try:
            self._call(
                self._api("automation.actions.callbacks_api").complete,
                callback_id,
                callback_completion_request=body,
            )
        except HubSpotError as exc:
            if isinstance(exc, (HubSpotRateLimited, HubSpotUnavailable)):
                raise
            logger.warning("workflow callback refused", callback_id=callback_id, error=str(exc))
            return False
        return True


def _after(cursor: str | None) -> dict[str, Any]:
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
