"""Explainable MQL scoring: fit and intent, decay, three gates, tier, persona and evidence.

Every point carries the rule that gave it and the evidence it saw, so a rep reads in ten
seconds why a contact is (or is not) an MQL. The scorer compiles the configuration once
and scores many contacts; it is pure and allocation-light because it runs for every
contact event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadflow.core.conditions import Test
from leadflow.core.scoring_config import PropertyRule, ScoringConfig, SignalRule
from leadflow.core.signals import Signal

Properties = Mapping[str, str | None]
_TIERS = ("C", "B", "A")
_DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that matched: the points it gave (after decay) and the evidence."""

    rule: str
    kind: str  # "fit" or "intent"
    points: int
    evidence: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Gates:
    """The three MQL gates."""

    fit: bool
    intent: bool
    recency: bool


@dataclass(frozen=True, slots=True)
class ScoreCard:
    """Everything scoring concludes about one contact."""

    fit: int
    intent: int
    tier: str
    persona: str
    gates: Gates
    hits: tuple[RuleHit, ...]
    disqualified_by: str
    last_signal_at: datetime | None
    fast_track: bool

    @property
    def total(self) -> int:
        """Fit plus intent."""
        return self.fit + self.intent

    @property
    def is_mql(self) -> bool:
        """Not disqualified, and every gate passed."""
        g = self.gates
        return not self.disqualified_by and g.fit and g.intent and g.recency

    @property
    def reason(self) -> str:
        """The single strongest trigger: the top intent hit, else the top fit hit."""
        top = self._trigger()
        return top.evidence if top else ""

    @property
    def trigger(self) -> str:
        """The rule behind `reason` (what reports group MQLs by)."""
        top = self._trigger()
        return top.rule if top else ""

    def _trigger(self) -> RuleHit | None:
        for kind in ("intent", "fit"):
            for hit in self.hits:
                if hit.kind == kind and hit.points > 0:
                    return hit
        return None

    @property
    def intent_evidence(self) -> str:
        """One or two readable sentences of the strongest intent evidence."""
        top = [h.evidence for h in self.hits if h.kind == "intent" and h.points > 0][:2]
        return "; ".join(top) + "." if top else ""

    def explain(self, limit: int = 6) -> str:
        """A one-line account of the score for the contact record."""
        parts = [f"{h.points:+d} {h.evidence}" for h in self.hits[:limit]]
        head = f"fit {self.fit}, intent {self.intent}, tier {self.tier}"
        if self.disqualified_by:
            head += f", disqualified ({self.disqualified_by})"
        return head + (": " + "; ".join(parts) if parts else "")


class Scorer:
    """Scores contacts against a compiled MQL definition (compile once, score many)."""

    def __init__(self, config: ScoringConfig) -> None:
        self._config = config
        self._fit = [_property_rule(r) for r in [*config.fit.rules, *config.negative.properties]]
        self._disqualifiers = [(d.reason, d.property, d.compile()) for d in config.disqualifiers]
        self._personas = [(p.name, p.property, p.compile()) for p in config.personas]
        self._by_type: dict[str, list[tuple[SignalRule, list[tuple[str, Test]]]]] = {}
        for rule in [*config.intent.rules, *config.negative.signals]:
            where = [(attr, cond.compile()) for attr, cond in rule.where.items()]
            self._by_type.setdefault(rule.signal, []).append((rule, where))
        self._positive_intent = {r.name for r in config.intent.rules if r.points > 0}
        decay = config.decay
        self._window_s = decay.window_days * _DAY_S if decay.window_days else None
        self._half_life_s = decay.half_life_days * _DAY_S if decay.half_life_days else None
        self._recency_s = config.recency_days * _DAY_S
        self._tier_a, self._tier_b = config.tiers.a, config.tiers.b

    def score(self, properties: Properties, signals: Sequence[Signal] = (), *, now: datetime) -> ScoreCard:
        """Score one contact's properties and signals as of `now`."""
        hits: list[RuleHit] = []
        fit = 0
        for rule, prop, test, template in self._fit:
            value = properties.get(prop)
            if test(value):
                fit += rule.points
                hits.append(RuleHit(rule.name, "fit", rule.points, template.replace("{value}", value or "")))
        intent, last_at = self._intent(signals, now, hits)
        hits.sort(key=lambda h: -abs(h.points))
        disqualified = next(
            (reason for reason, prop, test in self._disqualifiers if test(properties.get(prop))), ""
        )
        persona = next((name for name, prop, test in self._personas if test(properties.get(prop))), "")
        tier = "A" if fit >= self._tier_a else "B" if fit >= self._tier_b else "C"
        recent = last_at is not None and (now - last_at).total_seconds() <= self._recency_s
        gates = Gates(fit >= self._config.fit.threshold, intent >= self._config.intent.threshold, recent)
        fast = (
            self._fast_track(tier, intent, hits)
            and not disqualified
            and gates.fit
            and gates.intent
            and recent
        )
        return ScoreCard(fit, intent, tier, persona, gates, tuple(hits), disqualified, last_at, fast)

    def _intent(
        self, signals: Sequence[Signal], now: datetime, hits: list[RuleHit]
    ) -> tuple[int, datetime | None]:
        counts: dict[str, int] = {}
        latest: dict[str, Signal] = {}
        rules: dict[str, SignalRule] = {}
        cutoff = now - timedelta(seconds=self._window_s) if self._window_s else None
        for signal in signals:
            if cutoff is not None and signal.occurred_at < cutoff:
                continue
            for rule, where in self._by_type.get(signal.type, ()):
                attrs = signal.attributes
                if all(test(attrs.get(attr)) for attr, test in where):
                    counts[rule.name] = counts.get(rule.name, 0) + 1
                    if rule.name not in latest or signal.occurred_at > latest[rule.name].occurred_at:
                        latest[rule.name] = signal
                    rules[rule.name] = rule
        intent = 0
        last_at: datetime | None = None
        for name, count in counts.items():
            rule = rules[name]
            if count < rule.min_count:
                continue
            newest = latest[name]
            at = newest.occurred_at
            points = rule.points
            if self._half_life_s:
                age = max(0.0, (now - at).total_seconds())
                points = round(points * 0.5 ** (age / self._half_life_s))
            intent += points
            template = rule.evidence or f"{count} {rule.signal.replace('_', ' ')} signal(s)"
            text = (
                template.replace("{count}", str(count))
                .replace("{last}", at.date().isoformat())
                .replace("{evidence}", newest.evidence or newest.signal_summary())
            )
            hits.append(RuleHit(name, "intent", points, text, at))
            if name in self._positive_intent and (last_at is None or at > last_at):
                last_at = at
        return intent, last_at

    def _fast_track(self, tier: str, intent: int, hits: list[RuleHit]) -> bool:
        rule = self._config.fast_track
        if rule is None or _TIERS.index(tier) < _TIERS.index(rule.min_tier) or intent < rule.min_intent:
            return False
        matched = {h.rule for h in hits if h.kind == "intent"}
        return any(name in matched for name in rule.any_of)


def _property_rule(rule: PropertyRule) -> tuple[PropertyRule, str, Test, str]:
    return rule, rule.property, rule.compile(), rule.evidence or f"{rule.property} is {{value}}"
