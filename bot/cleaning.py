"""Clean a question before the model sees it: strip Slack markup, fold whitespace, bound length."""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 2000
"""Questions are cut to about this many characters (300 words, several paragraphs).

A situation that matters fits well inside it; anything longer is usually pasted text
followed by the actual question, so a longer message keeps its beginning and its end.
"""
TAIL_CHARS = 700
"""How much of the end of a long message is kept (the rest of the bound is its beginning)."""
GAP = " … "

_USER = re.compile(r"<[@#][A-Z0-9]+(?:\|[^>]*)?>")
_SPECIAL = re.compile(r"<!(?:subteam\^)?[^>]*>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}


def clean_question(text: str | bytes | None) -> str:
    """Return the plain text of a Slack message, safe to classify and to quote.

    Mentions (`<@U123>`, `<#C1|x>`) and specials (`<!channel>`) are dropped, links keep
    their label (or their address without the query string), entities are decoded,
    control characters removed, whitespace folded and the length bounded.
    """
    return prepare_question(text)[0]


def prepare_question(text: str | bytes | None) -> tuple[str, bool]:
    """`clean_question`, and whether the message was shortened to fit the bound.

    A long message keeps its beginning and its last `TAIL_CHARS` characters, joined by
    an ellipsis, each cut at a word boundary.
    """
    if text is None:
        return "", False
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if len(text) > MAX_QUESTION_CHARS * 4:  # bound the work; markup is at most a few times longer
        text = text[: MAX_QUESTION_CHARS * 2] + " " + text[-MAX_QUESTION_CHARS * 2:]
    text = _USER.sub(" ", text)
    text = _SPECIAL.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).split("?", 1)[0], text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text).replace("\ufffd", " ")
    text = " ".join(text.split())
    if len(text) <= MAX_QUESTION_CHARS:
        return text, False
    return _keep_both_ends(text), True


def _keep_both_ends(text: str) -> str:
    head_chars = MAX_QUESTION_CHARS - TAIL_CHARS - len(GAP)
    cut = text.rfind(" ", 0, head_chars)
    head = text[: cut if cut > head_chars // 2 else head_chars]
    tail = text[-TAIL_CHARS:]
    space = tail.find(" ")
    if 0 <= space < TAIL_CHARS // 2:
        tail = tail[space + 1:]
    return head + GAP + tail


def has_words(text: str) -> bool:
    """True when the cleaned text holds at least one letter: something to classify."""
    return any(ch.isalpha() for ch in text)
