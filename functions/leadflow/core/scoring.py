"""Explainable scoring: every point carries the rule that gave it and the evidence it saw."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from leadflow.core.config import ScoringConfig, ScoringRule

Properties = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that matched, with the points it gave and what it saw."""

    rule: str
    points: int
    evidence: str


@dataclass(frozen=True, slots=True)
class Score:
    """A contact's score and the rule hits that make it up, strongest first."""

    total: int
    hits: tuple[RuleHit, ...]
    threshold: int

    @property
    def is_mql(self) -> bool:
        """Whether the score reaches the MQL threshold."""
        return self.total >= self.threshold

    @property
    def reason(self) -> str:
        """The single strongest positive trigger, or an empty string."""
        positive = [h for h in self.hits if h.points > 0]
        return positive[0].evidence if positive else ""

    def explain(self, limit: int = 5) -> str:
        """A readable one-line account of the score, for the contact record."""
        parts = [f"{h.points:+d} {h.evidence}" for h in self.hits[:limit]]
        return f"{self.total} points: " + "; ".join(parts) if parts else f"{self.total} points"


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _predicate(rule: ScoringRule) -> Callable[[str], bool]:
    if rule.equals is not None:
        expected = rule.equals.casefold()
        return lambda v: v.casefold() == expected
    if rule.one_of is not None:
        allowed = frozenset(x.casefold() for x in rule.one_of)
        return lambda v: v.casefold() in allowed
    if rule.contains is not None:
        needle = rule.contains.casefold()
        return lambda v: needle in v.casefold()
    if rule.gte is not None:
        low = rule.gte
        return lambda v: (n := _number(v)) is not None and n >= low
    if rule.lte is not None:
        high = rule.lte
        return lambda v: (n := _number(v)) is not None and n <= high
    if rule.present:
        return lambda v: True
    # present: false is the only remaining condition, and it never matches a set value.
    return lambda v: False


class Scorer:
    """Scores contact properties against a compiled rule set (compile once, score many)."""

    def __init__(self, config: ScoringConfig) -> None:
        self._threshold = config.mql_threshold
        self._rules = [(r, _predicate(r)) for r in config.rules]

    def score(self, properties: Properties) -> Score:
        """Score one contact's properties."""
        hits: list[RuleHit] = []
        for rule, matches in self._rules:
            value = properties.get(rule.property)
            if value is None or value == "":
                if rule.present is False:
                    hits.append(RuleHit(rule.name, rule.points, rule.evidence or f"no {rule.property}"))
                continue
            if matches(value):
                text = (rule.evidence or f"{rule.property} is {{value}}").replace("{value}", value)
                hits.append(RuleHit(rule.name, rule.points, text))
        hits.sort(key=lambda h: -abs(h.points))
        return Score(total=sum(h.points for h in hits), hits=tuple(hits), threshold=self._threshold)
