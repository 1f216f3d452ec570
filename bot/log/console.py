"""`advisor report` in the terminal, with rich."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bot.log.reports import Report, text_bar

BAR = 30


def render_report(report: Report) -> RenderableType:
    """Summary figures, exchanges per week, topic mix, and unanswered question groups."""
    s = report.stats
    rated = s.helpful + s.not_helpful
    summary = Table.grid(padding=(0, 2))
    summary.add_row("Exchanges", str(s.questions))
    summary.add_row("Abstained", f"{s.abstention_rate:.0%}")
    summary.add_row("Ambiguous", f"{s.ambiguous_rate:.0%}")
    summary.add_row("Ambiguous or low confidence",
                    f"{report.flagged_rate:.0%} ({report.flagged_total} answers; "
                    "`--html` lists them)")
    summary.add_row("Not helpful", f"{s.not_helpful_rate:.0%} of {rated} rated ({s.not_helpful})")

    weeks = Table(title="Exchanges per week", title_justify="left", show_edge=False)
    weeks.add_column("Week of")
    weeks.add_column("n", justify="right")
    weeks.add_column("")
    top = max((n for _, n in report.per_week), default=0)
    for monday, n in report.per_week:
        weeks.add_row(f"{monday:%Y-%m-%d}", str(n), text_bar(n, top, BAR))

    topics = Table(title="Topic mix", title_justify="left", show_edge=False)
    topics.add_column("Topic")
    topics.add_column("n", justify="right")
    topics.add_column("share", justify="right")
    answered = sum(n for _, n in s.top_topics)
    for topic, n in s.top_topics:
        topics.add_row(report.title(topic), str(n), f"{n / answered:.0%}")

    unanswered = Table(title="Most common unanswered questions", title_justify="left", show_edge=False)
    unanswered.add_column("n", justify="right")
    unanswered.add_column("Question (similar ones below)")
    for group in report.unanswered:
        text = Text(group.example)
        for other in group.others:
            text.append(f"\n  {other}", style="dim")
        unanswered.add_row(str(group.count), text)

    never = report.never_recommended
    never_line = Text(f"Never recommended: {len(never)} of {len(report.catalogue.entry_ids)} "
                      f"entries ({', '.join(never[:5])}{', …' if len(never) > 5 else ''})"
                      if never else "Every entry was recommended at least once.")
    period = f"{s.since:%Y-%m-%d} – {report.until:%Y-%m-%d} (UTC)"
    return Group(
        Text(f"Conversation log, {period}", style="bold"),
        summary,
        Text(),
        weeks,
        Text(),
        topics,
        Text(),
        unanswered if report.unanswered else Text("No unanswered questions."),
        *([Text(), never_line] if report.catalogue.entry_ids else []),
    )
