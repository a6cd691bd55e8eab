"""`leadflow replay`: past MQL arrivals played again, in simulated time, through a configuration.

Each arrival is routed by `core.routing.route` (rules, account matching, weighted round robin
with its ledger, caps, working hours, leave) and handed a deadline by `core.sla` (business
hours in the owner's calendar), as the journey's Route and HandOff steps do; a deadline that
passes before the owner's decision climbs the same ladder (remind, alert the manager, reassign
by the rotation, the fallback owner, then recycled for no response). Only the counters live in
memory instead of DynamoDB. What a rep decides when comes from `decision_model`.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tqdm import tqdm

from leadflow.core import sla
from leadflow.core.calendar import WorkCalendar
from leadflow.core.config import LeadflowConfig, TeamConfig
from leadflow.core.journey_record import JourneyRecord
from leadflow.core.lifecycle import Prop
from leadflow.core.routing import InMemoryLedger, Owner, Routed, calendar_of, member_by_email, rotate, route
from leadflow.core.scoring import Scorer
from leadflow_cli.decision_model import DecisionModel
from leadflow_cli.fairness import RoutedLead, TeamLedger, ledger
from leadflow_cli.hubspot_export import ID, HubSpotExport, signals_of


@dataclass(frozen=True)
class Arrival:
    """An MQL as it arrived: when, the contact's properties routing reads, and what scoring said."""

    contact_id: str
    at: datetime
    props: Mapping[str, str | None]
    score: int = 0
    tier: str = ""
    reason: str = ""
    fast_track: bool = False
    email: str = ""
    team: str | None = None  # a recorded journey's team (a replay of records, without properties)


def read_rows(export: HubSpotExport, progress: bool = True) -> list[dict[str, str]]:
    """The export's rows, read once for every configuration a replay plays."""
    rows = tqdm(
        export.rows(), total=export.total, unit=" contacts", desc="reading", disable=not progress, leave=False
    )
    return list(rows)


def arrivals_from_rows(
    config: LeadflowConfig, rows: list[dict[str, str]], progress: bool = True
) -> list[Arrival]:
    """The rows that are MQLs under the configuration, each arriving when its latest signal happened (an
    export keeps the last of each), scored as of then."""
    scorer = Scorer(config.scoring)
    found: list[Arrival] = []
    for n, row in enumerate(tqdm(rows, unit=" contacts", desc="scoring", disable=not progress, leave=False)):
        signals = signals_of(row, config.scoring)
        if not signals:
            continue
        at = max(s.occurred_at for s in signals)
        card = scorer.score(row, signals, now=at)
        if not card.is_mql:
            continue
        found.append(
            Arrival(
                contact_id=row.get(ID) or f"row-{n + 1}",
                at=at,
                props=row,
                score=card.total,
                tier=card.tier,
                reason=card.trigger,
                fast_track=card.fast_track,
                email=row.get("email", ""),
            )
        )
    return sorted(found, key=lambda a: (a.at, a.contact_id))


def arrivals_from_records(records: Iterable[JourneyRecord]) -> list[Arrival]:
    """The MQLs of recorded journeys: their time, score and team (no properties: they keep their team)."""
    found = [
        Arrival(
            contact_id=r.contact_id,
            at=r.mql_at,
            props={},
            score=r.score or 0,
            tier=r.tier or "",
            reason=r.mql_reason or "",
            fast_track=r.sql_path == "fast_track",
            team=r.team,
        )
        for r in records
        if r.mql_at and r.team
    ]
    return sorted(found, key=lambda a: (a.at, a.contact_id))


def owners_of(config: LeadflowConfig, extra: Iterable[str] = ()) -> dict[str, Owner]:
    """Every person the configuration names, as active HubSpot owners (their email is their id)."""
    emails = {e.lower() for e in extra}
    for team in config.routing.teams.values():
        emails |= {m.email.lower() for m in team.members} | {team.fallback_owner.lower()}
    return {e: Owner(e, e, True) for e in sorted(emails)}


@dataclass
class Lead:
    """One MQL through the replay: who Route chose, who owns it now, and what the SLA clock did."""

    arrival: Arrival
    routing: RoutedLead
    owner: str = ""
    due: datetime | None = None
    first_due: datetime | None = None
    decided_at: datetime | None = None
    escalations: int = 0
    missed_by: Counter[str] = field(default_factory=Counter)
    reassigned_to: list[str] = field(default_factory=list)
    fallback_owner: str = ""
    outcome: str = "open"  # decided, fast_track, no_response

    @property
    def breached(self) -> bool:
        """The lead missed its SLA: a deadline passed before anyone decided."""
        return self.escalations > 0

    @property
    def team(self) -> str:
        """The team Route chose."""
        return self.routing.team


