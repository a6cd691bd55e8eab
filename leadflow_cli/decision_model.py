"""When a rep decides on a lead in a replay: from the journey records when there are any, else a model.

Each lead in each rep's hands draws one number in [0, 1) from the contact id and the rep, and the
rep's decision time is the quantile of the rep's own distribution at that number. The draw is the
same under every configuration, so when two configurations give a lead to the same rep it is
decided at the same moment, and when they give it to different reps each decides as fast as they
usually do: the difference between two replays is the routing's, not the dice's.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import NormalDist
from typing import Protocol

from leadflow.core.calendar import WorkCalendar
from leadflow.core.config import LeadflowConfig
from leadflow.core.journey_record import JourneyRecord, JourneyStatus
from leadflow.core.routing import calendar_of, member_by_email

NEVER = math.inf
MIN_SAMPLES = 5  # fewer decisions than this: a rep is modelled by their team's (or everyone's)


def draw(contact_id: str, owner: str) -> float:
    """The number in [0, 1) of a lead in a rep's hands: the same on every run and under every
    configuration, independent from one rep to the next."""
    key = f"{contact_id}|{owner}"
    return int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) / 16**12


class DecisionModel(Protocol):
    """When a rep who got a lead at `reached` decides on it (None: they never do)."""

    @property
    def description(self) -> str:
        """The model in one sentence (reports print it)."""
        ...

    def decided_at(
        self, contact_id: str, owner: str, reached: datetime, calendar: WorkCalendar
    ) -> datetime | None:
        """The moment of the decision."""
        ...


@dataclass(frozen=True)
class StatedModel:
    """Without journey records: each rep decides a log-normal time after the lead reaches them (median
    `median_hours` business hours, spread `sigma`), and a share `never` of leads are never decided."""

    median_hours: float = 2.0
    sigma: float = 1.0
    never: float = 0.05

    @property
    def description(self) -> str:
        """The model in one sentence (reports print it)."""
        p90 = self.median_hours * math.exp(self.sigma * NormalDist().inv_cdf(0.9))
        return (
            f"stated model: a rep decides {self.median_hours:g} business hours after the lead reaches them "
            f"(median; p90 {p90:.1f} h, log-normal), and {self.never:.0%} of leads are never decided"
        )

    def hours(self, q: float) -> float:
        """The decision time, in business hours, at quantile `q`."""
        if q >= 1 - self.never:
            return NEVER
        z = NormalDist().inv_cdf(max(1e-9, q / (1 - self.never)))
        return self.median_hours * math.exp(self.sigma * z)

    def decided_at(
        self, contact_id: str, owner: str, reached: datetime, calendar: WorkCalendar
    ) -> datetime | None:
        """The moment of the decision."""
        return _after(calendar, reached, self.hours(draw(contact_id, owner)))


@dataclass
class RecordedModel:
    """From journey records: each rep's own decision times (business hours from the lead reaching them
    to their decision, leads nobody decided counted as never), their team's when they have fewer than
    MIN_SAMPLES, everyone's next, else `otherwise`. A lead the records show decided by the rep the
    replay gives it to is decided when it was."""

    otherwise: StatedModel
    by_rep: dict[str, list[float]] = field(default_factory=dict)
    by_team: dict[str, list[float]] = field(default_factory=dict)
    everyone: list[float] = field(default_factory=list)
    team_of: dict[str, str] = field(default_factory=dict)
    exact: dict[tuple[str, str], datetime] = field(default_factory=dict)

    @classmethod
    def from_records(
        cls, records: Iterable[JourneyRecord], config: LeadflowConfig, otherwise: StatedModel
    ) -> RecordedModel:
        """Learn the reps' decision times from journey records (those decided by the rep Route chose)."""
        model = cls(otherwise)
        by_rep: dict[str, list[float]] = defaultdict(list)
        by_team: dict[str, list[float]] = defaultdict(list)
        for record in records:
            sample = _sample(record, config)
            if sample is None:
                continue
            owner, team, hours = sample
            by_rep[owner].append(hours)
            by_team[team].append(hours)
            model.everyone.append(hours)
            model.team_of.setdefault(owner, team)
            decided = record.decided_at
            if decided is not None and hours != NEVER:
                model.exact[(record.contact_id, owner)] = decided
        model.by_rep = {k: sorted(v) for k, v in by_rep.items()}
        model.by_team = {k: sorted(v) for k, v in by_team.items()}
        model.everyone.sort()
        return model

    @property
    def description(self) -> str:
        """The model in one sentence (reports print it)."""
        if not self.everyone:
            return f"no decided journey in the records; {self.otherwise.description}"
        reps = sum(1 for v in self.by_rep.values() if len(v) >= MIN_SAMPLES)
        return (
            f"decision times from {len(self.everyone):,} journey records ({reps} reps with their own, "
            f"the others their team's); a lead the records show decided by the same rep, when it was"
        )

    def decided_at(
        self, contact_id: str, owner: str, reached: datetime, calendar: WorkCalendar
    ) -> datetime | None:
        """The moment of the decision."""
        exact = self.exact.get((contact_id, owner))
        if exact is not None and exact >= reached:
            return exact
        samples = next(
            (
                s
                for s in (
                    self.by_rep.get(owner),
                    self.by_team.get(self.team_of.get(owner, "")),
                    self.everyone,
                )
                if s and len(s) >= MIN_SAMPLES
            ),
            None,
        )
        q = draw(contact_id, owner)
        hours = samples[min(len(samples) - 1, int(q * len(samples)))] if samples else self.otherwise.hours(q)
        return _after(calendar, reached, hours)


@dataclass(frozen=True)
class FixedTimes:
    """Decision times given per lead, whoever owns it then (what the local runtime is told to do)."""

    times: dict[str, datetime]
    description: str = "decision times given per lead"

    def decided_at(
        self, contact_id: str, owner: str, reached: datetime, calendar: WorkCalendar
    ) -> datetime | None:
        """The moment of the decision."""
        return self.times.get(contact_id)


def _after(calendar: WorkCalendar, reached: datetime, hours: float) -> datetime | None:
    return None if hours == NEVER else calendar.add_business_hours(reached, hours)


def _sample(record: JourneyRecord, config: LeadflowConfig) -> tuple[str, str, float] | None:
    """(rep, team, business hours to their decision or NEVER) of a journey Route gave to a rep who kept it
    (none for fast-tracked, reassigned, still open or failed journeys)."""
    if not (record.owner_email and record.team and record.mql_at) or record.reassignments:
        return None
    team = config.routing.teams.get(record.team)
    calendar = calendar_of(team, member_by_email(team, record.owner_email)) if team else WorkCalendar.of(None)
    decided = record.decided_at
    if decided is not None and JourneyStatus.FALLBACK not in record.reached:
        return record.owner_email, record.team, calendar.business_hours(record.mql_at, decided)
    if JourneyStatus.FALLBACK in record.reached:
        return record.owner_email, record.team, NEVER
    return None
