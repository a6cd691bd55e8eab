"""leadflow's DynamoDB table: webhook dedupe keys, journey records and routing cursors.

One table, keyed by `pk`/`sk` strings, with `expires_at` as its TTL attribute:
- `EVENT#<dedupe key>` / `EVENT`: a webhook event or workflow record already done (kept 25 hours,
  longer than HubSpot's 24 hours of retries);
- `CONTACT#<id>` / `JOURNEY#<journey id>`: one journey of a contact;
- `ROUTING#<team>` / `CURSOR`: the team's turn counter (`cursor`) and the layout its turns are dealt in
  (`cycle`, the members' weighted cycle, `anchor`, the turn it starts at, and `layout`, their identity);
- `ROUTING#<team>` / `REP#<email>`: a rep's standing in the team's rotation (`entitled`: the turns it
  owes them, `received`: the leads it gave them), which no change of the team's members resets;
- `OWNER#<owner id>` / `LOAD#<day>`: leads a rep received that day from any team (kept 2 days),
  which daily capacity caps are checked against;
- `CONTACT#<id>` / `SIGNALS`: the contact's signals (JSON strings, appended atomically), which
  decay and recency are computed from;
- `CALLBACK#<callback id>` / `CALLBACK`: the journey a blocked workflow action waits on (kept 60 days);
- `PACE#<limit>` / `PACE`: the HubSpot budget of one rate limit (`tat`, the theoretical arrival time of
  its next call in epoch microseconds, `core.pacing`), shared by every function.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final

from leadflow.app.ports import AwsUnavailable, CallbackClaim
from leadflow.core.batching import chunked
from leadflow.core.journey_record import (
    FINAL_STATUSES,
    InputKind,
    JourneyFields,
    JourneyKey,
    JourneyRecord,
    JourneyStatus,
    Reassignment,
    WaitKind,
)
from leadflow.core.routing import Layout, Standing, relayout
from leadflow.core.signals import Signal, unique

DEDUPE_TTL_S: Final = 25 * 3600
# Batch calls that leave items unprocessed are asked again this often, the waits doubling from
# BATCH_BACKOFF_S up to BATCH_BACKOFF_CAP_S (full jitter): about 6 s at most in all.
BATCH_ATTEMPTS: Final = 6
BATCH_BACKOFF_S: Final = 0.1
BATCH_BACKOFF_CAP_S: Final = 2.0
MAX_SIGNALS: Final = 200
NEVER: Final = 2**53  # a token expiry that is never reached (a wait without a timeout)


class StateStore:
    """Reads and writes leadflow's state in one DynamoDB table.

    It implements the journey store, the routing ledger, the signal store and the delivery
    ledger ports (`leadflow.app.ports`).
    """

    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self._db = dynamodb_client
        self._table = table_name

    # Webhook dedupe -----------------------------------------------------------------------

    def seen_events(self, keys: Iterable[str]) -> set[str]:
        """Which of these dedupe keys were done already (one BatchGetItem per 100 keys)."""
        found: set[str] = set()
        for chunk in chunked(sorted(set(keys)), 100):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [{"pk": {"S": f"EVENT#{k}"}, "sk": {"S": "EVENT"}} for k in chunk],
                    "ProjectionExpression": "pk",
                }
            }
            for answer in self._until_processed(self._db.batch_get_item, request, "UnprocessedKeys"):
                found.update(item["pk"]["S"][len("EVENT#") :] for item in answer["Responses"][self._table])
        return found

    def remember_events(self, keys: Iterable[str]) -> None:
        """Record dedupe keys as done (BatchWriteItem, 25 per call, unprocessed retried)."""
        expires = str(int(time.time()) + DEDUPE_TTL_S)
        puts = [
            {
                "PutRequest": {
                    "Item": {"pk": {"S": f"EVENT#{k}"}, "sk": {"S": "EVENT"}, "expires_at": {"N": expires}}
                }
            }
            for k in sorted(set(keys))
        ]
        for chunk in chunked(puts, 25):
            request: dict[str, Any] = {self._table: list(chunk)}
            list(self._until_processed(self._db.batch_write_item, request, "UnprocessedItems"))

    @staticmethod
    def _until_processed(
        call: Callable[..., dict[str, Any]], request: dict[str, Any], unprocessed: str
    ) -> Iterator[dict[str, Any]]:
        """Each answer of a batch call, asking again for what DynamoDB left unprocessed (throttled, or
        over its size limits), after an exponential backoff with jitter as DynamoDB asks
        (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html);
        AwsUnavailable when some is still left after BATCH_ATTEMPTS calls."""
        for attempt in range(BATCH_ATTEMPTS):
            answer = call(RequestItems=request)
            yield answer
            request = answer.get(unprocessed) or {}
            if not request:
                return
            if attempt + 1 < BATCH_ATTEMPTS:
                backoff = min(BATCH_BACKOFF_CAP_S, BATCH_BACKOFF_S * 2**attempt)
                time.sleep(random.uniform(0, backoff))  # noqa: S311 - spreading retries, not security
        raise AwsUnavailable(f"DynamoDB left items unprocessed after {BATCH_ATTEMPTS} attempts")

    # Signals ------------------------------------------------------------------------------

    def load_signals(self, contact_ids: Iterable[str]) -> dict[str, list[Signal]]:
        """Stored signals of many contacts, deduplicated, newest first (BatchGetItem per 100)."""
        found: dict[str, list[Signal]] = {}
        for chunk in chunked(sorted(set(contact_ids)), 100):
            keys = [{"pk": {"S": f"CONTACT#{c}"}, "sk": {"S": "SIGNALS"}} for c in chunk]
            request: dict[str, Any] = {self._table: {"Keys": keys}}
            for answer in self._until_processed(self._db.batch_get_item, request, "UnprocessedKeys"):
                for item in answer["Responses"][self._table]:
                    stored = [
                        Signal.model_validate_json(v["S"]) for v in item.get("signals", {}).get("L", [])
                    ]
                    found[item["pk"]["S"].removeprefix("CONTACT#")] = unique(stored)
        return found

    def add_signals(self, contact_id: str, signals: Iterable[Signal]) -> None:
        """Append signals to a contact's list (atomic; a repeat is dropped when read).

        Past MAX_SIGNALS the list is cut to the newest MAX_SIGNALS distinct signals, on the
        condition that nobody appended meanwhile (else the next append cuts it), so the item
        stays far below DynamoDB's 400 KB and old, fully decayed signals go.
        """
        values = [{"S": s.model_dump_json()} for s in signals]
        if not values:
            return
        key = {"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": "SIGNALS"}}
        answer = self._db.update_item(
            TableName=self._table,
            Key=key,
            UpdateExpression="SET signals = list_append(if_not_exists(signals, :empty), :new)",
            ExpressionAttributeValues={":empty": {"L": []}, ":new": {"L": values}},
            ReturnValues="ALL_NEW",
        )
        stored = answer["Attributes"]["signals"]["L"]
        if len(stored) <= MAX_SIGNALS:
            return
        newest = unique([Signal.model_validate_json(v["S"]) for v in stored])[:MAX_SIGNALS]
        try:
            self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET signals = :kept",
                ConditionExpression="size(signals) = :n",
                ExpressionAttributeValues={
                    ":kept": {"L": [{"S": s.model_dump_json()} for s in newest]},
                    ":n": {"N": str(len(stored))},
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return

    # HubSpot budget -----------------------------------------------------------------------

    @staticmethod
    def _pace_key(name: str) -> dict[str, Any]:
        return {"pk": {"S": f"PACE#{name}"}, "sk": {"S": "PACE"}}

    def pace(self, name: str) -> float | None:
        """The budget's theoretical arrival time (epoch seconds), None before its first call."""
        item = self._db.get_item(TableName=self._table, Key=self._pace_key(name), ConsistentRead=True)
        found = item.get("Item", {}).get("tat")
        return None if found is None else _seconds(found["N"])

    def pace_on(self, name: str, earliest: float, latest: float, interval: float) -> float | None:
        """Move a busy budget's theoretical arrival time one interval on, in one atomic write, when it lies
        between `earliest` and `latest`; the time it was moved to, or None (idle, or busier than that:
        nothing written). Callers under a burst each get their own slot without racing."""
        try:
            answer = self._db.update_item(
                TableName=self._table,
                Key=self._pace_key(name),
                UpdateExpression="SET tat = tat + :interval",
                ConditionExpression="tat BETWEEN :earliest AND :latest",
                ExpressionAttributeValues={
                    ":interval": _micros(interval),
                    ":earliest": _micros(earliest),
                    ":latest": _micros(latest),
                },
                ReturnValues="UPDATED_NEW",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return None
        return _seconds(answer["Attributes"]["tat"]["N"])

    def advance_pace(self, name: str, seen: float | None, tat: float) -> bool:
        """Move the budget's theoretical arrival time from `seen` to `tat`; False when another call
        moved it first (nothing written)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._pace_key(name),
                UpdateExpression="SET tat = :tat",
                ConditionExpression="attribute_not_exists(tat)" if seen is None else "tat = :seen",
                ExpressionAttributeValues={
                    ":tat": _micros(tat),
                    **({} if seen is None else {":seen": _micros(seen)}),
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # Routing ------------------------------------------------------------------------------

    def next_turn(self, team: str, cycle: Sequence[str]) -> tuple[int, str | None]:
        """Atomically take the team's next turn, and say whose it is in `cycle`.

        One `ADD cursor :one` gives every caller its own turn and, in the same answer, the layout
        the team's turns are dealt in. When the rotation's members changed, the new layout
        (`core.routing.relayout`) is written on the condition that nobody wrote another one first;
        the caller who loses that race deals its turn in the winner's layout.
        """
        key = {"pk": {"S": f"ROUTING#{team}"}, "sk": {"S": "CURSOR"}}
        answer = self._db.update_item(
            TableName=self._table,
            Key=key,
            UpdateExpression="ADD #c :one",
            ExpressionAttributeNames={"#c": "cursor"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )["Attributes"]
        number = int(answer["cursor"]["N"])
        previous = _layout(answer)
        layout = relayout(previous, cycle, number)
        if layout == previous:
            return number, layout.slot(number)
        try:
            was = {} if previous is None else {":was": {"S": previous.version}}
            self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET #cy = :cycle, #an = :anchor, #ly = :layout",
                ConditionExpression="attribute_not_exists(#ly)" if previous is None else "#ly = :was",
                ExpressionAttributeNames={"#cy": "cycle", "#an": "anchor", "#ly": "layout"},
                ExpressionAttributeValues={
                    ":cycle": {"L": [{"S": e} for e in layout.cycle]},
                    ":anchor": {"N": str(layout.anchor)},
                    ":layout": {"S": layout.version},
                    **was,
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            stored = _layout(self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True)["Item"])
            if stored is not None and stored.cycle == layout.cycle:
                layout = stored
        return number, layout.slot(number)

    def standings(self, team: str) -> dict[str, Standing]:
        """Every rep's standing in the team's rotation, by email (one strongly consistent query)."""
        found: dict[str, Standing] = {}
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :rep)",
            ExpressionAttributeValues={":pk": {"S": f"ROUTING#{team}"}, ":rep": {"S": _REP}},
            ConsistentRead=True,
        )
        for page in pages:
            for item in page["Items"]:
                found[item["sk"]["S"].removeprefix(_REP)] = Standing(
                    entitled=int(item.get("entitled", {}).get("N", "0")),
                    received=int(item.get("received", {}).get("N", "0")),
                )
        return found

    def take_turn(self, team: str, owed_to: str | None, taker: str | None) -> None:
        """Count a turn on the reps' standings: atomic additions, one write when it is the taker's own."""
        adds: dict[str, dict[str, int]] = {}
        if owed_to is not None:
            adds.setdefault(owed_to, {})["entitled"] = 1
        if taker is not None:
            adds.setdefault(taker, {})["received"] = 1
        for rep, counts in adds.items():
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"ROUTING#{team}"}, "sk": {"S": f"{_REP}{rep}"}},
                UpdateExpression="ADD " + ", ".join(f"{name} :{name}" for name in counts),
                ExpressionAttributeValues={f":{name}": {"N": str(n)} for name, n in counts.items()},
            )

    def claim_capacity(self, owner_id: str, day: str, cap: int) -> bool:
        """Count one more lead for a rep on `day`, unless they already have `cap` (atomic, conditional).

        The count is the rep's, whichever team routed the lead, so a rep in two teams is not
        given a cap in each. A cap below one admits nobody.
        """
        if cap < 1:
            return False
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"OWNER#{owner_id}"}, "sk": {"S": f"LOAD#{day}"}},
                UpdateExpression="ADD leads :one SET expires_at = :exp",
                ConditionExpression="attribute_not_exists(leads) OR leads < :cap",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":cap": {"N": str(cap)},
                    ":exp": {"N": str(int(time.time()) + 2 * 86400)},
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # Journeys -----------------------------------------------------------------------------

    def _key(self, key: JourneyKey) -> dict[str, Any]:
        return {"pk": {"S": f"CONTACT#{key.contact_id}"}, "sk": {"S": f"{_JOURNEY}{key.journey_id}"}}

    def record_journey(
        self, key: JourneyKey, status: JourneyStatus, at: datetime, fields: JourneyFields
    ) -> JourneyRecord:
        """Set a journey's status and fields, stamping the first time it reached this status.

        A final status (the journey ended) also drops the task token and any input kept for a wait.
        Returns the record as the update left it.
        """
        sets, names, values = _field_sets(fields)
        names |= {"#status": "status", "#updated": "updated_at", "#t": f"{_REACHED}{status.value}"}
        values |= {":status": {"S": status.value}, ":at": {"S": at.isoformat()}}
        sets += ["#status = :status", "#updated = :at", "#t = if_not_exists(#t, :at)"]
        dropped = " REMOVE " + ", ".join(_WAIT_ATTRIBUTES) if status.is_final else ""
        answer = self._db.update_item(
            TableName=self._table,
            Key=self._key(key),
            UpdateExpression="SET " + ", ".join(sets) + dropped,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return journey_record(answer["Attributes"])

    def remember(self, key: JourneyKey, fields: JourneyFields) -> None:
        """Set fields on a journey record without a transition (what a retried step must reuse).

        No fields, no write (and no record made).
        """
        sets, names, values = _field_sets(fields)
        if not sets:
            return
        self._db.update_item(
            TableName=self._table,
            Key=self._key(key),
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def latest_journey(self, contact_id: str) -> JourneyRecord | None:
        """The contact's most recent journey record, or None."""
        answer = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :j)",
            ExpressionAttributeValues={":pk": {"S": f"CONTACT#{contact_id}"}, ":j": {"S": _JOURNEY}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = answer.get("Items") or []
        return journey_record(items[0]) if items else None

    def journey(self, key: JourneyKey) -> JourneyRecord | None:
        """One journey's record, or None."""
        item = self._db.get_item(TableName=self._table, Key=self._key(key), ConsistentRead=True).get("Item")
        return journey_record(item) if item else None

    def journeys(self) -> Iterator[JourneyRecord]:
        """Every journey record in the table (a scan: for reports and the ops CLI, not for a hot path)."""
        for page in self._db.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="begins_with(sk, :j)",
            ExpressionAttributeValues={":j": {"S": _JOURNEY}},
        ):
            yield from (journey_record(item) for item in page["Items"])

    def set_task_token(
        self, key: JourneyKey, token: str, kind: WaitKind, expires_at: float | None
    ) -> str | None:
        """Store the token the journey now waits on for `kind` (decision, engagement or repair).

        `expires_at` (epoch seconds) is when the wait times out: after it the token is not
        handed out, so an input that arrives late waits for the next wait instead of being
        sent to one that is over. Returns the input of that kind kept for it, if one arrived
        before the wait began.
        """
        answer = self._db.update_item(
            TableName=self._table,
            Key=self._key(key),
            UpdateExpression="SET task_token = :t, waiting_for = :k, token_expires = :e",
            ExpressionAttributeValues={
                ":t": {"S": token},
                ":k": {"S": kind},
                ":e": {"N": str(expires_at if expires_at is not None else NEVER)},
            },
            ReturnValues="ALL_NEW",
        )
        pending = answer.get("Attributes", {}).get(f"pending_{kind}")
        return str(pending["S"]) if pending else None

    def claim_task_token(self, key: JourneyKey, token: str) -> bool:
        """Clear the token if it is still `token`, so exactly one writer resumes that wait.

        Returns False when another writer claimed it first.
        """
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(key),
                UpdateExpression="REMOVE task_token",
                ConditionExpression="task_token = :t",
                ExpressionAttributeValues={":t": {"S": token}},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def restore_task_token(self, key: JourneyKey, token: str) -> None:
        """Give back a claimed token whose resume failed, so the input's redelivery can resume the wait;
        unless a new wait has registered its own token meanwhile (conditional)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(key),
                UpdateExpression="SET task_token = :t",
                ConditionExpression="attribute_not_exists(task_token)",
                ExpressionAttributeValues={":t": {"S": token}},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return

    def park(self, key: JourneyKey, kind: InputKind, input_json: str, now: float) -> str | None:
        """Keep an input of `kind` until the journey acts on it; returns the token of a live wait for it.

        The input stays until the journey's final step clears it, so a resume that reached
        a wait which had just timed out still leaves it for the next wait of that kind.
        """
        attrs = self._db.update_item(
            TableName=self._table,
            Key=self._key(key),
            UpdateExpression="SET #p = :d",
            ExpressionAttributeNames={"#p": f"pending_{kind}"},
            ExpressionAttributeValues={":d": {"S": input_json}},
            ReturnValues="ALL_NEW",
        ).get("Attributes", {})
        token, waiting = attrs.get("task_token"), attrs.get("waiting_for", {}).get("S", "decision")
        expires = float(attrs.get("token_expires", {}).get("N", NEVER))
        return str(token["S"]) if token and waiting == kind and expires > now else None

    # Workflow callbacks ------------------------------------------------------------------

    def claim_callback(self, callback_id: str, key: JourneyKey, work: str | None = None) -> CallbackClaim:
        """Tie a blocked workflow action to a journey, once (conditional put), with the work it sets out to
        do; the first claim's journey and its work not yet done.

        HubSpot sends an action's request again when an answer is late or failed: the same callbackId finds
        the journey its first request started or joined, and redoes what that request may not have finished.
        Kept 60 days, past any block.
        """
        item = {
            "pk": {"S": f"{_CALLBACK}{callback_id}"},
            "sk": {"S": "CALLBACK"},
            "contact_id": {"S": key.contact_id},
            "journey_id": {"S": key.journey_id},
            "expires_at": {"N": str(int(time.time()) + CALLBACK_TTL_S)},
            **({"work": {"S": work}} if work else {}),
        }
        try:
            self._db.put_item(
                TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            kept = self.callback_journey(callback_id)
            assert kept is not None, "a claimed callback has its journey"
            return kept
        return CallbackClaim(key, work)

    def callback_journey(self, callback_id: str) -> CallbackClaim | None:
        """The journey a workflow action was tied to, and the work not yet done, if it was tied."""
        item = self._db.get_item(
            TableName=self._table, Key=self._callback_key(callback_id), ConsistentRead=True
        )
        found = item.get("Item")
        if not found:
            return None
        key = JourneyKey(found["contact_id"]["S"], found["journey_id"]["S"])
        return CallbackClaim(key, found["work"]["S"] if "work" in found else None)

    def callback_work_done(self, callback_id: str) -> None:
        """Forget the work a claim set out to do, now done."""
        self._db.update_item(
            TableName=self._table,
            Key=self._callback_key(callback_id),
            UpdateExpression="REMOVE #w",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#w": "work"},
        )

    @staticmethod
    def _callback_key(callback_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"{_CALLBACK}{callback_id}"}, "sk": {"S": "CALLBACK"}}

    def join(self, key: JourneyKey, callback_id: str) -> bool:
        """Add a blocked workflow action to the journey's callbacks, unless the journey has ended.

        Conditional on the status, so a journey ending at the same moment either has the callback in
        the record its final step reads back, or refuses it here.
        """
        finals = {f":f{i}": {"S": s.value} for i, s in enumerate(sorted(FINAL_STATUSES))}
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(key),
                UpdateExpression="ADD callbacks :c",
                ConditionExpression=f"attribute_not_exists(#s) OR NOT (#s IN ({', '.join(finals)}))",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":c": {"SS": [callback_id]}, **finals},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def drop_callbacks(self, key: JourneyKey, callback_ids: Iterable[str]) -> None:
        """Forget callbacks once their completion is on its way."""
        ids = sorted(set(callback_ids))
        if ids:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(key),
                UpdateExpression="DELETE callbacks :c",
                ExpressionAttributeValues={":c": {"SS": ids}},
            )


_JOURNEY: Final = "JOURNEY#"
_REP: Final = "REP#"
_CALLBACK: Final = "CALLBACK#"
CALLBACK_TTL_S: Final = 60 * 86400
_REACHED: Final = "at_"
_TASK: Final = "task_"
_REASSIGN: Final = "reassign_"
_WAIT_ATTRIBUTES: Final = (
    "task_token",
    "waiting_for",
    "token_expires",
    "pending_decision",
    "pending_engagement",
)


def _micros(seconds: float) -> dict[str, str]:
    """A budget's time as stored: whole microseconds, so DynamoDB's exact decimal sums and the
    equality a conditional write compares survive the trip through a float."""
    return {"N": str(round(seconds * 1_000_000))}


def _seconds(micros: str) -> float:
    return int(micros) / 1_000_000


def _layout(item: dict[str, Any]) -> Layout | None:
    """The layout a team's cursor item holds (None before any turn was dealt in one)."""
    if "layout" not in item:
        return None
    return Layout(tuple(v["S"] for v in item["cycle"]["L"]), int(item.get("anchor", {}).get("N", "1")))


