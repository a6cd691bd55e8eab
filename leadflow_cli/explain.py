"""`leadflow score FILE`: explain one contact's score from its properties and signals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow.core.config import ConfigError, LeadflowConfig
from leadflow.core.scoring import ScoreCard, Scorer
from leadflow.core.signals import Signal, unique


class ScoreInput(BaseModel):
    """The file `leadflow score` reads."""

    model_config = ConfigDict(extra="forbid")

    properties: dict[str, str | None] = Field(default_factory=dict)
    signals: list[Signal] = Field(default_factory=list)
    now: datetime | None = None


def read_input(path: Path) -> ScoreInput:
    """Read and validate a score input file; ConfigError names the problem."""
    try:
        return ScoreInput.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{path} is invalid: {where}: {first['msg']}") from None


def card_json(card: ScoreCard) -> dict[str, Any]:
    """A score card as plain JSON."""
    return {
        "mql": card.is_mql,
        "fit": card.fit,
        "intent": card.intent,
        "total": card.total,
        "tier": card.tier,
        "persona": card.persona,
        "gates": {"fit": card.gates.fit, "intent": card.gates.intent, "recency": card.gates.recency},
        "disqualified_by": card.disqualified_by,
        "fast_track": card.fast_track,
        "reason": card.reason,
        "intent_evidence": card.intent_evidence,
        "last_signal_at": card.last_signal_at.isoformat() if card.last_signal_at else None,
        "hits": [
            {"rule": h.rule, "kind": h.kind, "points": h.points, "evidence": h.evidence} for h in card.hits
        ],
    }


def _mark(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def explain(config: LeadflowConfig, data: ScoreInput, out: TextIO, as_json: bool = False) -> ScoreCard:
    """Score the input and print the explanation; returns the card."""
    scoring = config.scoring
    now = data.now or datetime.now(UTC)
    card = Scorer(scoring).score(data.properties, unique(data.signals), now=now)
    if as_json:
        print(json.dumps(card_json(card)), file=out)
        return card
    last = card.last_signal_at.isoformat(timespec="minutes") if card.last_signal_at else "none"
    verdict = "yes" if card.is_mql else "no"
    lines = [
        f"MQL: {verdict}" + (f" (disqualified: {card.disqualified_by})" if card.disqualified_by else ""),
        f"  fit     {card.fit:>4}  gate {scoring.fit.threshold:>3}  {_mark(card.gates.fit)}",
        f"  intent  {card.intent:>4}  gate {scoring.intent.threshold:>3}  {_mark(card.gates.intent)}",
        f"  recency last qualifying signal {last}, window {scoring.recency_days:g} days  "
        f"{_mark(card.gates.recency)}",
        f"ICP tier {card.tier}   persona {card.persona or '-'}   "
        f"fast track {'yes' if card.fast_track else 'no'}",
        f"Reason: {card.reason or '-'}",
        f"Evidence: {card.intent_evidence or '-'}",
        "Points:",
        *(f"  {h.points:+5d}  {h.kind:<6} {h.rule:<24} {h.evidence}" for h in card.hits),
    ]
    print("\n".join(lines), file=out)
    return card
