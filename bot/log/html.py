"""`advisor report --html`: one self-contained page (inline CSS and SVG, no scripts, no links)."""

from __future__ import annotations

from collections.abc import Container, Sequence
from html import escape

from bot.log.reports import CONFIDENCE_BINS, EntryFigures, Report

ENTRIES_SHOWN = 30

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:60rem;color:#1b1b1b;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
.kpis{display:flex;gap:1rem;flex-wrap:wrap}
.kpi{border:1px solid #ddd;border-radius:.5rem;padding:.75rem 1rem;min-width:9rem}
.kpi b{display:block;font-size:1.4rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;
border-bottom:1px solid #eee;vertical-align:top}td.n,th.n{text-align:right}
svg text{font-size:11px;fill:#333}.bar{fill:#2f6f9f}.muted{color:#666}
.axis{stroke:#999}.line{stroke:#b3261e;stroke-dasharray:4 3}.mark{fill:#b3261e}
.spark{fill:none;stroke:#2f6f9f;stroke-width:1.5}
"""


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _columns(values: Sequence[int], labels: Sequence[str], *, title: str, x_label: str,
             y_label: str, lines: Sequence[tuple[float, str]] = ()) -> str:
    """A vertical bar chart as inline SVG, with labelled axes; `lines` are (position on the
    x axis from 0 to 1, label) marks drawn across the chart."""
    width, height, left, right, top_pad, bottom = 720, 250, 44, 10, 28, 46
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max(values, default=0) or 1
    step = plot_w / max(len(values), 1)
    base = top_pad + plot_h
    parts = [f'<line class="axis" x1="{left}" y1="{top_pad}" x2="{left}" y2="{base}"/>',
             f'<line class="axis" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}"/>',
             f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end">{top}</text>',
             f'<text x="{left - 4}" y="{base}" text-anchor="end">0</text>',
             f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">'
             f"{escape(x_label)}</text>",
             f'<text transform="translate(12 {top_pad + plot_h / 2:.1f}) rotate(-90)" '
             f'text-anchor="middle">{escape(y_label)}</text>']
    every = max(1, round(len(values) / 16))  # keep the labels apart on long periods
    for i, (v, label) in enumerate(zip(values, labels, strict=True)):
        h = plot_h * v / top
        x, y = left + i * step, base - h
        parts.append(
            f'<rect class="bar" x="{x + 2:.1f}" y="{y:.1f}" width="{max(step - 4, 1):.1f}" '
            f'height="{h:.1f}"><title>{escape(label)}: {v}</title></rect>'
            f'<text x="{x + step / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{v}</text>')
        if i % every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{base + 14}" text-anchor="middle">'
                         f"{escape(label)}</text>")
    for at, label in lines:
        x = left + plot_w * at
        parts.append(f'<line class="line" x1="{x:.1f}" y1="{top_pad - 14}" x2="{x:.1f}" '
                     f'y2="{base}"/><text class="mark" x="{x + 4:.1f}" y="{top_pad - 16}">'
                     f"{escape(label)}</text>")
    return (f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
            f'width="100%">{"".join(parts)}</svg>')


def _rows(items: Sequence[tuple[str, int]], *, title: str) -> str:
    """A horizontal bar chart as inline SVG."""
    width, row, label_w = 720, 22, 250
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
    return (f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
            f'width="100%">{"".join(parts)}</svg>')


def _sparkline(values: Sequence[int], *, top: int, label: str) -> str:
    """One topic's weekly exchanges as a small line (the same scale for every topic)."""
    width, height = 160, 24
    top = top or 1
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / top:.1f}"
                      for i, v in enumerate(values))
    return (f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}"><polyline class="spark" points="{points}"/></svg>')


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], *,
           numeric: Container[int] = ()) -> str:
    """A table of already-escaped cells; columns in `numeric` align right."""
    def cell(tag: str, i: int, text: str) -> str:
        return f'<{tag} class="n">{text}</{tag}>' if i in numeric else f"<{tag}>{text}</{tag}>"

    header = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>"
                   for r in rows)
    return f"<table><tr>{header}</tr>{body}</table>"


def _trend(report: Report) -> str:
    if not report.topic_weeks:
        return "<p>No answered questions.</p>"
    top = max((max(counts, default=0) for _, counts in report.topic_weeks), default=0)
    first = f"{report.per_week[0][0]:%d %b}" if report.per_week else ""
    rows = []
    for topic, counts in report.topic_weeks:
        title = escape(report.title(topic))
        rows.append([title, _sparkline(counts, top=top, label=f"{report.title(topic)} per week"),
                     " · ".join(str(n) for n in counts[-4:]), str(sum(counts))])
    note = (f'<p class="muted">Each line runs from the week of {escape(first)} to this week, on '
            "one scale for every topic; the figures are the last four weeks.</p>")
    return note + _table(["Topic", "Per week", "Last 4 weeks", "Total"], rows, numeric={3})


