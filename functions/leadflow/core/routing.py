"""Routing decisions: which team a lead belongs to, who in it can take a lead now, and in what order.

Pure functions over the configuration: the journey's Route step feeds them HubSpot's
owners and the atomic round-robin cursor, and records the explanation they return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from leadflow.core.calendar import WorkCalendar, on_leave
from leadflow.core.config import Member, RoutingConfig, RoutingRule, TeamConfig


@dataclass(frozen=True, slots=True)
class Owner:
    """A HubSpot user who can own records (email in lower case)."""

    id: str
    email: str
    active: bool


@dataclass(frozen=True)
class TeamChoice:
    """The team a lead goes to, and the rule that chose it (None: the default team)."""

    team: str
    rule: RoutingRule | None

    @property
    def rule_name(self) -> str:
        """The deciding rule's name, `default` when no rule matched."""
        return self.rule.name if self.rule else "default"


def choose_team(routing: RoutingConfig, props: Mapping[str, str | None]) -> TeamChoice:
    """The first rule whose every condition holds picks the team; else the default team.

    Conditions are compiled per call: routing runs once per journey, not in a hot loop.
    """
    for rule in routing.rules:
        if all(condition.compile()(props.get(prop)) for prop, condition in rule.when.items()):
            return TeamChoice(rule.team, rule)
    return TeamChoice(routing.default_team, None)


def account_matching(routing: RoutingConfig, choice: TeamChoice) -> bool:
    """Whether the lead goes to its account's owner first (the rule may override the default)."""
    if choice.rule is not None and choice.rule.account_match is not None:
        return choice.rule.account_match
    return routing.account_matching


def weighted_sequence(members: list[Member]) -> list[str]:
    """One cycle of smooth weighted round robin: weights 2/1/1 give a, b, c, a; 5/1 give a, a, a, b, a, a.

    A member's turns are spread through the cycle instead of taken in one run. The order
    depends only on the members, so every execution walks the same cycle and the shared
    DynamoDB cursor alone decides whose turn it is.
    """
    current = {m.email.lower(): 0 for m in members}
    total = sum(m.weight for m in members)
    cycle: list[str] = []
    for _ in range(total):
        for m in members:
            current[m.email.lower()] += m.weight
        chosen = max(current, key=lambda email: current[email])
        current[chosen] -= total
        cycle.append(chosen)
    return cycle


def turn_order(cycle: list[str], cursor: int) -> list[str]:
    """The members in the order to try for the cursor's turn (its slot first), each once."""
    if not cycle:
        return []
    start = (cursor - 1) % len(cycle)
    ordered = cycle[start:] + cycle[:start]
    return list(dict.fromkeys(ordered))


def calendar_of(team: TeamConfig, member: Member | None) -> WorkCalendar:
    """The working calendar of a member (the team's, in the member's time zone if they set one)."""
    return WorkCalendar.of(team.calendar, member.timezone if member else None)


def unavailable_because(
    team: TeamConfig, member: Member, active_in_hubspot: bool, now: datetime, *, check_hours: bool = True
) -> str | None:
    """Why a member cannot take a lead now, or None when they can."""
    if not member.active:
        return "inactive in the configuration"
    if not active_in_hubspot:
        return "not an active HubSpot owner"
    calendar = calendar_of(team, member)
    leave = on_leave(member.out_of_office, calendar.local_date(now))
    if leave is not None:
        return f"out of office until {leave.end.isoformat()}"
    if check_hours and not calendar.is_open(now):
        return "outside working hours"
    return None


def member_by_email(team: TeamConfig, email: str) -> Member | None:
    """The team member with this email (case-insensitive), if any."""
    return next((m for m in team.members if m.email.lower() == email.lower()), None)
