"""A batch of queued work sorted per contact: what to rescore, which decisions and engagements
arrived, the outside signals and the records workflows sent; and the HubSpot Leads reps moved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from leadflow.app.ports import Properties
from leadflow.core.config import EngagementKind
from leadflow.core.journey_record import JourneyRecord
from leadflow.core.signals import Signal, parse_hubspot_time
from leadflow.webhooks.events import WebhookEvent

_T = TypeVar("_T")


def event_time(event: WebhookEvent) -> datetime:
    """When HubSpot says the event happened."""
    return datetime.fromtimestamp(event.occurred_at / 1000, tz=UTC)


@dataclass
class Fresh:
    """Property values a workflow sent; `complete` when they are every property the contact has."""

    properties: Properties
    complete: bool


@dataclass
class IntakeBatch:
    """What one batch asks for, per contact."""

    messages: dict[str, list[str]] = field(default_factory=dict)  # contact -> message ids carrying it
    rescore: dict[str, list[WebhookEvent]] = field(default_factory=dict)
    decisions: dict[str, datetime] = field(default_factory=dict)  # contact -> when the latest was made
    # contact -> (kind, when it happened, when HubSpot's property changed)
    engagements: dict[str, list[tuple[EngagementKind, datetime, datetime]]] = field(default_factory=dict)
    outside: dict[str, list[Signal]] = field(default_factory=dict)
    fresh: dict[str, Fresh] = field(default_factory=dict)
    # Contacts whose work needs their properties as HubSpot holds them now: all but those that
    # only complete workflow records brought.
    unread: set[str] = field(default_factory=set)
    # contact -> its latest journey, as read while deciding whether it is a new MQL
    latest: dict[str, JourneyRecord | None] = field(default_factory=dict)
    # lead -> when it last moved, and the message ids carrying its moves
    leads: dict[str, tuple[datetime, list[str]]] = field(default_factory=dict)

    def carried(self, contact_id: str, message_id: str, read: bool = True) -> None:
        """Note that this message carries work for the contact (to be read from HubSpot unless not `read`)."""
        ids = self.messages.setdefault(contact_id, [])
        if message_id not in ids:
            ids.append(message_id)
        if read:
            self.unread.add(contact_id)

    def moved(self, lead_id: str, message_id: str, at: datetime) -> None:
        """A lead's stage or disqualification reason changed at `at` (the latest change counts)."""
        latest, ids = self.leads.get(lead_id, (at, []))
        self.leads[lead_id] = (max(latest, at), [*ids, message_id] if message_id not in ids else ids)

    def merged(self, old_id: str, survivor_id: str) -> None:
        """HubSpot merged `old_id` into `survivor_id`: its work is the survivor's."""
        _move(self.messages, old_id, survivor_id)
        _move(self.rescore, old_id, survivor_id)
        _move(self.engagements, old_id, survivor_id)
        _move(self.outside, old_id, survivor_id)
        if old_id in self.decisions:
            self.decided(survivor_id, self.decisions.pop(old_id))
        if old_id in self.fresh:
            self.fresh.setdefault(survivor_id, self.fresh.pop(old_id))
        if old_id in self.unread:
            self.unread.discard(old_id)
            self.unread.add(survivor_id)

    @property
    def scored(self) -> set[str]:
        """The contacts to rescore."""
        return set(self.rescore) | set(self.fresh)

    def decided(self, contact_id: str, at: datetime) -> None:
        """A decision was made (or changed) at `at`; out of order, the latest one counts."""
        if contact_id not in self.decisions or self.decisions[contact_id] < at:
            self.decisions[contact_id] = at

    def engaged(self, contact_id: str, kind: EngagementKind, value: str | None, changed: datetime) -> None:
        """An engagement property was stamped at `changed`; its value is when the engagement happened,
        if HubSpot says (a date property says only the day)."""
        self.engagements.setdefault(contact_id, []).append(
            (kind, parse_hubspot_time(value) or changed, changed)
        )


def _move(per_contact: dict[str, list[_T]], old_id: str, new_id: str) -> None:
    moved = per_contact.pop(old_id, None)
    if moved is not None:
        kept = per_contact.setdefault(new_id, [])
        kept.extend(m for m in moved if m not in kept)
