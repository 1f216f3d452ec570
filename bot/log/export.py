"""Export exchanges (with their feedback) as CSV or JSON lines, streaming.

The rows come from `LogQueries.export`: stored columns, then `feedback`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, Literal, TextIO

from bot.log.models import Exchange

COLUMNS = [c.name for c in Exchange.__table__.columns] + ["feedback"]
Format = Literal["csv", "jsonl"]


def write(rows: Iterable[dict[str, Any]], out: TextIO, *, fmt: Format) -> int:
    """Write the rows to `out`; returns the number of exchanges."""
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for n, row in enumerate(rows, 1):  # noqa: B007 (n is the count)
            writer.writerow(row)
        return n
    for n, row in enumerate(rows, 1):  # noqa: B007
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return n