def _flagged(report: Report) -> str:
    low = report.catalogue.low_confidence
    if not report.flagged_total:
        return "<p>None: every answer was a clear call above the line.</p>"
    rows = [[escape(q.question), escape(report.title(q.topic)), _pct(q.confidence),
             "close call" if q.ambiguous else f"below {_pct(low)}"] for q in report.flagged]
    shown = len(report.flagged)
    return (f"<p>{report.flagged_total} answered questions ({_pct(report.flagged_rate)} of all "
            f"exchanges) were ambiguous (two topics close) or below the {_pct(low)} "
            f"confidence line; the newest {shown}:</p>"
            + _table(["Question (as logged, redacted)", "Guessed topic", "Confidence", "Why"],
                     rows, numeric={2}))


def _entries(report: Report) -> str:
    rated: list[EntryFigures] = [e for e in report.entries if e.rated]
    if not rated:
        return "<p>No answer was rated in this period.</p>"
    rows = [[f"{escape(report.title(e.entry_id))} <span class=\"muted\">{escape(e.entry_id)}"
             "</span>", str(e.led), str(e.rated), str(e.not_helpful), _pct(e.not_helpful_rate)]
            for e in rated[:ENTRIES_SHOWN]]
    more = (f'<p class="muted">and {len(rated) - ENTRIES_SHOWN} more rated entries.</p>'
            if len(rated) > ENTRIES_SHOWN else "")
    return ('<p class="muted">Feedback is about the answer, so it counts for the entry the '
            "answer led with.</p>"
            + _table(["Entry", "Led answers", "Rated", "Not helpful", "Not-helpful rate"],
                     rows, numeric={1, 2, 3, 4}) + more)


def _never(report: Report) -> str:
    if not report.catalogue.entry_ids:
        return "<p>Unknown: the report was made without the knowledge base.</p>"
    if not report.never_recommended:
        return "<p>None: every entry was recommended at least once.</p>"
    items = "".join(f"<li>{escape(report.title(e))} <span class=\"muted\">{escape(e)}</span></li>"
                    for e in report.never_recommended)
    return (f"<p>{len(report.never_recommended)} of {len(report.catalogue.entry_ids)} entries of "
            f"the current knowledge base:</p><ul>{items}</ul>")


def render_html(report: Report) -> str:
    """The report as a complete HTML document; every user-provided text is escaped."""
    s = report.stats
    rated = s.helpful + s.not_helpful
    period = f"{s.since:%Y-%m-%d} – {report.until:%Y-%m-%d}"
    kpis = [
        ("Exchanges", str(s.questions)),
        ("Abstained", _pct(s.abstention_rate)),
        ("Ambiguous or low confidence", _pct(report.flagged_rate)),
        ("Not helpful", f"{_pct(s.not_helpful_rate)} of {rated} rated"),
    ]
    step = 100 // CONFIDENCE_BINS
    bins = [f"{i * step}–{(i + 1) * step}%" for i in range(CONFIDENCE_BINS)]
    cat = report.catalogue
    lines = [(cat.low_confidence, f"low confidence below {_pct(cat.low_confidence)}")]
    if cat.abstain_below is not None:
        lines.insert(0, (cat.abstain_below, f"abstains below {_pct(cat.abstain_below)}"))
    groups = "".join(
        f"<tr><td>{g.count}</td><td>{escape(g.example)}"
        + (f'<div class="muted">{"<br>".join(escape(o) for o in g.others)}</div>' if g.others else "")
        + "</td></tr>"
        for g in report.unanswered
    )
    topics = [(report.title(t), n) for t, n in s.top_topics]
    weeks = (_columns([n for _, n in report.per_week], [f"{d:%d %b}" for d, _ in report.per_week],
                      title="Questions per week", x_label="week starting (Monday)",
                      y_label="exchanges")
             if report.per_week else "<p>No exchanges in this period.</p>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Transformation Advisor report {escape(period)}</title><style>{_CSS}</style></head>
<body>
<h1>Transformation Advisor: conversation report</h1>
<p class="muted">{escape(period)} (UTC). Questions are redacted; users are pseudonymous.</p>
<div class="kpis">{"".join(f'<div class="kpi">{k}<b>{escape(v)}</b></div>' for k, v in kpis)}</div>
<h2>Questions over time (per week)</h2>
{weeks}
<h2>Topic mix</h2>
{_rows(topics, title="Topic mix") if topics else "<p>No answered questions.</p>"}
<h2>Trend per topic</h2>
{_trend(report)}
<h2>Confidence distribution</h2>
{_columns(report.confidence_histogram, bins, title="Confidence distribution", lines=lines,
          x_label="confidence in the best topic", y_label="exchanges")}
<h2>Ambiguous and low-confidence answers</h2>
{_flagged(report)}
<h2>Not helpful, per entry</h2>
{_entries(report)}
<h2>Entries never recommended</h2>
{_never(report)}
<h2>Surfaces</h2>
{_rows(report.per_surface, title="Surfaces") if report.per_surface else "<p>None.</p>"}
<h2>Most common unanswered questions</h2>
<table><tr><th>Count</th><th>Question (and similar ones)</th></tr>{groups}</table>
</body></html>
"""
