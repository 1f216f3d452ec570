"""Cleaning a message before it is classified or quoted."""

from hypothesis import given
from hypothesis import strategies as st

from bot.cleaning import MAX_QUESTION_CHARS, clean_question, has_words


def test_slack_markup_is_stripped():
    text = "<@U123ABC> hey <!channel> see <https://x.gov/a?token=1|the plan> &amp; <#C1|general>"
    assert clean_question(text) == "hey see the plan &"


def test_links_without_label_keep_address_without_query():
    assert clean_question("read <https://x.gov/p?id=42&u=bob>") == "read https://x.gov/p"


def test_whitespace_folded_and_controls_removed():
    assert clean_question("  a\t\tb\n\n c\x00d\u200b ") == "a b c d"


def test_length_is_bounded_on_a_word_boundary():
    out = clean_question("word " * 2000)
    assert len(out) <= MAX_QUESTION_CHARS and out.endswith("word")


def test_bytes_and_none_are_accepted():
    assert clean_question(b"caf\xc3\xa9 \xff ok") == "café ok"
    assert clean_question(None) == ""


@given(st.text())
def test_any_text_is_bounded_and_printable(text):
    out = clean_question(text)
    assert len(out) <= MAX_QUESTION_CHARS
    assert out == out.strip() and "  " not in out
    assert not any(ord(c) < 32 for c in out)


def test_has_words():
    assert has_words("ok") and not has_words(" 123 ?! ") and not has_words("")
