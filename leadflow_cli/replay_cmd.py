"""`leadflow replay`: what a configuration would have done with past leads, beside the current one.

It reads the MQL arrivals (a HubSpot export, or the journey records of a stack), learns the reps'
decision times from the journey records when it has them, replays the arrivals under the
configuration (and under `--baseline`), and prints, per team and rep, the leads, share against
target, SLA breaches, escalations and fallback load, side by side, with the leads whose owner
changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from leadflow.core.config import LeadflowConfig
from leadflow.core.journey_record import JourneyRecord
from leadflow.core.lifecycle import Prop
from leadflow_cli.decision_model import DecisionModel, RecordedModel, StatedModel
from leadflow_cli.hubspot_export import HubSpotExport
from leadflow_cli.replay import (
    Arrival,
    Outcome,
    Replay,
    arrivals_from_records,
    arrivals_from_rows,
    owner_changes,
    owners_of,
    read_rows,
)


@dataclass(frozen=True)
class Side:
    """One configuration to replay, and what to call it."""

    name: str
    config: LeadflowConfig


def decisions(
    config: LeadflowConfig, records: list[JourneyRecord] | None, stated: StatedModel
) -> DecisionModel:
    """The decision model: the journey records' when there are any, else the stated one."""
    return RecordedModel.from_records(records, config, stated) if records else stated


@dataclass
class CompanyOwners:
    """Who owns each contact's company, as account matching needs it: an owner's email. An export names
    owners as HubSpot shows them (their name); `names` (the portal's owners, with `--hubspot`) maps
    names and ids to emails. Owners it cannot name are counted, and those leads go to the rotation."""

    names: dict[str, str] = field(default_factory=dict)
    unnamed: set[str] = field(default_factory=set)

    def __call__(self, arrival: Arrival) -> str | None:
        return self.email(arrival.props)

    def email(self, props: Mapping[str, str | None]) -> str | None:
        """The email of the owner of a contact's company (None: no owner, or one it cannot name)."""
        value = (props.get(f"company.{Prop.OWNER}") or "").strip()
        if not value:
            return None
        email = self.names.get(value.lower()) or (value.lower() if "@" in value else None)
        if email is None:
            self.unnamed.add(value)
        return email

    def emails(self, rows: Iterable[dict[str, str]]) -> set[str]:
        """The company owners the rows name by email: HubSpot owners, whether in a team or not."""
        return {e for row in rows if (e := self.email(row)) is not None}


def hubspot_owners(client: Any) -> dict[str, str]:
    """The portal's owners by how an export may name them (id, "first last", email) -> email (one page of
    500 after another, `GET /crm/v3/owners`)."""
    names: dict[str, str] = {}
    after = None
    while True:
        page = client.crm.owners.owners_api.get_page(limit=500, after=after, archived=False)
        for owner in page.results:
            email = (owner.email or "").lower()
            if not email:
                continue
            names[str(owner.id)] = names[email] = email
            full = f"{owner.first_name or ''} {owner.last_name or ''}".strip().lower()
            if full:
                names.setdefault(full, email)
        after = page.paging.next.after if page.paging and page.paging.next else None
        if not after:
            return names


def replay(
    sides: list[Side],
    *,
    export: HubSpotExport | None,
    records: list[JourneyRecord] | None,
    stated: StatedModel,
    progress: bool,
    company_owners: CompanyOwners | None = None,
) -> list[Outcome]:
    """Replay each configuration on its own MQL arrivals (what its scoring makes MQLs of the export, or
    the recorded journeys); the last is the proposal, any before it the baseline."""
    rows = read_rows(export, progress) if export is not None else None
    owners_named = company_owners or CompanyOwners()
    extra = owners_named.emails(rows or [])
    outcomes = []
    for side in sides:
        if rows is not None:
            arrivals = arrivals_from_rows(side.config, rows, progress)
        else:
            arrivals = arrivals_from_records(records or [])
        model = decisions(side.config, records, stated)
        people = owners_of(side.config, extra)
        leads = Replay(side.config, model, people, owners_named).run(arrivals, progress=progress)
        count = len(rows) if rows is not None else len(arrivals)
        outcomes.append(Outcome(side.name, side.config, count, leads, model.description))
    return outcomes


def as_json(outcomes: list[Outcome], export: HubSpotExport | None) -> dict[str, Any]:
    """The proposal's replay as one object; with a baseline, the baseline's and the owners that change."""
    proposal = outcomes[-1]
    data = proposal.as_json()
    if len(outcomes) > 1:
        data["baseline"] = outcomes[0].as_json()
        data["owner_changes"] = owner_changes(outcomes[0], proposal)
    if export is not None:
        data["export"] = export.problems.as_json()
    return data


