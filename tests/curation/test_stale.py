"""Stale entries: past last_reviewed + review_every_days, with owner; weekly reminder keys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.curation.stale import by_slack_owner, reminder_key, stale_entries
from knowledge import load_knowledge_base
from tests.curation.conftest import OWNER


def _set_owner_and_date(kb_dir: Path, entry_id: str, owner: str, last: str) -> None:
    for path in kb_dir.glob("*.yaml"):
        text = path.read_text()
        marker = f"- id: {entry_id}\n"
        if marker in text:
            head, tail = text.split(marker, 1)
            tail = tail.replace("owner: Synthetic team", f"owner: {owner}", 1)
            tail = tail.replace("last_reviewed: '2026-11-01'", f"last_reviewed: '{last}'", 1)
            path.write_text(head + marker + tail)
            return
    raise AssertionError(entry_id)


def test_overdue_entries_are_listed_most_overdue_first_with_owner(kb_copy: Path) -> None:
    _set_owner_and_date(kb_copy, "communication-entry-0", OWNER, "2024-01-01")
    _set_owner_and_date(kb_copy, "measurement-entry-1", "Data team", "2024-06-01")
    kb = load_knowledge_base(kb_copy)

    found = stale_entries(kb, today=dt.date(2025, 7, 1))

    assert [s.entry_id for s in found] == ["communication-entry-0", "measurement-entry-1"]
    first = found[0]
    assert first.owner == OWNER and first.owner_is_slack_user
    assert first.due == dt.date(2024, 12, 31)  # 365 days after 2024-01-01 (a leap year)
    assert first.days_overdue == 182
    assert first.file.endswith("communication.yaml") and first.line > 0
    assert not found[1].owner_is_slack_user
    assert stale_entries(kb, today=dt.date(2024, 12, 31)) == []


def test_only_slack_owners_get_reminders_grouped_by_owner(kb_copy: Path) -> None:
    _set_owner_and_date(kb_copy, "communication-entry-0", OWNER, "2024-01-01")
    _set_owner_and_date(kb_copy, "communication-entry-1", OWNER, "2024-02-01")
    _set_owner_and_date(kb_copy, "measurement-entry-1", "Data team", "2024-01-01")
    found = stale_entries(load_knowledge_base(kb_copy), today=dt.date(2025, 7, 1))

    grouped = by_slack_owner(found)

    assert list(grouped) == [OWNER]
    assert [s.entry_id for s in grouped[OWNER]] == ["communication-entry-0",
                                                   "communication-entry-1"]


def test_the_reminder_key_is_one_per_owner_and_week() -> None:
    monday, sunday, next_monday = dt.date(2025, 6, 30), dt.date(2025, 7, 6), dt.date(2025, 7, 7)
    assert reminder_key(OWNER, monday) == reminder_key(OWNER, sunday) == f"stale-dm:{OWNER}:2025-W27"
    assert reminder_key(OWNER, next_monday) != reminder_key(OWNER, monday)
    assert reminder_key("U0OTHER01", monday) != reminder_key(OWNER, monday)
