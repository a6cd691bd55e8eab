"""Pages for people who would rather look: `leadflow report --html` and `leadflow replay --html`.

One self-contained HTML file: the styles inline and every chart an inline SVG drawn here, no
script, no font, no image and no address to fetch, so it opens from a disk, an email or a
ticket with no server and no network. Written by hand because a charting library would bring a
JavaScript runtime or a CDN; four kinds of bar are all these pages need.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from leadflow_cli.calibration import Calibration, band_of
from leadflow_cli.fairness import TeamLedger
from leadflow_cli.funnel import Funnel
from leadflow_cli.replay import Outcome

COLOURS = ("#2f6fdf", "#9aa4b2")  # the configuration under study, then its baseline
WIDTH = 820
# Speed to lead, in minutes: the buckets people talk in.
SPEED_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 5 min", 5),
    ("5-15 min", 15),
    ("15-60 min", 60),
    ("1-4 h", 240),
    ("4-8 h", 480),
    ("8-24 h", 1440),
    ("1-3 days", 4320),
    ("> 3 days", float("inf")),
)

_STYLE = " ".join(
    (
        'body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1c2430;',
        "margin:32px auto;max-width:880px;padding:0 16px}",
        "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px}",
        "p.note{color:#5b6573;margin:2px 0 10px}",
        "svg text{font:12px system-ui,sans-serif;fill:#1c2430}svg .muted{fill:#5b6573}",
        ".legend span{display:inline-block;margin-right:14px}",
        ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px}ul{padding-left:18px}",
    )
)


@dataclass(frozen=True)
class Bar:
    """One bar per series under a label, each with its text and (for shares) its target."""

    label: str
    values: tuple[float, ...]
    texts: tuple[str, ...] = ()
    targets: tuple[float | None, ...] = ()


def bars(rows: Sequence[Bar], *, scale: float | None = None, percent: bool = False) -> str:
    """Horizontal bars, one group per row (a bar per series, its text at its end), and a target tick
    on each bar that has one."""
    series = max((len(r.values) for r in rows), default=1)
    top = scale or max((v for r in rows for v in r.values), default=0.0) or 1.0
    label_w, bar_w, h, gap = 200, 380, 16, 10
    group = series * h + gap
    parts = []
    for i, row in enumerate(rows):
        y0 = 4 + i * group
        parts.append(f'<text x="0" y="{y0 + series * h / 2 + 4:.1f}">{escape(row.label[:32])}</text>')
        for k, value in enumerate(row.values):
            y = y0 + k * h
            width = max(0.0, min(1.0, value / top)) * bar_w
            colour = COLOURS[k % len(COLOURS)]
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{width:.1f}" height="{h - 3}" fill="{colour}"/>'
            )
            target = row.targets[k] if k < len(row.targets) else None
            if target is not None:
                x = label_w + min(1.0, target / top) * bar_w
                tick = f'x1="{x:.1f}" x2="{x:.1f}" y1="{y - 1}" y2="{y + h - 2}"'
                parts.append(f'<line {tick} stroke="#d43f3a" stroke-width="2"/>')
            text = row.texts[k] if k < len(row.texts) else (f"{value:.0%}" if percent else f"{value:,.0f}")
            parts.append(
                f'<text class="muted" x="{label_w + bar_w + 8}" y="{y + h - 5}">{escape(text)}</text>'
            )
    return _svg(max(4 + group * len(rows), 20), "".join(parts))


def columns(rows: Sequence[Bar]) -> str:
    """Vertical bars (a histogram), a bar per series in each column."""
    series = max((len(r.values) for r in rows), default=1)
    top = max((v for r in rows for v in r.values), default=0.0) or 1.0
    plot_h, slot = 160, (WIDTH - 20) / max(1, len(rows))
    bar_w = min(36.0, (slot - 10) / series)
    parts = []
    for i, row in enumerate(rows):
        x0 = 10 + i * slot + (slot - bar_w * series) / 2
        for k, value in enumerate(row.values):
            h = value / top * plot_h
            colour = COLOURS[k % len(COLOURS)] if series > 1 else COLOURS[0]
            parts.append(
                f'<rect x="{x0 + k * bar_w:.1f}" y="{plot_h - h + 16:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{h:.1f}" fill="{colour}"/>'
            )
        centre = 10 + i * slot + slot / 2
        value_text = " / ".join(row.texts or tuple(f"{v:,.0f}" for v in row.values))
        parts.append(
            f'<text class="muted" x="{centre:.1f}" y="12" text-anchor="middle">{escape(value_text)}</text>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{plot_h + 32}" text-anchor="middle">{escape(row.label)}</text>'
        )
    return _svg(plot_h + 40, "".join(parts))


def _svg(height: float, body: str) -> str:
    box = f'width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}"'
    return f'<svg {box} role="img">{body}</svg>'


def speed_buckets(minutes: Iterable[float]) -> list[int]:
    """How many decisions fall in each speed-to-lead bucket."""
    counts = [0] * len(SPEED_BUCKETS)
    for m in minutes:
        counts[next(i for i, (_, upper) in enumerate(SPEED_BUCKETS) if m < upper)] += 1
    return counts


def _page(title: str, subtitle: str, sections: list[str], legend: Sequence[str] = ()) -> str:
    key = ""
    if legend:
        key = '<p class="legend">' + "".join(
            f'<span><i style="background:{COLOURS[i]}"></i>{escape(name)}</span>'
            for i, name in enumerate(legend)
        )
        key += '<span><i style="background:#d43f3a"></i>target share</span></p>'
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="note">{escape(subtitle)} · written {stamp} by leadflow</p>'
        + key
        + "".join(sections)
        + "</body></html>\n"
    )


def _section(title: str, note: str, chart: str) -> str:
    return f'<h2>{escape(title)}</h2><p class="note">{escape(note)}</p>{chart}'


def _share_sections(books_by_side: Sequence[dict[str, TeamLedger]]) -> list[str]:
    sections = []
    for team in sorted({t for books in books_by_side for t in books}):
        emails = sorted({e for books in books_by_side if team in books for e in books[team].reps})
        rows = []
        for email in emails:
            lines = [books[team].reps.get(email) if team in books else None for books in books_by_side]
            rows.append(
                Bar(
                    email,
                    tuple(line.share if line else 0.0 for line in lines),
                    tuple(
                        f"{line.share:.0%} ({line.assigned:,}), target {line.target_share:.0%}"
                        if line
                        else "-"
                        for line in lines
                    ),
                    tuple(line.target_share if line else None for line in lines),
                )
            )
        leads = " / ".join(f"{books[team].leads:,}" if team in books else "0" for books in books_by_side)
        sections.append(
            _section(
                f"Share against target: team {team}",
                f"{leads} MQLs; the red tick is each rep's weight's share of the team",
                bars(rows, scale=1.0),
            )
        )
    return sections


def report_page(
    funnels: dict[str, Funnel],
    books: dict[str, TeamLedger],
    calibration: Calibration,
    speeds: list[float],
    scope: str,
) -> str:
    """`leadflow report --html`: the funnel, shares against targets, speed to lead, calibration."""
    total = funnels["all"]
    funnel = bars(
        [
            Bar("MQLs", (total.mqls,)),
            Bar("decided by a rep", (total.decided,)),
            Bar("decided within the SLA", (total.decided_within_sla,)),
            Bar("accepted (SAL)", (total.accepted,)),
            Bar("SQL", (total.sql,)),
        ]
    )
    speed = columns(
        [Bar(label, (n,)) for (label, _), n in zip(SPEED_BUCKETS, speed_buckets(speeds), strict=True)]
    )
    bands = [
        Bar(f"score {key}", (r.acceptance or 0.0,), (f"{_pct(r.acceptance)} of {r.decided:,} decided",))
        for key, r in calibration.by.get("score_band", {}).items()
    ]
    sections = [
        _section("Funnel", f"{total.mqls:,} MQL journeys; {total.open:,} still open", funnel),
        *_share_sections([books]),
        _section("Speed to lead", f"{len(speeds):,} decisions: time from MQL to the rep's decision", speed),
        _section(
            "Calibration by score band",
            "the share of decided MQLs that reps accepted, by the score that made them MQLs",
            bars(bands, scale=1.0, percent=True) if bands else "<p>No decided journey has a score yet.</p>",
        ),
    ]
    if calibration.suggestions:
        tips = "".join(f"<li>{escape(tip)}</li>" for tip in calibration.suggestions)
        sections.append(f"<h2>Suggestions</h2><ul>{tips}</ul>")
    return _page("leadflow report", scope, sections)


def replay_page(outcomes: Sequence[Outcome]) -> str:
    """`leadflow replay --html`: each configuration's funnel, shares, speed to lead and score bands,
    the proposal first and the baseline beside it."""
    ordered = list(reversed(outcomes))
    totals = [o.totals() for o in ordered]
    stages = (
        ("MQLs", "mqls"),
        ("decided within the SLA", "decided_within_sla"),
        ("missed the SLA", "sla_breaches"),
        ("reassigned", "reassigned"),
        ("to the fallback owner", "fallback"),
        ("recycled for no response", "no_response"),
    )
    funnel = bars([Bar(label, tuple(float(t[key]) for t in totals)) for label, key in stages])
    speeds = [
        speed_buckets(
            (lead.decided_at - lead.arrival.at).total_seconds() / 60
            for lead in o.leads
            if lead.outcome == "decided" and lead.decided_at is not None
        )
        for o in ordered
    ]
    speed = columns(
        [Bar(label, tuple(float(s[i]) for s in speeds)) for i, (label, _) in enumerate(SPEED_BUCKETS)]
    )
    sections = [
        _section("Funnel", ordered[0].decisions, funnel),
        *_share_sections([o.fairness() for o in ordered]),
        _section("Speed to lead", "time from MQL to the decision, for the decided leads", speed),
        _section(
            "Calibration by score band",
            "MQLs by the score that made them MQLs, and the share of them that missed the SLA",
            bars(_band_rows(ordered), scale=1.0, percent=True),
        ),
    ]
    title = "leadflow replay: " + " against ".join(o.source for o in ordered)
    subtitle = f"{ordered[0].rows:,} leads replayed"
    return _page(title, subtitle, sections, [o.source for o in ordered] if len(ordered) > 1 else ())


def _band_rows(ordered: Sequence[Outcome]) -> list[Bar]:
    keys: dict[str, int] = {}
    for o in ordered:
        for lead in o.leads:
            key = band_of(lead.arrival.score)
            keys[key] = int(key.split("-")[0]) if key[0].isdigit() else -1
    rows = []
    for key in sorted(keys, key=keys.__getitem__):
        rates, texts = [], []
        for o in ordered:
            group = [lead for lead in o.leads if band_of(lead.arrival.score) == key]
            missed = sum(1 for lead in group if lead.breached)
            rates.append(missed / len(group) if group else 0.0)
            texts.append(f"{len(group):,} MQLs, {missed / len(group) if group else 0:.0%} missed")
        rows.append(Bar(f"score {key}", tuple(rates), tuple(texts)))
    return rows


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"
