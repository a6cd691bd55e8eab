"""Reading a HubSpot export as the API would answer it: internal property names and values.

HubSpot's export (Contacts > Export, or a view's export) is a CSV whose header row holds the
properties' labels and whose dropdown cells hold the options' labels. leadflow's rules compare
internal names and values, so each column is mapped to its property through the portal's
definitions (`PropertyCatalog`) and each dropdown label to its value; what cannot be mapped is
counted and reported, never silently scored. A file that is not such an export (JSON, a sheet
saved with semicolons or tabs, an Excel workbook, an empty file) is refused, saying what to do.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from leadflow.core.config import ConfigError, LeadflowConfig
from leadflow.core.lifecycle import Prop
from leadflow.core.scoring_config import ScoringConfig
from leadflow.core.signals import Signal, parse_hubspot_time
from leadflow_cli.portal_properties import PropertyCatalog, PropertyDef

ID: Final = "hs_object_id"
# What every row keeps beside the properties the configuration reads: who it is, its stage (sales'
# verdict), its company and owner (account matching), and its create date (a signal's fallback time).
KEPT: Final = frozenset({ID, "email", Prop.LIFECYCLE, Prop.COMPANY_ID, Prop.OWNER, "createdate"})
_US_TIME: Final = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)


class ExportError(ConfigError):
    """A file leadflow cannot read as a HubSpot export; the message says why and what to do."""


@dataclass
class ExportProblems:
    """What reading an export could not map; each is reported, none is scored silently."""

    missing: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    converted: Counter[str] = field(default_factory=Counter)
    unknown_values: Counter[tuple[str, str]] = field(default_factory=Counter)
    unreadable_times: Counter[str] = field(default_factory=Counter)
    ragged_rows: int = 0
    unmatched_companies: int = 0

    def lines(self, limit: int = 8) -> list[str]:
        """The problems as sentences for people, most frequent first."""
        out: list[str] = []
        if self.missing:
            out.append("not in the export (rules reading them never match): " + ", ".join(self.missing))
        if self.converted:
            done = ", ".join(f"{name} {n:,}" for name, n in self.converted.most_common())
            out.append(f"dropdown labels read as their internal values: {done}")
        if self.unknown_values:
            top = ", ".join(f"{p}={v!r} x{n}" for (p, v), n in self.unknown_values.most_common(limit))
            more = len(self.unknown_values) - limit
            out.append(
                "values that are no option of their dropdown (kept as they are): "
                + top
                + (f" and {more} more" if more > 0 else "")
            )
        if self.unreadable_times:
            bad = ", ".join(f"{p} x{n}" for p, n in self.unreadable_times.most_common())
            out.append(f"dates that could not be read (left out): {bad}")
        if self.ragged_rows:
            out.append(f"{self.ragged_rows:,} rows with more cells than the header (extra cells left out)")
        if self.unmatched_companies:
            out.append(f"{self.unmatched_companies:,} contacts whose company is not in the companies export")
        return out

    def as_json(self) -> dict[str, object]:
        """The problems for scripts."""
        return {
            "missing_columns": self.missing,
            "ignored_columns": self.ignored_columns,
            "labels_converted": dict(self.converted),
            "unknown_values": [
                {"property": p, "value": v, "rows": n} for (p, v), n in self.unknown_values.most_common()
            ],
            "unreadable_times": dict(self.unreadable_times),
            "ragged_rows": self.ragged_rows,
            "unmatched_companies": self.unmatched_companies,
        }


def properties_read(config: LeadflowConfig) -> set[str]:
    """The contact (and `company.`) properties the configuration reads: scoring, its signal
    properties and their times, and the routing rules."""
    return set(config.scoring.properties) | set(config.routing.properties)


class HubSpotExport:
    """One HubSpot contacts export (and optionally a companies export joined to it), read as the API
    would answer: rows of internal property names and values, companies' under `company.<name>`."""

    def __init__(
        self,
        path: Path,
        catalog: PropertyCatalog,
        *,
        wanted: Iterable[str] = (),
        overrides: dict[str, str] | None = None,
        companies: Path | None = None,
        time_zone: str = "UTC",
    ) -> None:
        self.path = path
        self.catalog = catalog
        self.zone = ZoneInfo(time_zone)
        self.problems = ExportProblems()
        self._cache: dict[tuple[str, str], tuple[str | None, bool, tuple[str, ...]]] = {}
        self.header = _header(path)
        wanted = set(wanted)
        # Only what the rules, the routing and the reports read is converted (and kept) of each row.
        self.kept = wanted | KEPT
        self.columns = self._map_columns("contacts", self.header, overrides or {})
        self.total = _count_rows(path)
        self.companies = self._companies(companies) if companies else {}
        found = set(self.columns.values())
        if self.companies:
            found |= {k for company in self.companies.values() for k in company}
        self.columns = {i: name for i, name in self.columns.items() if name in self.kept}
        self.problems.missing = sorted(
            (f"{name} (needs --companies)" if name.startswith("company.") and not companies else name)
            for name in wanted - found
        )

    def rows(self) -> Iterator[dict[str, str]]:
        """Each contact's properties (internal names and values), in the export's order."""
        for cells in self._cells(self.path, len(self.header)):
            row = self._values("contacts", self.columns, cells)
            if self.companies:
                company = self.companies.get(row.get(Prop.COMPANY_ID, ""))
                if company is not None:
                    row.update(company)
                elif row.get(Prop.COMPANY_ID):
                    self.problems.unmatched_companies += 1
            yield row

    def _cells(self, path: Path, width: int) -> Iterator[list[str]]:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) > width:
                    self.problems.ragged_rows += 1
                yield cells

    def _map_columns(self, object_type: str, header: list[str], overrides: dict[str, str]) -> dict[int, str]:
        """Column index -> internal property name (`--map` first, then the portal's labels and names)."""
        mapped: dict[int, str] = {}
        for i, label in enumerate(header):
            name = overrides.get(label.strip()) or self.catalog.column(object_type, label)
            if name is None:
                self.problems.ignored_columns.append(label)
                continue
            mapped[i] = name
        if not mapped:
            first = ", ".join(repr(h) for h in header[:5])
            raise ExportError(
                f"{self.path}: none of its columns is a HubSpot {object_type[:-1]} property "
                f"({first}...): is it a HubSpot {object_type} export? Name columns with "
                "--map 'Label=property' if the export was renamed"
            )
        return mapped

    def _values(self, object_type: str, columns: dict[int, str], cells: list[str]) -> dict[str, str]:
        row: dict[str, str] = {}
        for i, name in columns.items():
            if i < len(cells) and cells[i] != "":
                row[name] = self._value(object_type, name, cells[i])
        return row

    def _value(self, object_type: str, name: str, raw: str) -> str:
        """The internal value of one cell (conversions cached: an export repeats its labels on every row);
        each row's conversions and unknown values are counted."""
        qualified = f"company.{name}" if object_type == "companies" else name
        key = (qualified, raw)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._convert(self.catalog.get(object_type, name), raw)
        value, labelled, unknown = found
        if labelled:
            self.problems.converted[qualified] += 1
        for part in unknown:
            self.problems.unknown_values[(qualified, part)] += 1
        if value is None:
            self.problems.unreadable_times[qualified] += 1
            return ""
        return value

    def _convert(self, prop: PropertyDef | None, raw: str) -> tuple[str | None, bool, tuple[str, ...]]:
        """(the internal value, None for an unreadable date; whether a label was read as its value; the
        parts that are no option)."""
        if prop is None:
            return raw, False, ()
        if prop.type in ("datetime", "date"):
            moment = read_time(raw, self.zone)
            return (moment.isoformat() if moment else None), False, ()
        if not prop.has_options:
            return raw, False, ()
        values, unknown = [], []
        for part in raw.split(";") if prop.multiple else [raw]:
            option = prop.option(part)
            if option is None:
                unknown.append(part.strip())
            values.append(option.value if option else part.strip())
        value = ";".join(values)
        return value, value != raw and not unknown, tuple(unknown)

    def _companies(self, path: Path) -> dict[str, dict[str, str]]:
        """The companies export's rows by record id, as `company.<name>` properties."""
        header = _header(path)
        columns = self._map_columns("companies", header, {})
        if ID not in columns.values():
            raise ExportError(f"{path}: the companies export has no Record ID column to join contacts on")
        if Prop.COMPANY_ID not in self.columns.values():
            raise ExportError(
                f"{self.path}: joining companies needs the contacts' Primary Associated Company ID column"
            )
        found: dict[str, dict[str, str]] = {}
        kept = {name.removeprefix("company.") for name in self.kept if name.startswith("company.")}
        columns = {i: name for i, name in columns.items() if name in kept | {ID, Prop.OWNER}}
        for cells in self._cells(path, len(header)):
            values = self._values("companies", columns, cells)
            company_id = values.pop(ID, "")
            if company_id:
                found[company_id] = {f"company.{k}": v for k, v in values.items()}
        return found