def _encode(value: object) -> dict[str, Any]:
    if isinstance(value, Reassignment):
        return {"M": {k: {"S": v} for k, v in value.model_dump().items()}}
    return {"S": value.isoformat() if isinstance(value, datetime) else str(value)}


def _attributes(fields: JourneyFields) -> dict[str, dict[str, Any]]:
    """The DynamoDB attributes of the fields that are set (tasks and picks under their own names)."""
    attrs = {
        name: _encode(value)
        for name, value in fields
        if value is not None and name not in ("tasks", "reassignments")
    }
    attrs |= {f"{_TASK}{n}": _encode(task) for n, task in fields.tasks.items()}
    attrs |= {f"{_REASSIGN}{n}": _encode(pick) for n, pick in fields.reassignments.items()}
    return attrs


def _field_sets(fields: JourneyFields) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    """SET clauses, attribute names and values that write `fields` (in a stable order)."""
    ordered = sorted(_attributes(fields).items())
    sets = [f"#f{i} = :f{i}" for i in range(len(ordered))]
    names = {f"#f{i}": name for i, (name, _) in enumerate(ordered)}
    values: dict[str, Any] = {f":f{i}": value for i, (_, value) in enumerate(ordered)}
    return sets, names, values


def journey_record(item: dict[str, Any]) -> JourneyRecord:
    """A journey record from its DynamoDB item (attributes it does not know are left out)."""
    data: dict[str, Any] = {
        "contact_id": item["pk"]["S"].removeprefix("CONTACT#"),
        "journey_id": item["sk"]["S"].removeprefix(_JOURNEY),
        "reached": {},
        "tasks": {},
        "reassignments": {},
    }
    known = JourneyRecord.model_fields
    statuses = {s.value for s in JourneyStatus}
    for name, value in item.items():
        if name.startswith(_REACHED) and name.removeprefix(_REACHED) in statuses:
            data["reached"][name.removeprefix(_REACHED)] = value["S"]
        elif name.startswith(_TASK) and name.removeprefix(_TASK).isdigit():
            data["tasks"][int(name.removeprefix(_TASK))] = value["S"]
        elif name.startswith(_REASSIGN) and "M" in value:
            pick = {k: v["S"] for k, v in value["M"].items()}
            data["reassignments"][int(name.removeprefix(_REASSIGN))] = pick
        elif name in known and name not in data:
            data[name] = next(iter(value.values()))  # S, N, or SS (the callbacks)
    if data.get("token_expires") is not None and float(data["token_expires"]) >= NEVER:
        data["token_expires"] = None
    return JourneyRecord.model_validate(data)
