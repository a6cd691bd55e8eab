"""Where the local runtime makes the emulated DynamoDB find a partition's items as DynamoDB does.

A Query on the table's key reads one partition. The emulator instead sorted every item of the table,
then kept those of the queried partition: each Query cost the whole table, and the state table holds
an item per event remembered, per contact's signals and per journey, so under a burst of 10,000 events
every journey's Route (its team's standings) and every new MQL (its latest journey) paid for all of
them. A Query on the table's key now starts from the partition alone; what it answers is unchanged
(the emulator still sorts, pages and filters it). Queries on an index are left as they are.
"""

from __future__ import annotations

import inspect
from typing import Any, Final
from unittest import mock

from moto.dynamodb.models.table import Table

_QUERY: Final = Table.query
_SIGNATURE: Final = inspect.signature(_QUERY)


def _query(self: Table, *args: Any, **kwargs: Any) -> Any:
    asked = _SIGNATURE.bind(self, *args, **kwargs).arguments
    if asked.get("index_name") or not self.range_key_attr or asked.get("hash_key") is None:
        return _QUERY(self, *args, **kwargs)
    partition = list(self.items.get(asked["hash_key"], {}).values())
    # The emulator's query walks `all_items()`; for this call that is the partition. Queries run one at a
    # time (the runtime serializes DynamoDB requests that walk a table), so no other request sees it.
    self.all_items = lambda: partition  # type: ignore[method-assign]
    try:
        return _QUERY(self, *args, **kwargs)
    finally:
        del self.all_items


def patches() -> list[Any]:
    """The patch: a Query on the table's key reads its partition alone."""
    return [mock.patch.object(Table, "query", _query)]
