"""Routing decisions: which team a lead belongs to, who in it can take a lead now, and whose turn it is.

Pure functions over the configuration and a rotation ledger (the shared counters of each team's
weighted round robin). The journey's Route and Reassign steps run them on DynamoDB's counters;
`leadflow replay` runs the very same functions on counters in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

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

    A member's turns are spread through the cycle instead of taken in one run. Each turn of the
    team's shared counter falls on one slot of the cycle: the member whose turn it is by weight.
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


def calendar_of(team: TeamConfig, member: Member | None) -> WorkCalendar:
    """The working calendar of a member (the team's, in the member's time zone if they set one)."""
    return WorkCalendar.of(team.calendar, member.timezone if member else None)


class SkipCause(StrEnum):
    """Why a member could not take a lead at a turn of the rotation."""

    INACTIVE = "inactive"
    NOT_AN_OWNER = "not_an_owner"
    OUT_OF_OFFICE = "out_of_office"
    WORKING_HOURS = "working_hours"
    DAILY_CAP = "daily_cap"
    CURRENT_OWNER = "current_owner"


def availability(
    team: TeamConfig, member: Member, active_in_hubspot: bool, now: datetime, *, check_hours: bool = True
) -> tuple[SkipCause, str] | None:
    """Why a member cannot take a lead now (the cause and a sentence), or None when they can."""
    if not member.active:
        return SkipCause.INACTIVE, "inactive in the configuration"
    if not active_in_hubspot:
        return SkipCause.NOT_AN_OWNER, "not an active HubSpot owner"
    calendar = calendar_of(team, member)
    leave = on_leave(member.out_of_office, calendar.local_date(now))
    if leave is not None:
        return SkipCause.OUT_OF_OFFICE, f"out of office until {leave.end.isoformat()}"
    if check_hours and not calendar.is_open(now):
        return SkipCause.WORKING_HOURS, "outside working hours"
    return None


def unavailable_because(
    team: TeamConfig, member: Member, active_in_hubspot: bool, now: datetime, *, check_hours: bool = True
) -> str | None:
    """Why a member cannot take a lead now, or None when they can."""
    why = availability(team, member, active_in_hubspot, now, check_hours=check_hours)
    return why[1] if why else None


def member_by_email(team: TeamConfig, email: str) -> Member | None:
    """The team member with this email (case-insensitive), if any."""
    return next((m for m in team.members if m.email.lower() == email.lower()), None)


@dataclass(frozen=True, slots=True)
class Standing:
    """A rep's account with a team's rotation: the turns it owes them and the leads it gave them."""

    entitled: int = 0
    received: int = 0

    @property
    def owed(self) -> int:
        """Turns the rotation still owes the rep (negative: leads they took in others' turns)."""
        return self.entitled - self.received


@dataclass(frozen=True, slots=True)
class Layout:
    """How a team's turns fall on its members: turn `n` is `cycle[(n - anchor) % len(cycle)]`'s."""

    cycle: tuple[str, ...]
    anchor: int = 1

    def slot(self, number: int) -> str | None:
        """Whose turn `number` is (None: nobody is in the rotation)."""
        return self.cycle[(number - self.anchor) % len(self.cycle)] if self.cycle else None

    @property
    def version(self) -> str:
        """A short identity of the layout, for a store to write a new one only over the one it read."""
        digest = hashlib.sha256(" ".join(self.cycle).encode()).hexdigest()[:16]
        return f"{self.anchor}:{digest}"


def relayout(previous: Layout | None, cycle: Sequence[str], number: int) -> Layout:
    """The layout turn `number` is dealt in, given the one the team's turns were dealt in until now.

    While the rotation's members stay the same, that layout. When they change (a rep added,
    removed, reweighted, or deactivated), the new cycle starts where the previous one would have
    gone next: at the first of its next members still in the rotation. So a change moves nobody's
    turn forward or back; a new member's first turn comes when the cycle reaches them.
    """
    cycle = tuple(cycle)
    if previous is None:
        return Layout(cycle)
    if previous.cycle == cycle:
        return previous
    old = previous.cycle
    if not old or not cycle:
        return Layout(cycle, number)
    start = (number - previous.anchor) % len(old)
    ahead = [old[(start + k) % len(old)] for k in range(len(old))]
    following = next((email for email in ahead if email in cycle), cycle[0])
    return Layout(cycle, number - cycle.index(following))


class RotationLedger(Protocol):
    """The shared counters of the teams' rotations and of the reps' daily caps (atomic in each store)."""

    def next_turn(self, team: str, cycle: Sequence[str]) -> tuple[int, str | None]:
        """Atomically take the team's next turn: its number, and whose turn it is in `cycle` (the weighted
        cycle of the rotation's members now), laid out by `relayout` from the team's last layout."""
        ...

    def standings(self, team: str) -> dict[str, Standing]:
        """Every rep's standing in the team's rotation by lower-case email (reps never counted: absent)."""
        ...

    def take_turn(self, team: str, owed_to: str | None, taker: str | None) -> None:
        """Count one turn: it is owed to `owed_to` (None: to nobody), and `taker` (None: nobody in the team)
        received one more lead. Each count is an atomic addition."""
        ...

    def claim_capacity(self, owner_id: str, day: str, cap: int) -> bool:
        """Count one more lead for a rep on `day` unless they have `cap` already (atomic)."""
        ...


Pick = Literal["slot", "catch_up", "fill_in", "none"]


@dataclass(frozen=True)
class Skip:
    """A member passed over at a turn: who, why (the cause and a sentence)."""

    email: str
    cause: SkipCause
    text: str

    def __str__(self) -> str:
        return f"{self.email} ({self.text})"


@dataclass(frozen=True)
class Turn:
    """One turn of a team's rotation: whose it was by weight, who took the lead, who was passed over."""

    number: int
    slot: str | None
    owner: Owner | None
    skipped: tuple[Skip, ...] = ()
    owed: int = 0  # the turns the rotation owed the taker before this one

    @property
    def pick(self) -> Pick:
        """How the taker got the lead: their own turn, a turn made up to them, filling in, or nobody."""
        if self.owner is None:
            return "none"
        if self.owner.email == self.slot:
            return "slot"
        return "catch_up" if self.owed > 0 else "fill_in"

    @property
    def skipped_causes(self) -> dict[str, str]:
        """Who was passed over and why, as cause codes (what the journey record keeps)."""
        return {s.email: s.cause.value for s in self.skipped}

    def describe(self) -> str:
        """The turn as the routing explanation words it."""
        taker = self.owner.email if self.owner else ""
        if self.pick == "catch_up":
            owed = "a turn" if self.owed == 1 else f"{self.owed} turns"
            return f"weighted round robin (turn {self.number}) chose {taker}, who was owed {owed}"
        return f"weighted round robin (turn {self.number}) chose {taker}"

    @property
    def passed_over(self) -> tuple[Skip, ...]:
        """The members an explanation names as passed over (not the owner a reassignment takes it from)."""
        return tuple(s for s in self.skipped if s.cause is not SkipCause.CURRENT_OWNER)

    def passed(self) -> str:
        """`; skipped a (why), b (why)` when anyone was passed over, else nothing."""
        return f"; skipped {', '.join(map(str, self.passed_over))}" if self.passed_over else ""


def rotate(
    team_name: str,
    team: TeamConfig,
    owners: Mapping[str, Owner],
    now: datetime,
    ledger: RotationLedger,
    exclude: str | None = None,
) -> Turn:
    """The next lead of a team by weighted round robin, in a way a change of members never resets.

    The team's atomic counter gives each call its own turn, and the turn falls on a slot of the
    weighted cycle of the members in the rotation (active in the configuration and in HubSpot).
    Each rep's standing (turns owed to them, leads received) lives in the ledger, so adding,
    removing or reweighting a member moves nobody else's account. The lead goes to the available
    member the rotation owes most, relative to their weight, counting this turn for its slot's
    member; in a steady state that is the slot's member, so concurrent turns go to different reps.
    A slot's member who cannot take the lead misses the turn: it is owed to them when its cause is
    one of the team's `catch_up` causes, else forfeited to whoever takes it. Caps are claimed with a
    conditional write, so a cap is never exceeded. `exclude` (an owner id) is the owner who missed
    the SLA.
    """
    rotation = [m for m in team.members if m.active and m.email.lower() in owners]
    skipped: list[Skip] = []
    for m in team.members:
        if m not in rotation:
            cause = availability(team, m, m.email.lower() in owners, now)
            assert cause is not None, "only unavailable members are out of the rotation"
            skipped.append(Skip(m.email.lower(), *cause))
    cycle = weighted_sequence(rotation)
    number, slot = ledger.next_turn(team_name, cycle)
    if slot is None:
        return Turn(number, None, None, tuple(skipped))
    standings = ledger.standings(team_name)
    slot_skip: Skip | None = None
    for member in _by_debt(rotation, cycle, slot, standings):
        email, owner = member.email.lower(), owners[member.email.lower()]
        skip = _cannot_take(team, member, owner, now, ledger, exclude)
        if skip is not None:
            skipped.append(skip)
            slot_skip = skip if email == slot else slot_skip
            continue
        owed = standings.get(email, Standing()).owed
        ledger.take_turn(team_name, slot if _owed_to_slot(team, slot_skip) else email, email)
        return Turn(number, slot, owner, tuple(skipped), owed)
    ledger.take_turn(team_name, slot if _owed_to_slot(team, slot_skip) else None, None)
    return Turn(number, slot, None, tuple(skipped))


def _by_debt(
    rotation: list[Member], cycle: list[str], slot: str, standings: Mapping[str, Standing]
) -> list[Member]:
    """The members in the order to offer the turn: the most owed (relative to weight, this turn counted
    for its slot) first; on a tie, the one owed more before this turn, then cycle order from the slot."""
    start = cycle.index(slot)
    position = {email: i for i, email in enumerate(dict.fromkeys(cycle[start:] + cycle[:start]))}

    def key(member: Member) -> tuple[float, float, int]:
        email = member.email.lower()
        owed = standings.get(email, Standing()).owed
        now_owed = owed + (email == slot)
        return -now_owed / member.weight, -owed / member.weight, position[email]

    return sorted(rotation, key=key)


def _cannot_take(
    team: TeamConfig,
    member: Member,
    owner: Owner,
    now: datetime,
    ledger: RotationLedger,
    exclude: str | None,
) -> Skip | None:
    email = member.email.lower()
    if owner.id == exclude:
        return Skip(email, SkipCause.CURRENT_OWNER, "missed the SLA on this lead")
    why = availability(team, member, True, now)
    if why is not None:
        return Skip(email, *why)
    if member.daily_cap is not None:
        day = calendar_of(team, member).local_date(now).isoformat()
        if not ledger.claim_capacity(owner.id, day, member.daily_cap):
            return Skip(email, SkipCause.DAILY_CAP, f"daily cap of {member.daily_cap} reached")
    return None


def _owed_to_slot(team: TeamConfig, slot_skip: Skip | None) -> bool:
    """Whether the turn is the slot's member's: they took it, gave way to a rep owed more, or missed it
    for one of the team's catch-up causes. A turn missed otherwise is forfeited: it becomes the turn of
    whoever takes it, so filling in never puts that rep behind."""
    return slot_skip is None or slot_skip.cause.value in team.catch_up


@dataclass(frozen=True)
class Routed:
    """Where Route sends a lead: the team, the rule, the owner (None: nobody in the team could take it,
    so the team's fallback owner does), the turn of the rotation that decided, and why."""

    team: str
    rule: str
    owner: Owner | None
    why: str
    turn: Turn | None = None

    def to_fallback(self, fallback: Owner) -> Routed:
        """The lead goes to the team's fallback owner because nobody in the team could take it."""
        why = f"{self.why}: fallback owner {fallback.email}."
        return Routed(self.team, "no_one_available", fallback, why, self.turn)


def route(
    routing: RoutingConfig,
    props: Mapping[str, str | None],
    owners: Mapping[str, Owner],
    now: datetime,
    ledger: RotationLedger,
    *,
    company_id: str = "",
    company_owner: str | None = None,
    open_deal_owner: Callable[[], str | None] = lambda: None,
) -> Routed:
    """Route one lead: the team by rules, then the account's owner (with account matching), else the
    team's rotation. `owners` are the active HubSpot owners by lower-case email; `open_deal_owner` is
    asked only when the company's owner cannot take the lead (it costs the journey a HubSpot call).

    When nobody in the team can take it, `owner` is None and `why` ends where the fallback owner
    is named (`Routed.to_fallback`).
    """
    choice = choose_team(routing, props)
    team = routing.teams[choice.team]
    if company_id and account_matching(routing, choice):
        matched = _account_owner(team, owners, company_id, company_owner, open_deal_owner, now)
        if matched is not None:
            owner, rule, note = matched
            return Routed(choice.team, rule, owner, f"{note}.")
    turn = rotate(choice.team, team, owners, now, ledger)
    ruled = (
        f"rule '{choice.rule_name}' sent the lead to team {choice.team}"
        if choice.rule
        else f"no routing rule matched: default team {choice.team}"
    )
    if turn.owner is not None:
        why = f"{ruled}; {turn.describe()}{turn.passed()}."
        return Routed(choice.team, choice.rule_name, turn.owner, why, turn)
    nobody = f"{ruled}; nobody in the team could take it{turn.passed()}"
    return Routed(choice.team, choice.rule_name, None, nobody, turn)


def _account_owner(
    team: TeamConfig,
    owners: Mapping[str, Owner],
    company_id: str,
    company_owner_id: str | None,
    open_deal_owner: Callable[[], str | None],
    now: datetime,
) -> tuple[Owner, str, str] | None:
    """The account's owner (the company's, else its open deal's) when they can take the lead."""
    by_id = {o.id: o for o in owners.values()}
    candidates: list[tuple[str, str, Callable[[], str | None]]] = [
        ("account_owner", "the company's owner", lambda: company_owner_id),
        ("open_deal_owner", "the owner of the company's open deal", open_deal_owner),
    ]
    for rule, what, owner_of in candidates:
        owner = by_id.get(owner_of() or "")
        if owner is None:
            continue
        member = member_by_email(team, owner.email)
        # Working hours do not apply: the account's owner keeps their accounts' leads, team member or not.
        if member is None or availability(team, member, True, now, check_hours=False) is None:
            return owner, rule, f"account match: {what} {owner.email} owns company {company_id}"
    return None


class InMemoryLedger:
    """A rotation ledger in one process's memory: for `leadflow replay` and the in-memory test fakes.

    Not thread-safe by itself (callers that share one across threads hold a lock); the deployed
    ledger is DynamoDB's (`adapters.state_store.StateStore`).
    """

    def __init__(self) -> None:
        self.cursors: dict[str, int] = {}
        self.layouts: dict[str, Layout] = {}
        self.load: dict[tuple[str, str], int] = {}
        self.accounts: dict[str, dict[str, Standing]] = {}

    def next_turn(self, team: str, cycle: Sequence[str]) -> tuple[int, str | None]:
        """The team's next turn and whose it is."""
        number = self.cursors[team] = self.cursors.get(team, 0) + 1
        layout = self.layouts[team] = relayout(self.layouts.get(team), cycle, number)
        return number, layout.slot(number)

    def standings(self, team: str) -> dict[str, Standing]:
        """The reps' standings in the team's rotation."""
        return dict(self.accounts.get(team, {}))

    def take_turn(self, team: str, owed_to: str | None, taker: str | None) -> None:
        """Count a turn: owed to `owed_to`, one more lead for `taker`."""
        accounts = self.accounts.setdefault(team, {})
        if owed_to is not None:
            was = accounts.get(owed_to, Standing())
            accounts[owed_to] = Standing(was.entitled + 1, was.received)
        if taker is not None:
            was = accounts.get(taker, Standing())
            accounts[taker] = Standing(was.entitled, was.received + 1)

    def claim_capacity(self, owner_id: str, day: str, cap: int) -> bool:
        """One more lead for the rep on `day`, unless they have `cap` already."""
        if cap < 1 or self.load.get((owner_id, day), 0) >= cap:
            return False
        self.load[(owner_id, day)] = self.load.get((owner_id, day), 0) + 1
        return True