def read_time(raw: str, zone: ZoneInfo) -> datetime | None:
    """A date or time as exports write it (ISO 8601, epoch ms, or M/D/YYYY [h:mm [AM|PM]]); one without a
    zone is in `zone` (the portal's: exports write times in the account's time zone)."""
    text = raw.strip()
    found = _US_TIME.match(text)
    if found:
        month, day, year, hour, minute, second, half = found.groups()
        h = int(hour or 0)
        if half:
            h = h % 12 + (12 if half.lower() == "pm" else 0)
        try:
            moment = datetime(int(year), int(month), int(day), h, int(minute or 0), int(second or 0))
        except ValueError:
            return None
    else:
        parsed = parse_hubspot_time(text)
        if parsed is None:
            return None
        explicit = "T" in text and (text.endswith("Z") or re.search(r"[+-]\d{2}:?\d{2}$", text) is not None)
        moment = parsed if text.isdigit() or explicit else parsed.replace(tzinfo=None)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone).astimezone(UTC)


def signals_of(row: dict[str, str], scoring: ScoringConfig) -> list[Signal]:
    """The signals a row holds: each configured signal property with a value, at its `at_property`'s
    time, else the contact's create date (an export keeps only the latest value of each)."""
    signals = []
    for name, spec in scoring.signal_properties.items():
        value = row.get(name)
        at = parse_hubspot_time(row.get(spec.at_property or "")) or parse_hubspot_time(row.get("createdate"))
        if value and at:
            signals.append(Signal(type=spec.signal, occurred_at=at, attributes={spec.attribute: value}))
    return signals


