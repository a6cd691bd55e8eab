"""The HubSpot app's webhook subscriptions on the stand-in: which property changes HubSpot sends.

HubSpot sends a subscribed property's change whoever made it (a rep in the UI, a workflow, an
app through the API, leadflow included), and only when the value changed. Objects other than
contacts, companies and deals come through generic subscriptions, whose events are
`object.propertyChange` with the type in `objectTypeId` ("0-136" for leads)
(https://developers.hubspot.com/changelog/public-beta-generic-webhook-subscriptions).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

OBJECT_TYPE_IDS: Final = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "leads": "0-136"}


@dataclass(frozen=True)
class PropertyChange:
    """One subscribed property's change, as an event will tell it."""

    object_type: str
    object_id: str
    name: str
    value: str
    at_ms: int

    @property
    def object_type_id(self) -> str:
        """The object's type id, as generic events give it."""
        return OBJECT_TYPE_IDS[self.object_type]


class AppWebhooks:
    """The subscriptions, and the changes they caught that were not delivered yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribed: set[tuple[str, str]] = set()
        self._pending: list[PropertyChange] = []

    def subscribe(self, object_type: str, properties: Iterable[str]) -> None:
        """Subscribe the app to changes of these properties of an object type."""
        with self._lock:
            self._subscribed |= {(object_type, name) for name in properties}

    def changed(self, object_type: str, object_id: str, values: Mapping[str, str], at_ms: int) -> None:
        """A record's properties took these (new) values: the subscribed ones become events."""
        with self._lock:
            self._pending += [
                PropertyChange(object_type, object_id, name, value, at_ms)
                for name, value in values.items()
                if (object_type, name) in self._subscribed
            ]

    def take(self) -> list[PropertyChange]:
        """The changes not delivered yet, oldest first; they are delivered by whoever takes them."""
        with self._lock:
            taken, self._pending = self._pending, []
            return taken