class Replay:
    """Plays arrivals through a configuration in simulated time."""

    def __init__(
        self,
        config: LeadflowConfig,
        decisions: DecisionModel,
        owners: Mapping[str, Owner] | None = None,
        company_owner: Callable[[Arrival], str | None] = lambda a: a.props.get(f"company.{Prop.OWNER}"),
    ) -> None:
        self.config = config
        self.decisions = decisions
        self.owners = dict(owners or owners_of(config))
        self.company_owner = company_owner
        self.ledger = InMemoryLedger()
        self._events: list[tuple[datetime, int, Lead]] = []
        self._seq = itertools.count()

    def run(
        self, arrivals: list[Arrival], progress: bool = False, until: datetime | None = None
    ) -> list[Lead]:
        """Every arrival routed and its SLA clock run, in time order: to the end, or to `until` (what is
        still waiting then keeps its owner and deadline)."""
        leads: list[Lead] = []
        kept = [a for a in arrivals if until is None or a.at <= until]
        pending = iter(tqdm(kept, unit=" MQLs", desc="replaying", disable=not progress, leave=False))
        upcoming = next(pending, None)
        while upcoming is not None or (self._events and (until is None or self._events[0][0] <= until)):
            if self._events and (upcoming is None or self._events[0][0] <= upcoming.at):
                at, _, lead = heapq.heappop(self._events)
                self._deadline(lead, at)
                continue
            assert upcoming is not None
            leads.append(self._arrive(upcoming))
            upcoming = next(pending, None)
        return leads

    def _arrive(self, arrival: Arrival) -> Lead:
        routed = self._route(arrival)
        assert routed.owner is not None
        turn = routed.turn
        routing = RoutedLead(
            routed.team,
            routed.owner.email,
            routed.rule,
            turn.slot if turn else None,
            turn.pick if turn else None,
            turn.skipped_causes if turn else {},
        )
        lead = Lead(arrival, routing)
        team = self.config.routing.teams[lead.team]
        if team.sql_policy == "fast_track" and arrival.fast_track:
            lead.outcome = "fast_track"
            return lead
        hours = self.config.sla.decision_hours
        self._hand_over(lead, routed.owner.email, arrival.at, self._calendar(team, routed.owner.email), hours)
        lead.first_due = lead.due
        return lead

    def _route(self, arrival: Arrival) -> Routed:
        routing = self.config.routing
        company_owner = self.company_owner(arrival)
        if arrival.team is not None and arrival.team in routing.teams:
            # A recorded journey without its properties keeps its team; the rotation picks the rep.
            team = routing.teams[arrival.team]
            turn = rotate(arrival.team, team, self.owners, arrival.at, self.ledger)
            rule = "recorded_team"
            routed = Routed(arrival.team, rule, turn.owner, "", turn)
        else:
            routed = route(
                routing,
                arrival.props,
                self.owners,
                arrival.at,
                self.ledger,
                company_id=arrival.props.get(Prop.COMPANY_ID) or "",
                company_owner=company_owner.lower() if company_owner else None,
            )
        if routed.owner is None:
            routed = routed.to_fallback(self._fallback_owner(routing.teams[routed.team]))
        return routed

    def _fallback_owner(self, team: TeamConfig) -> Owner:
        email = team.fallback_owner.lower()
        return self.owners.get(email) or Owner(email, email, True)

    def _calendar(self, team: TeamConfig, email: str) -> WorkCalendar:
        return calendar_of(team, member_by_email(team, email))

    def _hand_over(self, lead: Lead, owner: str, at: datetime, calendar: WorkCalendar, hours: float) -> None:
        """The lead (again) waits on `owner`: their decision time, and the deadline `hours` from `at`."""
        if owner != lead.owner:
            lead.owner = owner
            lead.decided_at = self.decisions.decided_at(lead.arrival.contact_id, owner, at, calendar)
        lead.due, _ = sla.deadline(calendar, at, hours)
        self._wait(lead)

    def _wait(self, lead: Lead) -> None:
        assert lead.due is not None
        if lead.decided_at is not None and lead.decided_at <= lead.due:
            lead.outcome = "decided"
            return
        heapq.heappush(self._events, (lead.due, next(self._seq), lead))

    def _deadline(self, lead: Lead, at: datetime) -> None:
        """The lead's deadline passed undecided: the ladder's next step, as the journey's Escalate runs it."""
        taken = lead.escalations
        lead.escalations += 1
        lead.missed_by[lead.owner] += 1
        step = "expire" if lead.fallback_owner else sla.next_escalation(self.config.sla, taken)
        team = self.config.routing.teams[lead.team]
        hours = sla.step_hours(self.config.sla, lead.escalations)
        if step == "expire":
            lead.outcome = "no_response"
        elif step == "fallback":
            # The fallback owner decides around the clock, within `sla.fallback_days`.
            lead.owner = lead.fallback_owner = self._fallback_owner(team).email
            contact = lead.arrival.contact_id
            lead.decided_at = self.decisions.decided_at(contact, lead.owner, at, WorkCalendar.of(None))
            lead.due, _ = sla.fallback_deadline(self.config.sla, at)
            self._wait(lead)
        elif step == "reassign":
            owner = self.owners.get(lead.owner)
            turn = rotate(lead.team, team, self.owners, at, self.ledger, exclude=owner.id if owner else None)
            new = turn.owner.email if turn.owner else lead.owner
            if turn.owner:
                lead.reassigned_to.append(new)
            self._hand_over(lead, new, at, self._calendar(team, new), hours)
        else:
            self._hand_over(lead, lead.owner, at, self._calendar(team, lead.owner), hours)


