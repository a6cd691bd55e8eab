"""The portal's owners as ops name them: by id, email or name.

Journey records keep an owner's id and email; a person is easier to name by name. The names come
from HubSpot's owners API (`GET /crm/owners/2026-09`, paged), read with a token: the stand-in's for
the local runtime, HUBSPOT_ACCESS_TOKEN for a deployed stack.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from leadflow.adapters.hubspot_api import HubSpotApi, owners_path


@dataclass(frozen=True)
class Owner:
    """A HubSpot owner (a user): id, email and name."""

    id: str
    email: str
    name: str

    @property
    def label(self) -> str:
        """How tables show them: their name and email, or what of them there is."""
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email or self.id


class Owners:
    """A portal's owners, archived ones included (a journey may outlive its rep's seat)."""

    def __init__(self, owners: Iterable[Owner]) -> None:
        self._by_id = {o.id: o for o in owners}

    @classmethod
    def read(cls, api: HubSpotApi) -> Owners:
        """Every owner, active and archived, page by page."""
        found: list[Owner] = []
        for archived in ("false", "true"):
            after: str | None = None
            while True:
                query: list[tuple[str, Any]] = [("archived", archived), ("limit", 500)]
                page = api.call("GET", owners_path(), query=query + ([("after", after)] if after else []))
                found += [_owner(o) for o in page.get("results", [])]
                after = ((page.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break
        return cls(found)

    def get(self, owner_id: str | None) -> Owner | None:
        """An owner by id."""
        return self._by_id.get(owner_id or "")

    def with_email(self, email: str) -> list[Owner]:
        """The owners with this email, in any case."""
        return [o for o in self._by_id.values() if o.email.casefold() == email.casefold()]

    def named(self, name: str) -> list[Owner]:
        """The owners a name names: their full name, first name or last name, in any case."""
        wanted = " ".join(name.split()).casefold()
        return [
            o
            for o in self._by_id.values()
            if wanted and wanted in (o.name.casefold(), *(part.casefold() for part in o.name.split()))
        ]


def _owner(data: dict[str, Any]) -> Owner:
    name = " ".join(p for p in (data.get("firstName"), data.get("lastName")) if p)
    return Owner(str(data.get("id", "")), str(data.get("email") or ""), name)
