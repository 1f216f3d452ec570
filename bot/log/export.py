"""Export exchanges (with their feedback) as CSV or JSON lines, streaming."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, Literal, TextIO

from sqlalchemy import Connection, select

from bot.log.models import Exchange, Feedback

COLUMNS = [c.name for c in Exchange.__table__.columns] + ["feedback"]
Format = Literal["csv", "jsonl"]


def rows(conn: Connection, *, since: dt.datetime | None = None) -> Iterator[dict[str, Any]]:
    """Exchanges oldest first, each with `feedback`: its kinds (and chosen topics), `;`-joined."""
    ex, fb = Exchange.__table__, Feedback.__table__
    feedback: dict[str, list[str]] = defaultdict(list)
    query = select(fb.c.exchange_id, fb.c.kind, fb.c.value).order_by(fb.c.created_at)
    if since is not None:
        query = query.where(fb.c.created_at >= since)
    for exchange_id, kind, value in conn.execute(query):
        feedback[exchange_id].append(f"{kind}={value}" if value else kind)
    query = select(ex).order_by(ex.c.created_at, ex.c.id)
    if since is not None:
        query = query.where(ex.c.created_at >= since)
    for row in conn.execution_options(yield_per=1000).execute(query).mappings():
        out = dict(row)
        out["created_at"] = row["created_at"].isoformat()
        out["feedback"] = ";".join(feedback.get(row["id"], ()))
        yield out


def write(conn: Connection, out: TextIO, *, fmt: Format, since: dt.datetime | None = None) -> int:
    """Write the export to `out`; returns the number of exchanges."""
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for n, row in enumerate(rows(conn, since=since), 1):  # noqa: B007 (n is the count)
            writer.writerow(row)
        return n
    for n, row in enumerate(rows(conn, since=since), 1):  # noqa: B007
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return n