@dataclass
class Outcome:
    """A replay's results: the leads read, the MQLs played, and each MQL's way through the SLA."""

    source: str
    config: LeadflowConfig
    rows: int
    leads: list[Lead]
    decisions: str

    @property
    def by_contact(self) -> dict[str, Lead]:
        """Each MQL by its contact id."""
        return {lead.arrival.contact_id: lead for lead in self.leads}

    def fairness(self) -> dict[str, TeamLedger]:
        """The fairness ledger of the replayed routing."""
        return ledger((lead.routing for lead in self.leads), self.config)

    def totals(self) -> dict[str, Any]:
        """The counts over every MQL."""
        outcomes = Counter(lead.outcome for lead in self.leads)
        return {
            "leads": self.rows,
            "mqls": len(self.leads),
            "decided_within_sla": sum(
                1 for lead in self.leads if lead.outcome == "decided" and not lead.breached
            ),
            "sla_breaches": sum(1 for lead in self.leads if lead.breached),
            "escalations": sum(lead.escalations for lead in self.leads),
            "reassigned": sum(1 for lead in self.leads if lead.reassigned_to),
            "fallback": sum(1 for lead in self.leads if lead.fallback_owner),
            "no_response": outcomes["no_response"],
            "fast_track": outcomes["fast_track"],
        }

    def reps(self) -> list[dict[str, Any]]:
        """Per rep and team: leads, share against target, SLA breaches, escalations, fallback load."""
        books = self.fairness()
        breaches: Counter[tuple[str, str]] = Counter()
        escalations: Counter[tuple[str, str]] = Counter()
        reassigned: Counter[tuple[str, str]] = Counter()
        fallback: Counter[tuple[str, str]] = Counter()
        for lead in self.leads:
            for owner, missed in lead.missed_by.items():
                breaches[(lead.team, owner)] += 1
                escalations[(lead.team, owner)] += missed
            for owner in lead.reassigned_to:
                reassigned[(lead.team, owner)] += 1
            if lead.fallback_owner:
                fallback[(lead.team, lead.fallback_owner)] += 1
        people = set(breaches) | set(fallback) | set(reassigned)
        people |= {(team, email) for team, book in books.items() for email in book.reps}
        rows = []
        for team, email in sorted(people):
            line = books.get(team, TeamLedger(team)).reps.get(email)
            fairness = line.as_json() if line else {"assigned": 0, "share": 0.0, "target_share": 0.0}
            rows.append(
                {
                    **fairness,
                    "email": email,
                    "team": team,
                    "sla_breaches": breaches[(team, email)],
                    "escalations": escalations[(team, email)],
                    "reassigned_to": reassigned[(team, email)],
                    "fallback": fallback[(team, email)],
                }
            )
        return rows

    def as_json(self) -> dict[str, Any]:
        """The whole replay for scripts."""
        return {
            "source": self.source,
            "decision_model": self.decisions,
            **self.totals(),
            "reps": self.reps(),
            "teams": {team: book.as_json() for team, book in self.fairness().items()},
        }


def owner_changes(baseline: Outcome, proposal: Outcome) -> list[dict[str, str]]:
    """The MQLs whose owner (as Route chose) differs between two replays, or that are MQLs in one only."""
    before, after = baseline.by_contact, proposal.by_contact
    changed = []
    for contact in sorted(set(before) | set(after), key=_contact_order):
        a, b = before.get(contact), after.get(contact)
        was = f"{a.team} {a.routing.owner}" if a else "not an MQL"
        now = f"{b.team} {b.routing.owner}" if b else "not an MQL"
        if was != now:
            email = (a or b).arrival.email if (a or b) else ""  # type: ignore[union-attr]
            changed.append({"contact": contact, "email": email, "baseline": was, "proposal": now})
    return changed


def _contact_order(contact: str) -> tuple[int, str]:
    return (int(contact), "") if contact.isdigit() else (0, contact)
