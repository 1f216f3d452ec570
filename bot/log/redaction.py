"""Redact personal data from free text before the conversation log stores or spools it.

Rules run in order on the whole text; each replaces what it finds with a placeholder:
URLs lose their user-info, query string and fragment; then e-mail addresses, Slack
tokens, Slack user mentions and ids, IBANs, card numbers (Luhn-checked), national-ID-like
numbers and phone numbers. Any remaining run of seven or more digits is treated as an
identifier, except ISO/European dates, year ranges and amounts with thousands separators.
Redaction is deliberately greedy: a false positive costs a report a few digits, a false
negative leaks someone's data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>|\"]+", re.IGNORECASE)
_EMAIL = re.compile(
    r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+",
)
_TOKEN = re.compile(r"\b(?:xox[abposr]|xapp|xoxe(?:\.xox[bp])?)-[\w-]+", re.IGNORECASE)
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>", re.IGNORECASE)
_SLACK_USER_ID = re.compile(r"@?\b[UW](?=[A-Z0-9]*\d)[A-Z0-9]{8,}\b")
_IBAN = re.compile(
    r"\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?:[ -][A-Z0-9]{4}){2,7}(?:[ -][A-Z0-9]{1,4})?)\b",
    re.IGNORECASE,
)
# Up to 19 digits with single space/dash separators, not glued to other digits.
_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_ID_NUMBERS = (
    re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)"),  # US SSN
    re.compile(r"\b\d{6}[-+A]\d{3}[0-9A-Y]\b", re.IGNORECASE),  # Nordic (FI/SE/DK/NO)
    re.compile(  # UK National Insurance number
        r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE
    ),
    re.compile(r"\b\d{8}[A-Z]\b", re.IGNORECASE),  # ES DNI and similar
    re.compile(r"\b[XYZ]\d{7}[A-Z]\b", re.IGNORECASE),  # ES NIE
)
# A digit run with single separators (or "(0)"-style brackets), optional leading + or (.
_DIGITS = re.compile(r"(?:\+|\(\+?)?\d(?:[ .\-/()]{0,2}\d)+")
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d ?[-/] ?(?:19|20)\d\d")
_AMOUNT = re.compile(r"\d{1,3}(?:[.,]\d{3}){2,}(?:[.,]\d{1,2})?")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _strip_url(match: re.Match[str]) -> str:
    url = match.group(0)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
    except ValueError:  # malformed port or brackets: keep only scheme and path-ish text
        scheme, _, rest = url.partition("://")
        rest = rest.split("?", 1)[0].split("#", 1)[0]
        return f"{scheme}://{rest.rsplit('@', 1)[-1]}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _iban(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0)[4:])
    return "[iban]" if digits >= 8 else match.group(0)


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if _luhn_ok(digits) else match.group(0)


def _number(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7:
        return text
    for safe in (_DATE, _YEAR_RANGE, _AMOUNT):
        if safe.fullmatch(text):
            return text
    phone_like = text[0] in "+(" or (digits <= 15 and re.search(r"[ .\-/()]", text))
    return "[phone]" if phone_like else "[id-number]"


_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_URL, _strip_url),
    (_EMAIL, "[email]"),
    (_TOKEN, "[token]"),
    (_MENTION, "[user]"),
    (_SLACK_USER_ID, "[user]"),
    (_IBAN, _iban),
    (_CARD, _card),
    *((pattern, "[id-number]") for pattern in _ID_NUMBERS),
    (_DIGITS, _number),
)


def redact(text: str) -> str:
    """Return `text` with personal data replaced by placeholders such as `[email]`."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
