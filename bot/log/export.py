"""Export exchanges (with their feedback) as CSV or JSON lines, streaming.

The rows come from `LogQueries.export`: stored columns, then `feedback`. In CSV, a text cell
that a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage
return) is written with a leading apostrophe, so `=HYPERLINK(…)` in a question stays text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, Literal, TextIO

from bot.log.models import Exchange

COLUMNS = [c.name for c in Exchange.__table__.columns] + ["feedback"]
Format = Literal["csv", "jsonl"]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """`value`, with a leading apostrophe if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write(rows: Iterable[dict[str, Any]], out: TextIO, *, fmt: Format) -> int:
    """Write the rows to `out`; returns the number of exchanges."""
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for n, row in enumerate(rows, 1):  # noqa: B007 (n is the count)
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
        return n
    for n, row in enumerate(rows, 1):  # noqa: B007
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return n
