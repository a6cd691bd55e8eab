"""Bodies of HubSpot's workflow "Send a webhook" action: the enrolled record, whatever shape it takes.

HubSpot documents the "include all properties" body as "the exact same data you'd get when
pulling that object using the relevant object API"; for contact workflows that is the contacts
API's record, `vid` / `canonical-vid` with `properties.<name>.value` (and `versions`), for other
objects `objectId` / `objectType` with `properties` (https://developers.hubspot.com/docs/methods/
workflows/webhook_information). A "customized" body carries the properties the admin picked, as a
flat object of name to value; it must carry the record's id under one of RECORD_ID_KEYS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field

from leadflow.core.clock import EARLIEST_MS, LATEST_MS
from leadflow.core.text import property_value

# Where a customized body may carry the record's id, in the order they are looked for:
# HubSpot's own "Record ID" property first.
RECORD_ID_KEYS: Final = ("hs_object_id", "objectId", "vid", "canonical-vid", "contact_id", "id")
CONTACT: Final = "CONTACT"
# A lead-based workflow's record. HubSpot documents no workflow body for leads; a full body names
# its object type, which for leads is taken to be LEAD (or its id, 0-136).
LEAD_TYPES: Final = frozenset({"LEAD", "0-136"})
# A full body's own keys that are not properties of the record.
_ENVELOPE: Final = frozenset({"vid", "canonical-vid", "objectId", "objectType", "properties", "portal-id"})


class WorkflowRecordError(ValueError):
    """The body cannot be read as a record; the message names what is missing or wrong."""


class WorkflowRecord(BaseModel):
    """One enrolled record as a workflow sent it: fresh property values, and whether they are all of them.

    `complete` says the body held every property the record has ("include all properties"):
    a property it does not name is empty. A customized body is not complete: what it does not
    name is read from HubSpot.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    object_type: Annotated[str, Field(min_length=1, max_length=64)] = CONTACT
    object_id: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")]
    properties: dict[str, str]
    complete: bool
    identity: str = Field(description="the same body sent again has the same identity")
    changed_at: dict[str, Annotated[int, Field(ge=EARLIEST_MS, lt=LATEST_MS)]] = Field(
        default_factory=dict, description="epoch ms each property last changed, where the body says"
    )


def _value(raw: Any) -> str | None:
    """A property value as the body holds it: `{"value": ...}` in API shapes, a scalar in customized ones."""
    if isinstance(raw, Mapping):
        raw = raw.get("value")
    if raw is None or isinstance(raw, (list, Mapping)):
        return None
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(property_value(str(raw)))


def _changed(raw: Any, name: str) -> int | None:
    """When a property last changed, from its `versions` (the contacts API shape), if the body has them."""
    versions = raw.get("versions") if isinstance(raw, Mapping) else None
    stamps = (
        [v.get("timestamp") for v in versions if isinstance(v, Mapping)] if isinstance(versions, list) else []
    )
    ms = [t for t in (_epoch_ms(s, name) for s in stamps) if t is not None]
    return max(ms) if ms else None


def _epoch_ms(stamp: Any, name: str) -> int | None:
    """A version's timestamp (epoch ms, a number or a string of digits); None when it is no number, and
    WorkflowRecordError when it is one outside the times leadflow takes."""
    if isinstance(stamp, str) and stamp.isascii() and stamp.isdigit():
        stamp = int(stamp[:20])
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    if not EARLIEST_MS <= stamp < LATEST_MS:
        raise WorkflowRecordError(
            f"properties.{name}.versions: timestamp {stamp!r:.30} is not epoch milliseconds "
            "between 2000 and 2100"
        )
    return int(stamp)


def _api_shape(props: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, int]]:
    values = {n: v for n, v in ((n, _value(r)) for n, r in props.items()) if v is not None}
    changed = {n: t for n, t in ((n, _changed(r, n)) for n, r in props.items()) if t is not None}
    return values, changed


def _record_id(raw: Any, where: str) -> str:
    # ASCII digits only: str.isdigit() also takes other scripts' digits (`١٢٣`), which are no HubSpot id.
    text = _value(raw)
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > 20:
        raise WorkflowRecordError(f"{where} must be a numeric record id, not {str(raw)[:40]!r}")
    return text


def read_record(body: Any, raw: str) -> WorkflowRecord:
    """The record a workflow webhook body carries (`body` parsed from `raw`); WorkflowRecordError if none."""
    if not isinstance(body, Mapping):
        raise WorkflowRecordError("body must be a JSON object: the record the workflow enrolled")
    identity = hashlib.sha256(raw.encode()).hexdigest()[:32]
    props = body.get("properties")
    if isinstance(props, Mapping) and ("vid" in body or "canonical-vid" in body):
        # canonical-vid is the contact a merged one lives on.
        key = "canonical-vid" if body.get("canonical-vid") is not None else "vid"
        contact_id = _record_id(body.get(key), key)
        values, changed = _api_shape(props)
        return WorkflowRecord(
            object_id=contact_id, properties=values, complete=True, identity=identity, changed_at=changed
        )
    if isinstance(props, Mapping) and "objectId" in body:
        values, changed = _api_shape(props)
        return WorkflowRecord(
            object_type=str(body.get("objectType") or CONTACT).upper(),
            object_id=_record_id(body["objectId"], "objectId"),
            properties=values,
            complete=True,
            identity=identity,
            changed_at=changed,
        )
    id_key = next((k for k in RECORD_ID_KEYS if body.get(k) is not None), None)
    if id_key is None:
        raise WorkflowRecordError(
            "body names no record: a customized body must carry the record id as "
            + " or ".join(RECORD_ID_KEYS)
            + " (HubSpot's Record ID property is hs_object_id)"
        )
    values = {
        k: v for k, v in ((n, _value(r)) for n, r in body.items() if n not in _ENVELOPE) if v is not None
    }
    values.pop(id_key, None)
    kind = str(body.get("objectType") or CONTACT).upper()
    object_id = _record_id(body[id_key], id_key)
    return WorkflowRecord(
        object_type=kind, object_id=object_id, properties=values, complete=False, identity=identity
    )
