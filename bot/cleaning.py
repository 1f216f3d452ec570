"""Clean a question before the model sees it: strip Slack markup, fold whitespace, bound length."""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 2000
"""Questions are cut to this many characters (about 300 words, several paragraphs).

A situation that matters fits well inside it; anything longer is usually a pasted
document, and the classifier only needs its opening to find the topic.
"""

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
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = text[: MAX_QUESTION_CHARS * 4]
    text = _USER.sub(" ", text)
    text = _SPECIAL.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).split("?", 1)[0], text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text).replace("\ufffd", " ")
    text = " ".join(text.split())
    if len(text) > MAX_QUESTION_CHARS:
        cut = text.rfind(" ", 0, MAX_QUESTION_CHARS)
        text = text[: cut if cut > MAX_QUESTION_CHARS // 2 else MAX_QUESTION_CHARS]
    return text


def has_words(text: str) -> bool:
    """True when the cleaned text holds at least one letter: something to classify."""
    return any(ch.isalpha() for ch in text)
