"""The rep's decision codes, and when an accepted lead qualifies as an SQL: pure rules."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Decision(StrEnum):
    """The rep's controlled decision on an MQL."""

    ACCEPT = "accept"
    RECYCLE = "recycle"
    REJECT = "reject"


REASONS: Final[dict[Decision, tuple[str, ...]]] = {
    Decision.ACCEPT: (),
    Decision.REJECT: ("not_icp", "bad_data", "competitor", "student", "no_budget", "duplicate"),
    Decision.RECYCLE: ("not_ready", "bad_timing", "no_response"),
}
# Every reason code, rejects first: the options of the `Decision reason` picklists.
ALL_REASONS: Final = tuple(dict.fromkeys(r for codes in REASONS.values() for r in codes))


def reason_problem(decision: Decision, reason: str) -> str | None:
    """What is wrong with a decision's reason code, or None when the decision can be accepted."""
    allowed = REASONS[decision]
    if not allowed:
        return None
    if not reason:
        return f"a {decision.value} needs a reason: set 'Decision reason' to one of {', '.join(allowed)}"
    if reason not in allowed:
        return f"{reason!r} is not a {decision.value} reason: use one of {', '.join(allowed)}"
    return None


# A lead its rep moved to Qualified is an SQL under every policy: the rep says so.
QUALIFYING: Final[dict[str, frozenset[str]]] = {
    "engagement_required": frozenset({"meeting_booked", "email_reply", "call_logged", "lead_qualified"}),
    "meeting_booked": frozenset({"meeting_booked", "lead_qualified"}),
}


def sql_path(policy: str, direct_sql: bool) -> str:
    """How a lead becomes an SQL: fast-tracked, or by its team's engagement rule.

    `fast_track` teams qualify their other leads like `engagement_required` ones.
    """
    if direct_sql:
        return "fast_track"
    return "engagement_required" if policy == "fast_track" else policy


def qualifies(policy: str, kind: str) -> bool:
    """Whether an engagement of this kind makes an accepted lead an SQL under the team's policy."""
    return kind in QUALIFYING.get(sql_path(policy, direct_sql=False), frozenset())
