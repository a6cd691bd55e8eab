"""What a HubSpot workflow blocked on "Hand off with leadflow" learns when the journey ends.

The output fields are the ones the action's definition declares, all strings (HubSpot's
callbacks API takes a map of strings), so a workflow can branch on `outcome` and copy the rest
to properties.
"""

from __future__ import annotations

import json
import re
from typing import Final

from pydantic import BaseModel, ConfigDict

from leadflow.core.journey_record import JourneyRecord, JourneyStatus

# A line of a Python traceback: its header, or a frame ('File "...", line 12, in f').
_FRAME: Final = re.compile(r'(File "|Traceback \(most recent call last\))')
# A file path (POSIX or Windows), quoted or not, and the line a frame names in it; not a URL's path.
_PATH: Final = re.compile(r'(?<![\w:/])"?(?:[A-Za-z]:)?(?:[\\/][\w.@~-]+){2,}"?(?:, line \d+)?')
_SPACES: Final = re.compile(r"\s+")
# What a journey's end is called in the `outcome` output (and what the branches are named).
OUTCOMES: Final = ("sql", "recycled", "rejected", "no_response", "failed", "not_mql")
OUTPUT_FIELDS: Final = (
    "outcome",
    "reason",
    "error",
    "owner_email",
    "owner_id",
    "team",
    "sql_path",
    "deal_id",
    "lead_id",
    "hours_to_decision",
)


class CallbackCompletion(BaseModel):
    """A blocked workflow action to let go on, with the outputs the workflow branches on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    callback_id: str
    output_fields: dict[str, str]


def journey_outcome(record: JourneyRecord) -> dict[str, str]:
    """The output fields of a journey as its record tells it: how it ended (or failed), why, with
    whom, and how many hours the owner took to decide."""
    status = record.status
    if status is JourneyStatus.RECYCLED and record.reason == "no_response":
        outcome = "no_response"
    else:
        outcome = status.value if status else ""
    decided, hours = record.decided_at, ""
    if decided is not None and record.mql_at is not None:
        hours = f"{max(0.0, (decided - record.mql_at).total_seconds()) / 3600:.1f}"
    return {
        "hs_execution_state": "SUCCESS",
        "outcome": outcome,
        "reason": record.reason or "",
        # The error's type and message: a portal rule's refusal names the property the workflow's
        # branch can tell an admin to fix.
        "error": _failure(record) if status is JourneyStatus.FAILED else "",
        "owner_email": record.owner_email or "",
        "owner_id": record.owner_id or "",
        "team": record.team or "",
        "sql_path": record.sql_path or "",
        "deal_id": record.deal_id or "",
        "lead_id": record.lead_id or "",
        "hours_to_decision": hours,
    }


def not_handed_off(reason: str) -> dict[str, str]:
    """The output fields of a contact "Hand off with leadflow" did not hand off (not an MQL)."""
    return {
        "hs_execution_state": "SUCCESS",
        **dict.fromkeys(OUTPUT_FIELDS, ""),
        "outcome": "not_mql",
        "reason": reason,
    }


def refused_outcome(error: str) -> dict[str, str]:
    """The output fields of a hand-off HubSpot refused for good (a portal rule the MQL stamp breaks): the
    workflow goes on at once on its `failed` branch, naming the error, instead of retrying for days."""
    return {
        "hs_execution_state": "SUCCESS",
        **dict.fromkeys(OUTPUT_FIELDS, ""),
        "outcome": "failed",
        "error": error,
    }


def error_message(cause: str | None) -> str:
    """What went wrong, for the people it reaches (a notification, a workflow's branch): the message of a
    caught error's cause (Lambda's JSON, or plain text), its first line, without file paths or stack
    frames, short. The cause itself stays on the journey record (`leadflow journey <contact>`)."""
    try:
        parsed = json.loads(cause or "")
    except ValueError:
        parsed = None
    message = str(parsed.get("errorMessage") or "") if isinstance(parsed, dict) else cause or ""
    lines = (line.strip() for line in message.splitlines())
    first = next((line for line in lines if line and not _FRAME.match(line)), "")
    return _SPACES.sub(" ", _PATH.sub("...", first)).strip()[:300] or "no details"


def _failure(record: JourneyRecord) -> str:
    return f"{record.error or 'unknown'}: {error_message(record.cause)}"
