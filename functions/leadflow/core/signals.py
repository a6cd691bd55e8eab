"""Behavioural signals: what a contact did, when, and what the evidence says."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Signal(BaseModel):
    """One thing a contact (or their account) did: a page view, a form, a reply, a surge."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
    occurred_at: datetime
    attributes: dict[str, str] = Field(default_factory=dict)
    source: Annotated[str, Field(max_length=64)] = "hubspot"
    evidence: Annotated[str, Field(max_length=500)] = ""
    id: str = ""

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
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