_TOTALS = (
    ("MQLs", "mqls"),
    ("decided within the SLA", "decided_within_sla"),
    ("SLA breaches (leads)", "sla_breaches"),
    ("escalations", "escalations"),
    ("reassigned", "reassigned"),
    ("to the fallback owner", "fallback"),
    ("recycled for no response", "no_response"),
    ("fast-tracked to SQL", "fast_track"),
)


def print_outcomes(outcomes: list[Outcome], out: TextIO, source: str, changes: int = 20) -> None:
    """The replays side by side for people."""
    proposal = outcomes[-1]
    first = [lead.arrival.at for o in outcomes for lead in o.leads]
    span = f" from {min(first):%Y-%m-%d} to {max(first):%Y-%m-%d}" if first else ""
    print(f"replay of {source}: {proposal.rows:,} leads{span}", file=out)
    print(f"decision times: {proposal.decisions}", file=out)
    width = 26
    print(f"{'':<28}" + "".join(f"{o.source[-width:]:>{width}}" for o in outcomes), file=out)
    totals = [o.totals() for o in outcomes]
    for label, key in _TOTALS:
        print(f"  {label:<26}" + "".join(_count(t[key], t["mqls"], key, width) for t in totals), file=out)
    for team in sorted({lead.team for o in outcomes for lead in o.leads}):
        _print_team(outcomes, team, out)
    if len(outcomes) > 1:
        _print_changes(owner_changes(outcomes[0], proposal), len(proposal.leads), out, changes)


def _count(value: int, whole: int, key: str, width: int) -> str:
    text = f"{value:,}" if key == "mqls" or not whole else f"{value:,} ({value / whole:.0%})"
    return f"{text:>{width}}"


def _print_team(outcomes: list[Outcome], team: str, out: TextIO) -> None:
    books = [o.fairness().get(team) for o in outcomes]
    reps = [{r["email"]: r for r in o.reps() if r["team"] == team} for o in outcomes]
    leads = " / ".join(f"{b.leads:,}" if b else "0" for b in books)
    matched = " / ".join(f"{b.account_matches:,}" if b else "0" for b in books)
    nobody = " / ".join(f"{b.nobody:,}" if b else "0" for b in books)
    print(
        f"team {team} (MQLs {leads}; account matches {matched}; nobody available, to the fallback owner "
        f"{nobody})",
        file=out,
    )
    columns = "".join(f"{name:>{w}}" for name, w, _ in _REP_COLUMNS)
    if len(outcomes) > 1:
        span = sum(w for _, w, _ in _REP_COLUMNS)
        print(f"  {'':<26}" + "".join(f"{o.source[: span - 2]:>{span}}" for o in outcomes), file=out)
    print(f"  {'rep':<26}" + columns * len(outcomes), file=out)
    for email in sorted({e for side in reps for e in side}):
        cells = "".join(f"{cell(side.get(email) or {}):>{w}}" for side in reps for _, w, cell in _REP_COLUMNS)
        print(f"  {email[:25]:<26}{cells}", file=out)


_REP_COLUMNS: tuple[tuple[str, int, Any], ...] = (
    ("target", 7, lambda r: f"{r.get('target_share', 0.0):.0%}"),
    ("leads", 7, lambda r: f"{r.get('assigned', 0):,}"),
    ("share", 7, lambda r: f"{r.get('share', 0.0):.0%}"),
    ("breach", 7, lambda r: f"{r.get('sla_breaches', 0):,}"),
    ("esc", 5, lambda r: f"{r.get('escalations', 0):,}"),
    ("fallbk", 7, lambda r: f"{r.get('fallback', 0):,}"),
    ("missed", 7, lambda r: f"{sum(r.get('missed', {}).values()):,}"),
    ("made up", 8, lambda r: f"{r.get('made_up', 0):,}"),
)


def _print_changes(changed: list[dict[str, str]], mqls: int, out: TextIO, limit: int) -> None:
    print(f"owners that change: {len(changed):,} of {mqls:,} MQLs", file=out)
    for c in changed[:limit]:
        print(f"  {c['contact']:<10} {c['email'][:30]:<31} {c['baseline']:<36} -> {c['proposal']}", file=out)
    if len(changed) > limit:
        print(f"  ... and {len(changed) - limit:,} more (--json lists them all)", file=out)


def side_names(config: Path, baseline: Path | None) -> list[tuple[str, Path]]:
    """The configurations to replay: the baseline first (when given), the proposal last."""
    named = [(f"baseline ({baseline.name})", baseline)] if baseline else []
    return [*named, (f"proposal ({config.name})" if baseline else str(config.name), config)]


def records_in(records: Iterable[JourneyRecord] | None) -> list[JourneyRecord] | None:
    """The journey records with an MQL time (what the replay can use)."""
    return [r for r in records if r.mql_at] if records is not None else None