def _header(path: Path) -> list[str]:
    """The header row, once the file is known to be a comma-separated UTF-8 export."""
    if not path.is_file():
        raise ExportError(f"cannot read {path}: no such file")
    with path.open("rb") as handle:
        head = handle.read(65536)
    if not head.strip():
        raise ExportError(f"{path} is empty: export the contacts from HubSpot as CSV")
    if head.startswith(b"PK\x03\x04"):
        raise ExportError(
            f"{path} is an Excel workbook: export from HubSpot as CSV (or save the sheet as CSV)"
        )
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        try:
            text = head[:-4].decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ExportError(f"{path} is not UTF-8 text: HubSpot exports CSV in UTF-8") from None
    if text.lstrip()[:1] in ("{", "["):
        raise ExportError(f"{path} is JSON, not a CSV export: export the contacts from HubSpot as CSV")
    first = text.splitlines()[0]
    header = next(csv.reader([first]))
    for separator, what in ((";", "semicolons"), ("\t", "tabs")):
        if len(header) == 1 and separator in first:
            raise ExportError(
                f"{path} separates its columns with {what}, not commas: HubSpot exports comma-separated "
                "CSV; export again from HubSpot, or save the sheet as CSV with commas"
            )
    return header


def _count_rows(path: Path) -> int:
    """Data rows, for the progress bar (a quoted cell may span lines: this counts records, not lines)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return max(0, sum(1 for _ in csv.reader(handle)) - 1)
