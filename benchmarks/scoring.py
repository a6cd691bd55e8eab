"""Scoring throughput: contacts scored per second on one core, with the shipped rule set."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from benchmarks.report import Metric
from leadflow.core.config import load_config
from leadflow.core.scoring import Scorer
from leadflow.core.signals import Signal
from leadflow.settings import DEFAULT_CONFIG_FILE

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
INDUSTRIES = ["COMPUTER_SOFTWARE", "RETAIL", "FINANCIAL_SERVICES", "HOSPITAL_HEALTH_CARE", ""]
TITLES = ["Head of RevOps", "Student", "VP Sales", "Engineer", "Founder & CEO", ""]
URLS = ["/pricing", "/docs/api", "/blog/post", "/careers", "/integrations/hubspot", "/customers/acme"]


def contacts(n: int, seed: int = 7) -> list[tuple[dict[str, str | None], list[Signal]]]:
    """Realistic, varied contacts: properties and 0-8 signals over the last 60 days."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        props: dict[str, str | None] = {
            "industry": rng.choice(INDUSTRIES),
            "numemployees": str(rng.choice([3, 40, 250, 1200, 9000])),
            "jobtitle": rng.choice(TITLES),
            "country": rng.choice(["Germany", "United States", "Brazil", None]),
            "email": f"p{i}@" + rng.choice(["acme.example", "gmail.com", "globex.example"]),
            "company": rng.choice(["Acme", "Rivalsoft", "Globex", None]),
            "hs_seniority": rng.choice(["vp", "manager", None]),
        }
        signals = []
        for _ in range(rng.randint(0, 8)):
            at = NOW - timedelta(days=rng.uniform(0, 60))
            kind = rng.choice(["page_view", "page_view", "form_submission", "email_click", "webinar"])
            attrs = {
                "page_view": {"url": "https://x.example" + rng.choice(URLS)},
                "form_submission": {"form": rng.choice(["Talk to sales", "Ebook: RevOps", "Demo request"])},
                "email_click": {},
                "webinar": {"status": rng.choice(["attended", "registered"])},
            }[kind]
            signals.append(Signal(type=kind, occurred_at=at, attributes=attrs))
        out.append((props, sorted(signals, key=lambda s: s.occurred_at, reverse=True)))
    return out


def run(n: int = 20_000) -> list[Metric]:
    """Score n contacts with the shipped configuration; best of three runs on one core."""
    config = load_config(DEFAULT_CONFIG_FILE)
    scorer = Scorer(config.scoring)
    batch = contacts(n)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for props, signals in batch:
            scorer.score(props, signals, now=NOW)
        best = min(best, time.perf_counter() - started)
    return [
        Metric("scoring_contacts_per_s", n / best, "contacts/s"),
        Metric("scoring_rules", config.scoring.rule_count, "rules"),
        Metric("scoring_signals_per_contact", sum(len(s) for _, s in batch) / n, "signals"),
    ]
