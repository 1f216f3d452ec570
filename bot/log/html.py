"""`advisor report --html`: one self-contained page (inline CSS and SVG, no scripts)."""

from __future__ import annotations

from html import escape

from bot.log.reports import CONFIDENCE_BINS, Report

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:60rem;color:#1b1b1b;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
.kpis{display:flex;gap:1rem;flex-wrap:wrap}
.kpi{border:1px solid #ddd;border-radius:.5rem;padding:.75rem 1rem;min-width:9rem}
.kpi b{display:block;font-size:1.4rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;
border-bottom:1px solid #eee;vertical-align:top}
svg text{font-size:11px;fill:#333}.bar{fill:#2f6f9f}.muted{color:#666}
"""


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _columns(values: list[int], labels: list[str], *, title: str) -> str:
    """A vertical bar chart as inline SVG."""
    width, height, pad = 720, 220, 30
    top = max(values, default=0) or 1
    step = (width - 2 * pad) / max(len(values), 1)
    bars = []
    for i, (v, label) in enumerate(zip(values, labels, strict=True)):
        h = (height - 2 * pad) * v / top
        x = pad + i * step
        y = height - pad - h
        bars.append(
            f'<rect class="bar" x="{x + 2:.1f}" y="{y:.1f}" width="{max(step - 4, 1):.1f}" '
            f'height="{h:.1f}"><title>{escape(label)}: {v}</title></rect>'
            f'<text x="{x + step / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{v}</text>'
            f'<text x="{x + step / 2:.1f}" y="{height - pad + 14}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    return (
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%">{"".join(bars)}</svg>'
    )


def _rows(items: list[tuple[str, int]], *, title: str) -> str:
    """A horizontal bar chart as inline SVG."""
    width, row, label_w = 720, 22, 200
    total = sum(n for _, n in items) or 1
    top = max((n for _, n in items), default=0) or 1
    parts = []
    for i, (name, n) in enumerate(items):
        y = i * row
        w = (width - label_w - 80) * n / top
        parts.append(
            f'<text x="0" y="{y + 15}">{escape(name)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{n} ({n / total:.0%})</text>'
        )
    height = max(len(items), 1) * row
    return (
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%">{"".join(parts)}</svg>'
    )


def render_html(report: Report) -> str:
    """The report as a complete HTML document; every user-provided text is escaped."""
    s = report.stats
    rated = s.helpful + s.not_helpful
    period = f"{s.since:%Y-%m-%d} – {report.until:%Y-%m-%d}"
    kpis = [
        ("Exchanges", str(s.questions)),
        ("Abstained", _pct(s.abstention_rate)),
        ("Ambiguous", _pct(s.ambiguous_rate)),
        ("Not helpful", f"{_pct(s.not_helpful_rate)} of {rated} rated"),
    ]
    bins = [f"{i / CONFIDENCE_BINS:.1f}" for i in range(CONFIDENCE_BINS)]
    groups = "".join(
        f"<tr><td>{g.count}</td><td>{escape(g.example)}"
        + (f'<div class="muted">{"<br>".join(escape(o) for o in g.others)}</div>' if g.others else "")
        + "</td></tr>"
        for g in report.unanswered
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Transformation Advisor report {escape(period)}</title><style>{_CSS}</style></head>
<body>
<h1>Transformation Advisor: conversation report</h1>
<p class="muted">{escape(period)} (UTC). Questions are redacted; users are pseudonymous.</p>
<div class="kpis">{"".join(f'<div class="kpi">{k}<b>{escape(v)}</b></div>' for k, v in kpis)}</div>
<h2>Questions over time (per week)</h2>
{
        _columns(
            [n for _, n in report.per_week],
            [f"{d:%d %b}" for d, _ in report.per_week],
            title="Questions per week",
        )
    }
<h2>Topic mix</h2>
{_rows(s.top_topics, title="Topic mix") if s.top_topics else "<p>No answered questions.</p>"}
<h2>Confidence distribution</h2>
{_columns(report.confidence_histogram, bins, title="Confidence distribution")}
<h2>Surfaces</h2>
{_rows(report.per_surface, title="Surfaces") if report.per_surface else "<p>None.</p>"}
<h2>Most common unanswered questions</h2>
<table><tr><th>Count</th><th>Question (and similar ones)</th></tr>{groups}</table>
</body></html>
"""
