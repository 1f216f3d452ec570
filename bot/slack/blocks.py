"""Pure Block Kit builders for answers, help and topics: `Answer` in, blocks out.

Every builder returns blocks already passed through `fit_blocks`, so any knowledge-base
content stays within Slack's limits; every piece of text is escaped for mrkdwn.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.answer import Answer
from bot.slack import values as v
from bot.slack.limits import fit_blocks, fit_text
from bot.slack.mrkdwn import bullets, escape, truncate
from knowledge.models import Entry, KnowledgeBase, Topic

Block = dict[str, Any]
MAX_STRATEGIES = 3
FIRST_ACTIONS = 3
QUOTE_CHARS = 500
WHY_CHARS = 300
SHORTENED = "Your message was long, so I read its beginning and its end."
SORRY = "Sorry, something went wrong on my side and I couldn't answer. Please try again in a minute."


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": mrkdwn(text), **extra}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text)}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> Block:
    b: Block = {"type": "button", "text": plain(text), "action_id": action_id}
    if value:
        b["value"] = value
    if style:
        b["style"] = style
    return b


def actions(elements: list[Block], block_id: str | None = None) -> Block:
    b: Block = {"type": "actions", "elements": elements}
    if block_id:
        b["block_id"] = block_id
    return b


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def quote(question: str, label: str = "You asked") -> Block:
    return section(f"*{label}:*\n>{escape(truncate(question, QUOTE_CHARS))}")


def topic_buttons(kb: KnowledgeBase, *, action: str, question: str = "",
                  exchange_id: object = None) -> list[Block]:
    """One button per topic, in actions blocks of at most 25."""
    elements = [
        button(t.title, f"{action}_{i}", v.pack(t=t.id, q=question or None,
                                                 x=None if exchange_id is None else str(exchange_id)))
        for i, t in enumerate(kb.topics)
    ]
    return [actions(elements[i:i + 25], block_id=f"{action}s_{i // 25}")
            for i in range(0, len(elements), 25)]


def strategy_blocks(n: int, entry: Entry, *, why: str = "") -> list[Block]:
    """Title, why it fits, summary, first actions, the pitfall, then sources and review date."""
    sources = "; ".join(escape(s.label) for s in entry.sources)
    head = f"*{n}. {escape(entry.title)}*\n"
    if why:
        head += f"_{escape(truncate(why, WHY_CHARS))}_\n"
    blocks = [
        section(head + escape(entry.summary)),
        section("*First actions*\n" + bullets(entry.actions[:FIRST_ACTIONS])),
    ]
    if entry.pitfalls:
        blocks.append(section(f"*Watch out:* {escape(entry.pitfalls[0])}"))
    blocks.append(context(f"Sources: {sources}  ·  Last reviewed {long_date(entry.last_reviewed)}"))
    return blocks


def other_strategies_blocks(answer: Answer, *, exchange_id: object) -> list[Block]:
    """The strategies after the lead, one line each with a button that opens it."""
    others = answer.recommendations[1:MAX_STRATEGIES]
    if not others:
        return []
    x = None if exchange_id is None else str(exchange_id)
    lines = "\n".join(f"{n}. {escape(r.entry.title)}" for n, r in enumerate(others, 2))
    return [
        section(f"*Also worth a look*\n{lines}"),
        actions([button(f"Open {n}", f"{v.OPEN_STRATEGY}_{n}", v.pack(e=r.entry.id, x=x))
                 for n, r in enumerate(others, 2)], block_id="open_strategies"),
    ]


def answer_blocks(answer: Answer, kb: KnowledgeBase, *, exchange_id: object = None,
                  quote_question: bool = False, share: bool = False,
                  share_in: tuple[str, str] | None = None, quote_label: str = "You asked",
                  shared_by: str | None = None) -> list[Block]:
    """The blocks of one answer: topic, confidence band, strategies, buttons.

    `share` adds a "Share in channel" button (private slash-command answers), `share_in`
    (channel, thread ts) a "Share in thread" button (private answers about a message);
    `shared_by` notes who shared it; without `exchange_id` there are no feedback buttons.
    `quote_question` quotes the question under `quote_label`.
    """
    if answer.is_empty:
        return help_blocks(kb)
    blocks: list[Block] = []
    if shared_by:
        blocks.append(context(f"Shared by <@{escape(shared_by)}>"))
    if quote_question:
        blocks.append(quote(answer.question, quote_label))
    if answer.abstained:
        return fit_blocks(blocks + abstain_blocks(answer, kb, exchange_id=exchange_id))
    assert answer.topic is not None
    band = f"Confidence: *{answer.confidence_band}*"
    if answer.forced_topic:
        band += "  ·  the topic you chose"
    blocks += [header(answer.topic.title), context(band)]
    if answer.shortened:
        blocks.append(context(SHORTENED))
    if answer.lead is not None:
        blocks += [*strategy_blocks(1, answer.lead.entry, why=answer.lead.why), {"type": "divider"}]
    blocks += other_strategies_blocks(answer, exchange_id=exchange_id)
    if answer.asks_to_choose:
        blocks += choose_blocks(answer, exchange_id=exchange_id)
    buttons = answer_actions(answer, exchange_id=exchange_id, share=share, share_in=share_in)
    if buttons["elements"]:
        blocks.append(buttons)
    return fit_blocks(blocks)


def strategy_message(entry: Entry) -> list[Block]:
    """One strategy on its own (opened from an answer), with its checklist button."""
    return fit_blocks([*strategy_blocks(1, entry),
                       actions([button("Show checklist", v.SHOW_CHECKLIST, v.pack(c=entry.id))])])


def choose_blocks(answer: Answer, *, exchange_id: object) -> list[Block]:
    """One clarifying question: the likeliest topics (each with its best strategy) as buttons."""
    x = None if exchange_id is None else str(exchange_id)
    lines = "\n".join(
        f"• *{escape(o.topic.title)}*" + (f": {escape(o.entry.title)}" if o.entry else "")
        for o in answer.options)
    question = ("Which of these is closest to your situation?" if answer.abstained else
                "This could also be about another topic. Closer to one of these?")
    return [
        section(f"{question}\n{lines}"),
        actions([button(o.topic.title, f"{v.CHOOSE_TOPIC}_{i}", v.pack(t=o.topic.id, q=answer.question, x=x))
                 for i, o in enumerate(answer.options)], block_id="choose_topic"),
    ]


def answer_actions(answer: Answer, *, exchange_id: object, share: bool,
                   share_in: tuple[str, str] | None = None) -> Block:
    x = None if exchange_id is None else str(exchange_id)
    elements = []
    if x is not None:
        elements += [button("Helpful", v.FEEDBACK_HELPFUL, v.pack(x=x), "primary"),
                     button("Not helpful", v.FEEDBACK_NOT_HELPFUL, v.pack(x=x))]
    if answer.recommendations:
        elements.append(button("Show checklist", v.SHOW_CHECKLIST,
                               v.pack(c=answer.recommendations[0].entry.id)))
    if share:
        forced = answer.topic.id if answer.forced_topic and answer.topic else None
        elements.append(button("Share in channel", v.SHARE_ANSWER,
                               v.pack(q=answer.question, t=forced, x=x)))
    if share_in:
        channel, thread_ts = share_in
        elements.append(button("Share in thread", v.SHARE_IN_THREAD,
                               v.pack(q=answer.question, x=x, c=channel, th=thread_ts)))
    return actions(elements, block_id="answer_actions")


def abstain_blocks(answer: Answer, kb: KnowledgeBase, *, exchange_id: object) -> list[Block]:
    """A kind "I won't guess", then the topics as buttons: never a random strategy."""
    if answer.out_of_scope:
        text = ("That doesn't look like something I can help with: I advise on changing how "
                "public services work (people, process, technology). I'd rather not guess.")
    elif answer.options:
        return choose_blocks(answer, exchange_id=exchange_id)
    else:
        text = ("I'm not confident enough to pick a topic for that, so I won't guess. "
                "Tell me a bit more (who is affected, what is getting in the way), or pick "
                "the topic closest to your situation:")
    return [section(text),
            *topic_buttons(kb, action=v.CHOOSE_TOPIC, question=answer.question,
                           exchange_id=exchange_id)]


def answer_text(answer: Answer) -> str:
    """The notification / screen-reader fallback for an answer."""
    if answer.abstained:
        return "I couldn't match that to a topic I know, so I won't guess."
    assert answer.topic is not None
    titles = "; ".join(escape(r.entry.title) for r in answer.recommendations[:MAX_STRATEGIES])
    return fit_text(f"{escape(answer.topic.title)} ({answer.confidence_band} confidence): {titles}")


def help_blocks(kb: KnowledgeBase) -> list[Block]:
    """What the advisor does and how to ask, with the topics as buttons."""
    return fit_blocks([
        section("*I'm Transformation Advisor.* Describe a situation you face while changing how "
                "a public service works, and I'll suggest up to three curated strategies with "
                "first actions and sources."),
        section("• Mention me in a channel: I answer in a thread, and follow-ups in that thread "
                "need no new mention.\n• Message me directly.\n"
                "• `/advisor <your situation>`: a private answer you can share.\n"
                "• `/advisor topics`: what I know about.\n"
                "• `/advisor checklist <topic or strategy id>`: a checklist for your team."),
        context("Example: _/advisor staff keep using the old spreadsheets instead of the new "
                "case system_"),
        *topic_buttons(kb, action=v.CHOOSE_TOPIC),
    ])


def topics_blocks(kb: KnowledgeBase) -> list[Block]:
    """Every topic with its description and strategy ids (for `/advisor checklist`)."""
    blocks: list[Block] = [header("Topics I can advise on")]
    for t in kb.topics:
        ids = ", ".join(f"`{escape(e.id)}`" for e in t.entries)
        blocks += [section(f"*{escape(t.title)}* (`{escape(t.id)}`)\n{escape(t.description)}"),
                   context(f"Strategies: {ids}")]
    return fit_blocks(blocks)


def topic_overview_blocks(topic: Topic) -> list[Block]:
    """A topic's strategies, for the App Home's topic buttons."""
    blocks: list[Block] = [section(escape(topic.description))]
    for n, e in enumerate(topic.entries, start=1):
        blocks += strategy_blocks(n, e)
    return blocks


def error_blocks(text: str = SORRY) -> list[Block]:
    return [section(escape(text))]
