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


def test_a_long_message_keeps_its_beginning_and_its_end():
    from bot.cleaning import GAP, TAIL_CHARS, prepare_question

    text = "Background: " + "the minutes say this and that. " * 300 + "So what do we do about the union?"
    out, shortened = prepare_question(text)
    assert shortened and len(out) <= MAX_QUESTION_CHARS
    assert out.startswith("Background: the minutes") and out.endswith("about the union?")
    head, tail = out.split(GAP)
    assert len(head) + len(GAP) + len(tail) == len(out)
    assert len(tail) <= TAIL_CHARS and not tail.startswith(" ")
    assert prepare_question("short question") == ("short question", False)


GAP_MARK = " … "


@given(st.text(min_size=0, max_size=6000))
def test_prepared_questions_are_bounded_and_say_when_they_were_cut(text):
    from bot.cleaning import prepare_question

    out, shortened = prepare_question(text)
    assert len(out) <= MAX_QUESTION_CHARS
    assert out == clean_question(text)
    if shortened:  # only a message over the bound is cut, and the cut is marked
        assert GAP_MARK in out and len(out) > MAX_QUESTION_CHARS // 2
    assert out == " ".join(out.split())
