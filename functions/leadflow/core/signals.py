"""Behavioural signals: what a contact did, when, and what the evidence says."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from leadflow.core.clock import EARLIEST
from leadflow.core.text import clip, unstorable

# What one signal from outside may weigh as stored. A contact's signals live in one DynamoDB item
# (at most 400 KB, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html)
# holding its newest 200 signals (adapters/state_store.py) and what a batch appends before they are
# cut back to 200: 200 signals of 1.5 KB and two appends of MAX_NEW_SIGNALS stay under 380 KB.
MAX_SIGNAL_BYTES: Final = 1536
MAX_NEW_SIGNALS: Final = 25  # signals a batch appends to one contact: its newest
MAX_ATTRIBUTES: Final = 20
MAX_ATTRIBUTE_CHARS: Final = 500
# A signal from outside may be dated this far ahead of leadflow's clock (clocks differ), no further:
# a signal from the future would keep its full points until it is in the past.
MAX_AHEAD: Final = timedelta(hours=1)
_INTAKE: Final = "intake_now"


def intake(now: datetime) -> dict[str, Any]:
    """The validation context of signals from outside, received at `now`: they are held to every bound
    (stored and queued ones are read as they are)."""
    return {_INTAKE: now}


def _received_at(info: ValidationInfo) -> datetime | None:
    context = info.context
    return context.get(_INTAKE) if isinstance(context, dict) else None


def _text(value: str, field: str) -> str:
    bad = unstorable(value)
    if bad is not None:
        raise ValueError(f"{field} contains {bad}, a character leadflow cannot store")
    return value


class Signal(BaseModel):
    """One thing a contact (or their account) did: a page view, a form, a reply, a surge."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
    occurred_at: datetime = Field(description="with a time zone, e.g. 2026-11-24T09:00:00Z")
    attributes: dict[str, str] = Field(default_factory=dict)
    source: Annotated[str, Field(max_length=64)] = "hubspot"
    evidence: Annotated[str, Field(max_length=500)] = ""
    id: str = ""

    @field_validator("occurred_at")
    @classmethod
    def _dated(cls, value: datetime, info: ValidationInfo) -> datetime:
        now = _received_at(info)
        if value.tzinfo is None:
            if now is not None:
                raise ValueError("needs a time zone (e.g. 2026-11-24T09:00:00Z or +01:00)")
            return value.replace(tzinfo=UTC)  # stored by an earlier version: UTC, as it was read
        if now is not None and not EARLIEST <= value <= now + MAX_AHEAD:
            raise ValueError(
                f"must be after {EARLIEST.year} and at most {MAX_AHEAD} ahead of now ({now.isoformat()})"
            )
        return value

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        if _received_at(info) is None:
            return value
        if len(value) > MAX_ATTRIBUTES:
            raise ValueError(f"at most {MAX_ATTRIBUTES} attributes, not {len(value)}")
        for key, text in value.items():
            if not 1 <= len(key) <= 64 or len(text) > MAX_ATTRIBUTE_CHARS:
                raise ValueError(
                    f"{key[:64]!r}: names are 1-64 characters and values at most {MAX_ATTRIBUTE_CHARS}"
                )
            _text(key, "a name")
            _text(text, key)
        return value

    @field_validator("type", "source", "evidence", "id")
    @classmethod
    def _storable(cls, value: str, info: ValidationInfo) -> str:
        if _received_at(info) is None:
            return value
        if info.field_name == "id" and len(value) > 128:
            raise ValueError("at most 128 characters")
        return _text(value, "it")

    @model_validator(mode="after")
    def _size(self, info: ValidationInfo) -> Self:
        if _received_at(info) is not None:
            size = len(self.model_dump_json().encode())
            if size > MAX_SIGNAL_BYTES:
                raise ValueError(f"{size} bytes as stored; a signal may take at most {MAX_SIGNAL_BYTES}")
        return self

    @classmethod
    def observed(cls, type: str, occurred_at: datetime, attribute: str, value: str, identity: str) -> Signal:
        """A signal leadflow read in HubSpot (a property's value): its value cut to fit, never refused."""
        return cls(
            type=type,
            occurred_at=occurred_at,
            attributes={attribute: clip(value, MAX_ATTRIBUTE_CHARS)},
            id=clip(identity, 128),
        )

    def signal_summary(self) -> str:
        """A short readable form of the signal when it carries no evidence text."""
        attrs = ", ".join(f"{k} {v}" for k, v in self.attributes.items())
        return f"{self.type.replace('_', ' ')}" + (f" ({attrs})" if attrs else "")

    def key(self) -> str:
        """A stable identity, so a signal delivered twice is counted once."""
        if self.id:
            return self.id
        attrs = "&".join(f"{k}={v}" for k, v in sorted(self.attributes.items()))
        raw = f"{self.type}|{self.occurred_at.isoformat()}|{self.source}|{attrs}"
        return hashlib.sha256(raw.encode()).hexdigest()[:24]


def unique(signals: list[Signal]) -> list[Signal]:
    """Signals without repeats (first occurrence kept), newest first."""
    seen: dict[str, Signal] = {}
    for signal in signals:
        seen.setdefault(signal.key(), signal)
    return sorted(seen.values(), key=lambda s: s.occurred_at, reverse=True)


class ContactSignal(BaseModel):
    """A signal as outside tools report it through POST /signals.

    It names one HubSpot contact, or a company (an account-level signal such as an intent
    surge), which reaches every contact whose primary company it is.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact_id: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")] | None = None
    company_id: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")] | None = None
    signal: Signal

    @model_validator(mode="after")
    def _one_target(self) -> ContactSignal:
        if (self.contact_id is None) == (self.company_id is None):
            raise ValueError("name exactly one of contact_id, company_id")
        return self


def parse_hubspot_time(value: str | None) -> datetime | None:
    """A HubSpot datetime value (ISO 8601 or epoch milliseconds); None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        if text.isascii() and text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
