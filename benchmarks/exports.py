"""HubSpot exports as a portal writes them: labelled columns, dropdown labels, times in the portal's zone.

The replay benchmark reads one of 10,000 contacts; the tests read smaller ones. Seeded, so every
run reads the same rows.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

CONTACT_COLUMNS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Job Title",
    "Industry",
    "Number of Employees",
    "Country/Region",
    "Seniority",
    "Buying Role",
    "Recent Conversion",
    "Recent Conversion Date",
    "Last Page Seen",
    "Time Last Seen",
    "Lifecycle Stage",
    "Create Date",
    "Primary Associated Company ID",
]
COMPANY_COLUMNS = ["Record ID", "Company name", "Industry", "Annual Revenue", "Target Account"]
COMPANY_COLUMNS += ["Company owner"]
END = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)

_TITLES = ["Head of RevOps", "VP Sales", "Marketing Manager", "Engineer", "Founder & CEO", "Student"]
_TITLES += ["Analyst"]
_INDUSTRIES = ["Computer Software", "Information Technology and Services", "Retail", "Hospital & Health Care"]
_SIZES = ["1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+"]
_COUNTRIES = ["Germany", "United States", "United Kingdom", "France", "Brazil", "India"]
_FORMS = ["Talk to sales", "Demo request", "Ebook: RevOps guide", "Newsletter", ""]
_PAGES = ["/pricing", "/docs/api", "/blog/revops", "/integrations/hubspot", "/customers/acme", "/careers", ""]
_STAGES = ["Subscriber", "Lead", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Customer"]


def _when(rng: random.Random, days: int) -> datetime:
    return END - timedelta(days=rng.uniform(0, days), minutes=rng.randint(0, 59))


def _cell(moment: datetime) -> str:
    """A time as an export writes it: the account's local time (UTC here), to the minute."""
    return moment.strftime("%Y-%m-%d %H:%M")


def write_contacts(path: Path, n: int, *, seed: int = 11, days: int = 90, companies: int = 400) -> Path:
    """A contacts export of n rows, over `days` days up to END."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CONTACT_COLUMNS)
        for i in range(n):
            created = _when(rng, days + 60)
            form, page = rng.choice(_FORMS), rng.choice(_PAGES)
            domain = rng.choice(["gmail.com", "acme.example", "globex.example", f"corp{i % 97}.example"])
            writer.writerow(
                [
                    str(10_000 + i),
                    f"First{i}",
                    f"Last{i}",
                    f"p{i}@{domain}",
                    rng.choice(_TITLES),
                    rng.choice(_INDUSTRIES),
                    rng.choice(_SIZES),
                    rng.choice(_COUNTRIES),
                    rng.choice(["VP", "Director", "Manager", ""]),
                    rng.choice(["Decision Maker", "Champion", "End User", ""]),
                    form,
                    _cell(_when(rng, days)) if form else "",
                    f"https://www.example.com{page}" if page else "",
                    _cell(_when(rng, days)) if page else "",
                    rng.choice(_STAGES),
                    _cell(created),
                    str(900_000 + rng.randrange(companies)) if rng.random() < 0.8 else "",
                ]
            )
    return path


def write_companies(path: Path, n: int = 400, *, seed: int = 12, owners: tuple[str, ...] = ()) -> Path:
    """A companies export of n rows (ids 900000...), some owned by `owners`."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COMPANY_COLUMNS)
        for i in range(n):
            owner = rng.choice(owners) if owners and rng.random() < 0.1 else ""
            writer.writerow(
                [
                    str(900_000 + i),
                    f"Company {i}",
                    rng.choice(_INDUSTRIES),
                    str(rng.choice([500_000, 5_000_000, 25_000_000, 200_000_000])),
                    rng.choice(["Yes", "No", "No", "No"]),
                    owner,
                ]
            )
    return path
