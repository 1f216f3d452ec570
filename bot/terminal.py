"""Render an `Answer` for the terminal (rich), as `advisor ask` and `advisor chat` show it.

Built for an 80-column terminal and one 50-line screen: the lead strategy in full (why it
fits, first steps with hanging indents, the pitfall most worth knowing, sources), the other
two as one line each with a way to open them, and numbered choices when the advisor is unsure.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from bot.answer import Answer, Recommendation, confidence_percent
from knowledge.models import Entry, KnowledgeBase

FIRST_ACTIONS = 3
WIDTH = 80
OPTION_KEYS = "abc"
"""Keys of the topic choices offered when unsure (numbers open strategies)."""

HELP_TEXT = (
    "Describe a situation from your transformation work in a sentence or two, for\n"
    "example:\n"
    "  \"Staff on the benefits team think the new case system will cost them their\n"
    "  jobs\"\n"
    "and the advisor answers with strategies: what to do, in what order, and why.\n"
    "Commands: 'topics' lists the topics, 'entries' the strategies, 'checklist\n"
    "<id>' prints a checklist, a number opens a strategy of the last answer, a\n"
    "letter picks a topic it offered, 'wrong' (or 'wrong TOPIC') and 'helpful' say\n"
    "how the answer did, 'ask a person' keeps the question for the experts, and\n"
    "'quit' ends the chat."
)
ASK_PERSON_HINT = "Not what you needed? 'ask a person' saves it for the people who know."
ONE_SHOT_HELP = (
    "Describe a situation from your transformation work in a sentence or two, for\n"
    "example:\n"
    "  advisor ask \"Staff on the benefits team think the new case system will cost\n"
    "  them their jobs\"\n"
    "and the advisor answers with strategies: what to do, in what order, and why.\n"
    "'advisor topics' lists the topics, 'advisor topics --entries' the strategies,\n"
    "'advisor checklist ID' prints a checklist, 'advisor chat' starts a conversation."
)
"""What `advisor ask` says to an empty question (HELP_TEXT is the chat's)."""
SHORTENED = "Your message was long, so I read its beginning and its end."
OUT_OF_SCOPE = ("That doesn't look like a question about changing how a public service works, "
                "so I won't guess a strategy. I can help with communication, stakeholders, "
                "leadership and resistance, security and privacy, pilots and rollout, skills, "
                "citizen-centred design, legacy systems, measurement, and strategy and "
                "governance.")


def indented(label: str, body: str, indent: int, *, style: str = "bold", width: int = WIDTH
             ) -> Text:
    """`label` at the margin, `body` after it; continuation lines start at `indent`."""
    out = Text(label, style=style)
    col = len(label)
    first = True
    for word in body.split():
        if len(word) > width - indent:  # a word longer than a line: cut it
            word = word[: width - indent - 1] + "…"
        if not first and col + 1 + len(word) > width:
            out.append("\n" + " " * indent)
            col = indent
        elif not first:
            out.append(" ")
            col += 1
        out.append(word)
        col += len(word)
        first = False
    return out


def one_line(text: str, width: int) -> str:
    """`text` on one line of at most `width` characters, with an ellipsis if cut."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width - 1)
    return text[: cut if cut > width // 2 else width - 1].rstrip(" ,;:") + "…"


def render_entry(entry: Entry, rec: Recommendation | None = None, *, n: int = 1,
                 all_actions: bool = False, chat: bool = False) -> Text:
    """One strategy: title, why it fits, first steps, the pitfall, sources, checklist hint
    (`chat` words it as the chat's command, not the shell's)."""
    out = indented(f"{n}. ", entry.title, 3, style="bold")
    out.stylize("bold cyan")
    if rec is not None and rec.why:
        out.append("\n")
        out.append_text(indented("   Why: ", one_line(rec.why, WIDTH * 2 - 20), 8, style="dim"))
    actions = entry.actions if all_actions else entry.actions[:FIRST_ACTIONS]
    out.append("\n   First steps" if not all_actions else "\n   Steps", style="bold")
    for i, action in enumerate(actions, 1):
        out.append("\n")
        out.append_text(indented(f"   {i}. ", action, 6, style=""))
    if entry.pitfalls:
        out.append("\n")
        out.append_text(indented("   Watch out: ", entry.pitfalls[0], 6, style="bold yellow"))
    sources = "; ".join(s.label for s in entry.sources)
    out.append("\n")
    out.append_text(indented("   Sources: ", f"{sources} · reviewed {entry.last_reviewed:%d %b %Y}",
                             6, style="dim"))
    more = len(entry.actions) - len(actions)
    out.append("\n")
    out.append_text(indented("   ", (f"{more} more steps: " if more > 0 else "Checklist: ")
                             + f"{'' if chat else 'advisor '}checklist {entry.id}", 6,
                             style="dim"))
    return out


def render_answer(answer: Answer, *, chat: bool = False) -> Group:
    """The readable answer. `chat` words the hints for `advisor chat` (numbers and letters)."""
    if answer.is_empty:
        return Group(Text(HELP_TEXT if chat else ONE_SHOT_HELP))
    parts: list[Text] = []
    if answer.shortened:
        parts.append(Text(SHORTENED, style="dim"))
    if answer.topic is None:
        parts += _abstained(answer, chat=chat)
        return Group(*parts)
    head = indented("", answer.topic.title, 2, style="bold")
    head.append(f"  ({answer.confidence_band} confidence, {confidence_percent(answer.confidence)})",
                style="dim")
    parts.append(head)
    lead = answer.lead
    if lead is not None:
        parts.append(render_entry(lead.entry, lead, n=1, chat=chat))
    others = answer.recommendations[1:]
    if others:
        lines = Text("Also worth a look", style="bold")
        for n, rec in enumerate(others, 2):
            topic = "" if rec.entry.topic == answer.topic.id else f" ({_topic_title(answer, rec)})"
            room = WIDTH - 5 - len(topic)
            lines.append(f"\n  {n}. {one_line(rec.entry.title, room)}")
            lines.append(topic, style="dim")
        opener = ("Type 2 or 3 to open one." if chat and len(others) == 2 else
                  "Type 2 to open it." if chat else
                  "Open one: advisor show " + " | ".join(r.entry.id for r in others))
        lines.append("\n")
        lines.append_text(indented("  ", opener, 4, style="dim"))
        parts.append(lines)
    if answer.asks_to_choose:
        parts.append(_choices("This could also be about another topic. Closer to one of these?",
                              answer, chat=chat))
    return Group(*parts)


def _topic_title(answer: Answer, rec: Recommendation) -> str:
    for option in (*answer.options,):
        if option.topic.id == rec.entry.topic:
            return option.topic.title
    for alt in answer.alternatives:
        if alt.topic.id == rec.entry.topic:
            return alt.topic.title
    return rec.entry.topic


def _abstained(answer: Answer, *, chat: bool) -> list[Text]:
    if answer.out_of_scope:
        text = f"{OUT_OF_SCOPE} Type 'topics' to see them." if chat else OUT_OF_SCOPE
        return [indented("", text, 0, style="")]
    if not answer.options:
        return [Text("I'm not sure which topic this is about, so I won't guess.", style="bold")]
    return [_choices("I'm not sure which of these your situation is about. Which is closest?",
                     answer, chat=chat)]


def _choices(question: str, answer: Answer, *, chat: bool) -> Text:
    out = indented("", question, 0, style="bold")
    for key, option in zip(OPTION_KEYS, answer.options, strict=False):
        example = f" — e.g. {option.entry.title}" if option.entry else ""
        out.append(f"\n  {key}. ")
        out.append(one_line(option.topic.title + example, WIDTH - 5))
    keys = "/".join(OPTION_KEYS[: len(answer.options)])
    hint = (f"Type {keys} to answer within that topic, or tell me more." if chat else
            f"Answer within one: advisor ask --topic {answer.options[0].topic.id} \"…\"")
    out.append("\n")
    out.append_text(indented("  ", hint, 4, style="dim"))
    return out


def render_topics(kb: KnowledgeBase, *, entries: bool = False) -> Group:
    """One line per topic (id, title, number of strategies); with `entries`, their ids and titles."""
    lines: list[Text] = []
    for t in kb.topics:
        lines.append(Text.assemble((f"{t.id:<24}", "bold"), f"{t.title} ({len(t.entries)} strategies)"))
        if entries:
            for e in t.entries:
                lines.append(Text(f"  {e.id}", style="cyan"))
                lines.append(indented("      ", e.title, 6, style=""))
    return Group(*lines)
