"""Scoring throughput: contacts scored per second on one core."""

from __future__ import annotations

import random
import time

from benchmarks.report import Metric
from leadflow.core.config import load_config
from leadflow.core.scoring import Scorer
from leadflow.settings import DEFAULT_CONFIG_FILE

INDUSTRIES = ["COMPUTER_SOFTWARE", "RETAIL", "FINANCIAL_SERVICES", "HOSPITAL_HEALTH_CARE", ""]
TITLES = ["Head of RevOps", "Student", "VP Sales", "Engineer", ""]


def contacts(n: int, seed: int = 7) -> list[dict[str, str | None]]:
    """Realistic, varied contact properties."""
    rng = random.Random(seed)
    return [
        {
            "industry": rng.choice(INDUSTRIES),
            "numemployees": str(rng.choice([3, 40, 250, 1200, 9000])),
            "jobtitle": rng.choice(TITLES),
            "recent_conversion_event_name": rng.choice(["Talk to sales", "Ebook", None]),
            "hs_analytics_num_page_views": str(rng.randint(0, 60)),
            "company": rng.choice(["Acme", "Rivalsoft", "Globex", None]),
        }
        for _ in range(n)
    ]


def run(n: int = 50_000) -> list[Metric]:
    """Score n contacts with the shipped configuration, best of three runs."""
    config = load_config(DEFAULT_CONFIG_FILE)
    scorer = Scorer(config.scoring)
    batch = contacts(n)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for props in batch:
            scorer.score(props)
        best = min(best, time.perf_counter() - started)
    return [
        Metric("scoring_contacts_per_s", n / best, "contacts/s"),
        Metric("scoring_rules", len(config.scoring.rules), "rules"),
    ]
