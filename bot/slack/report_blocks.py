"""`/advisor admin report` as a pure builder: a report in, a link-free summary out, with text
bars of block characters instead of a chart image. Escaped and within Slack's limits."""

from __future__ import annotations

from bot.log.reports import Report, text_bar
from bot.slack.blocks import Block, context, header, section
from bot.slack.limits import fit_blocks, fit_text
from bot.slack.mrkdwn import escape, truncate

BAR = 16
WEEKS_SHOWN = 12
TOPICS_SHOWN = 10
FLAGGED_SHOWN = 3
ENTRIES_SHOWN = 5
GROUPS_SHOWN = 5
NEVER_SHOWN = 8
QUESTION_CHARS = 200


def report_blocks(report: Report, *, weeks: int) -> list[Block]:
    """The period's figures, exchanges per week and the topic mix as bars, then what needs an
    admin: ambiguous and low-confidence answers, the most not-helpful entries, the entries
    never recommended and the most common unanswered questions."""
    s = report.stats
    period = f"{s.since:%d %b %Y} – {report.until:%d %b %Y} (UTC), the last {weeks} week(s)"
    blocks: list[Block] = [header("Conversation report"),
                           context(f"{period}. Questions as logged (redacted).")]
    if not s.questions:
        blocks.append(section("No exchanges in this period."))
        return fit_blocks(blocks)
    blocks.append({"type": "section", "fields": [
        {"type": "mrkdwn", "text": f"*Exchanges*\n{s.questions}"},
        {"type": "mrkdwn", "text": f"*Abstained*\n{s.abstention_rate:.0%}"},
        {"type": "mrkdwn", "text": f"*Ambiguous or low confidence*\n{report.flagged_rate:.0%} "
                                   f"({report.flagged_total})"},
        {"type": "mrkdwn", "text": f"*Not helpful*\n{s.not_helpful_rate:.0%} of "
                                   f"{s.helpful + s.not_helpful} rated"},
    ]})
    blocks.append(section("*Exchanges per week*\n" + _bars(
        [(f"{monday:%d %b}", n) for monday, n in report.per_week[-WEEKS_SHOWN:]])))
    topics = [(truncate(report.title(t), 40), n) for t, n in s.top_topics[:TOPICS_SHOWN]]
    if topics:
        blocks.append(section("*Topic mix*\n" + _bars(topics, total=sum(n for _, n in s.top_topics))))
    blocks += _needs_attention(report)
    blocks.append(context("Charts, the trend per topic and every list in full: "
                          "`advisor report --html report.html` on the server."))
    return fit_blocks(blocks)


def report_text(report: Report) -> str:
    """The notification text of the summary."""
    s = report.stats
    return fit_text(f"Conversation report: {s.questions} exchanges, {s.abstention_rate:.0%} "
                    f"abstained, {report.flagged_rate:.0%} ambiguous or low confidence")


def _bars(items: list[tuple[str, int]], *, total: int | None = None) -> str:
    """Labelled bars in a code block, so they line up."""
    top = max((n for _, n in items), default=0)
    width = max((len(label) for label, _ in items), default=0)
    lines = []
    for label, n in items:
        share = f" ({n / total:.0%})" if total else ""
        lines.append(f"{escape(label).ljust(width)}  {text_bar(n, top, BAR).ljust(BAR)}  {n}{share}")
    return "```" + "\n".join(lines) + "```"


def _needs_attention(report: Report) -> list[Block]:
    out: list[Block] = []
    low = report.catalogue.low_confidence
    if report.flagged:
        lines = [f">{escape(truncate(q.question, QUESTION_CHARS))}\n"
                 f"{escape(report.title(q.topic))}, {q.confidence:.0%}"
                 f"{', a close call' if q.ambiguous else ''}"
                 for q in report.flagged[:FLAGGED_SHOWN]]
        out.append(section(f"*Ambiguous or below {low:.0%}: {report.flagged_total} answer(s)*, "
                           "the newest:\n" + "\n".join(lines)))
    rated = [e for e in report.entries if e.not_helpful][:ENTRIES_SHOWN]
    if rated:
        out.append(section("*Most often not helpful* (the entry each answer led with)\n" + "\n".join(
            f"• {escape(report.title(e.entry_id))}: {e.not_helpful} of {e.rated} rated "
            f"({e.not_helpful_rate:.0%})" for e in rated)))
    never = report.never_recommended
    if never:
        shown = ", ".join(escape(report.title(e)) for e in never[:NEVER_SHOWN])
        more = f" and {len(never) - NEVER_SHOWN} more" if len(never) > NEVER_SHOWN else ""
        out.append(section(f"*Never recommended*: {len(never)} of "
                           f"{len(report.catalogue.entry_ids)} entries: {shown}{more}"))
    if report.unanswered:
        out.append(section("*Most common unanswered questions*\n" + "\n".join(
            f"• {g.count} × {escape(truncate(g.example, QUESTION_CHARS))}"
            for g in report.unanswered[:GROUPS_SHOWN])))
    return out
