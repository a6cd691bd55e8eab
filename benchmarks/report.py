"""Benchmark results: a table for people, one JSON object per line for scripts."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One measured value."""

    metric: str
    value: float
    unit: str

    def json(self) -> str:
        """The JSON line of this metric."""
        return json.dumps({"metric": self.metric, "value": round(self.value, 3), "unit": self.unit})


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile of samples (nearest rank on sorted data, as latency reports use)."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def median(samples: list[float]) -> float:
    """The median of samples."""
    return statistics.median(samples)


def table(metrics: list[Metric]) -> str:
    """A plain-text table of metrics."""
    width = max(len(m.metric) for m in metrics)
    return "\n".join(f"{m.metric:<{width}}  {m.value:>12,.3f}  {m.unit}" for m in metrics)
