"""The terminal answer: one lead strategy, the others one line each, 80 columns, one screen."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from rich.console import Console

from bot.advisor import Advisor
from bot.terminal import render_answer, render_entry, render_topics
from classifiers.policy import DecisionPolicy

QUESTIONS = [
    "Rumours are going round the benefits office that the new case management system will "
    "replace half the team. How do I get ahead of this?",
    "we need MFA on the portal before go-live",
    "our supplier missed the third milestone on the mainframe migration and the minister wants "
    "a status report by friday",
    "where is the printer",
]


def screen(renderable, width: int = 80) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


@pytest.mark.parametrize("question", QUESTIONS)
def test_an_answer_fits_80_columns_and_one_screen(shipped_advisor: Advisor, question: str):
    for chat in (False, True):
        lines = screen(render_answer(shipped_advisor.answer(question), chat=chat))
        assert max(len(line) for line in lines) <= 80
        assert len(lines) <= 50


def test_the_answer_leads_with_one_strategy_and_lists_the_others(shipped_advisor: Advisor):
    answer = shipped_advisor.answer(QUESTIONS[0])
    text = "\n".join(screen(render_answer(answer, chat=True)))
    lead, second, third = answer.recommendations
    assert f"1. {lead.entry.title}" in text.replace("\n   ", " ")
    assert "Why: Closest to" in text and "Watch out:" in text and "First steps" in text
    assert lead.entry.actions[0].split()[0] in text
    assert f"  2. {second.entry.title[:40]}" in text and f"  3. {third.entry.title[:40]}" in text
    assert second.entry.actions[0] not in text.replace("\n", " ")  # one line each, not in full
    assert "Type 2 or 3 to open one." in text
    one_shot = "\n".join(screen(render_answer(answer)))
    assert f"advisor show {second.entry.id}" in one_shot.replace("\n", " ").replace("  ", " ")


def test_unsure_answers_ask_with_lettered_choices(shipped_advisor: Advisor):
    matcher = copy.copy(shipped_advisor.matcher)
    matcher.params = dataclasses.replace(matcher.params, policy=DecisionPolicy(abstain_below=0.999))
    answer = Advisor(shipped_advisor.kb, matcher).answer("the pilot is stuck and staff worry")
    lines = screen(render_answer(answer, chat=True))
    text = "\n".join(lines)
    assert "Which is closest?" in text
    assert f"  a. {answer.options[0].topic.title}" in text and "  b. " in text
    assert "Type a/b" in text and max(len(line) for line in lines) <= 80


def test_long_titles_are_cut_with_an_ellipsis_not_wrapped(shipped_advisor: Advisor):
    answer = shipped_advisor.answer(QUESTIONS[2])
    for line in screen(render_answer(answer, chat=True)):
        if line.startswith(("  2. ", "  3. ")):
            assert len(line) <= 80


def test_full_strategy_and_entry_list_fit_80_columns(shipped_advisor: Advisor):
    for entry in shipped_advisor.kb.entries:
        lines = screen(render_entry(entry, all_actions=True))
        assert max(len(line) for line in lines) <= 80, entry.id
        assert entry.title[:30] in lines[0]
    lines = screen(render_topics(shipped_advisor.kb, entries=True))
    assert max(len(line) for line in lines) <= 80
    assert sum(1 for line in lines if line.startswith("  ") and not line.startswith("   ")) == \
        len(shipped_advisor.kb.entries)


SHELL_COMMANDS = ("advisor checklist", "advisor show", "advisor topics", "advisor ask")


def test_chat_hints_use_chat_words_and_one_shot_hints_shell_commands(shipped_advisor: Advisor):
    answer = shipped_advisor.answer(QUESTIONS[0])
    lead = answer.recommendations[0]
    chat = " ".join(screen(render_answer(answer, chat=True)))
    opened = " ".join(screen(render_entry(lead.entry, lead, all_actions=True, chat=True)))
    for text in (chat, opened):
        assert f"checklist {lead.entry.id}" in text
        assert not any(command in text for command in SHELL_COMMANDS), text
    one_shot = " ".join(screen(render_answer(answer)))
    assert f"advisor checklist {lead.entry.id}" in one_shot


def test_out_of_scope_reply_in_the_chat_points_to_chat_commands(shipped_advisor: Advisor):
    answer = shipped_advisor.answer("where is the printer")
    assert answer.out_of_scope
    chat = " ".join(screen(render_answer(answer, chat=True)))
    assert "Type 'topics' to see them." in chat
    assert not any(command in chat for command in SHELL_COMMANDS)
    assert "Type 'topics'" not in " ".join(screen(render_answer(answer)))  # one-shot: as before


def test_an_empty_one_shot_question_gets_one_shot_help(shipped_advisor: Advisor):
    empty = shipped_advisor.answer("")
    one_shot = "\n".join(screen(render_answer(empty)))
    assert "Describe a situation" in one_shot and 'advisor ask "' in one_shot
    assert "'quit' ends the chat" not in one_shot
    assert "'quit' ends the chat" in " ".join(screen(render_answer(empty, chat=True)))
    assert max(len(line) for line in screen(render_answer(empty))) <= 80


@pytest.mark.parametrize(("confidence", "shown"), [(0.996, ">99%"), (0.995, ">99%"),
                                                    (0.994, "99%"), (0.77, "77%")])
def test_confidence_is_never_rounded_up_to_100_percent(shipped_advisor: Advisor,
                                                        confidence: float, shown: str):
    answer = dataclasses.replace(shipped_advisor.answer(QUESTIONS[0]), confidence=confidence)
    text = " ".join(screen(render_answer(answer)))
    assert f"confidence, {shown})" in text and "100%" not in text


def test_the_help_texts_fit_the_terminal_without_rewrapping():
    from bot.terminal import HELP_TEXT, ONE_SHOT_HELP, WIDTH

    for text in (HELP_TEXT, ONE_SHOT_HELP):
        assert max(len(line) for line in text.splitlines()) <= WIDTH
