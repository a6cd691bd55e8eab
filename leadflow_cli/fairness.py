"""The fairness ledger: each rep's share of a team's leads against the share their weight asks for.

Over a window of routed leads (journey records, or a replay's) it counts, per team and rep, the
turns the rotation dealt them by weight, the leads they got (on their own turn, making up a turn
owed to them, filling in for someone else), the turns they missed and why (caps, leave, working
hours...), and how many missed turns were made up. Account matches and leads nobody in the team
could take are counted beside the rotation: they are not its turns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from leadflow.core.config import LeadflowConfig
from leadflow.core.journey_record import JourneyRecord


@dataclass(frozen=True)
class RoutedLead:
    """What the fairness ledger reads of one routed lead (the rep Route chose, not later owners)."""

    team: str
    owner: str
    rule: str
    turn_of: str | None = None
    pick: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, record: JourneyRecord) -> RoutedLead | None:
        """The routing of a journey record. Its `owner_email` stays the rep Route chose: the ladder's
        reassignments and the fallback owner change `owner_id` only."""
        if not (record.team and record.owner_email and record.rule):
            return None
        return cls(
            record.team,
            record.owner_email.lower(),
            record.rule,
            record.turn_of,
            record.pick,
            record.skipped_causes,
        )


@dataclass
class RepLine:
    """One rep's line in a team's ledger."""

    email: str
    weight: int = 0
    target_share: float = 0.0
    assigned: int = 0
    share: float = 0.0
    turns: int = 0
    own_turns: int = 0
    made_up: int = 0
    filled_in: int = 0
    account_matches: int = 0
    missed: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        """The line for scripts."""
        shares = {"target_share": round(self.target_share, 4), "share": round(self.share, 4)}
        return {**asdict(self), **shares, "missed": dict(self.missed)}


@dataclass
class TeamLedger:
    """A team's rotation over the window."""

    team: str
    leads: int = 0
    rotation: int = 0
    account_matches: int = 0
    nobody: int = 0
    reps: dict[str, RepLine] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The team for scripts."""
        return {
            "team": self.team,
            "leads": self.leads,
            "rotation_turns": self.rotation,
            "account_matches": self.account_matches,
            "nobody_available": self.nobody,
            "reps": [r.as_json() for r in self.reps.values()],
        }


def ledger(rows: Iterable[RoutedLead], config: LeadflowConfig) -> dict[str, TeamLedger]:
    """Each team's ledger over these routed leads; the targets are the configuration's weights."""
    teams: dict[str, TeamLedger] = {}
    for row in rows:
        book = teams.get(row.team) or teams.setdefault(row.team, _book(row.team, config))
        book.leads += 1
        if row.pick is not None:
            book.rotation += 1
            _turn(book, row)
        if row.pick == "none":
            book.nobody += 1
            continue
        line = _line(book, row.owner)
        line.assigned += 1
        if row.pick is None and row.rule in ("account_owner", "open_deal_owner"):
            book.account_matches += 1
            line.account_matches += 1
        elif row.pick == "slot":
            line.own_turns += 1
        elif row.pick == "catch_up":
            line.made_up += 1
        elif row.pick == "fill_in":
            line.filled_in += 1
    for book in teams.values():
        for line in book.reps.values():
            line.share = line.assigned / book.leads if book.leads else 0.0
    return teams


def _line(book: TeamLedger, email: str) -> RepLine:
    return book.reps.get(email) or book.reps.setdefault(email, RepLine(email))


def _turn(book: TeamLedger, row: RoutedLead) -> None:
    """The turn's slot: one more turn for its member, and the cause when they missed it."""
    if row.turn_of:
        _line(book, row.turn_of).turns += 1
        cause = row.skipped.get(row.turn_of)
        if cause is not None:
            _line(book, row.turn_of).missed[cause] += 1


def _book(team: str, config: LeadflowConfig) -> TeamLedger:
    """A team's empty ledger, every configured member on it with their weight's share."""
    book = TeamLedger(team)
    spec = config.routing.teams.get(team)
    if spec is None:
        return book
    active = [m for m in spec.members if m.active]
    total = sum(m.weight for m in active)
    for m in spec.members:
        email = m.email.lower()
        book.reps[email] = RepLine(email, m.weight, m.weight / total if m.active and total else 0.0)
    return book


def print_ledger(books: dict[str, TeamLedger], out: TextIO) -> None:
    """The fairness ledger for people: per team, each rep's share against target and their turns."""
    print("fairness (share of the team's MQLs against the weight's share; turns of the rotation):", file=out)
    for team, book in sorted(books.items()):
        print(
            f"  team {team}: {book.leads:,} MQLs, {book.rotation:,} rotation turns, "
            f"{book.account_matches:,} account matches, {book.nobody:,} nobody could take",
            file=out,
        )
        print(
            f"    {'rep':<28}{'target':>7}{'share':>7}{'leads':>7}{'turns':>7}{'own':>6}"
            f"{'made up':>8}{'filled in':>10}  missed",
            file=out,
        )
        for email, line in sorted(book.reps.items()):
            missed = ", ".join(f"{cause} {n}" for cause, n in line.missed.most_common()) or "-"
            print(
                f"    {email[:27]:<28}{line.target_share:>7.0%}{line.share:>7.0%}{line.assigned:>7,}"
                f"{line.turns:>7,}{line.own_turns:>6,}{line.made_up:>8,}{line.filled_in:>10,}  {missed}",
                file=out,
            )
