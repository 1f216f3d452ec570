"""Benchmark `advisor report` on a year of generated traffic: rows, seconds, memory.

Run: python bench/report.py [--rows 2000000] [--pg URL | --no-pg] [--no-sqlite]

For SQLite (a temporary file, WAL) and PostgreSQL (a private database created on the server
given by --pg, default $TEST_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test,
dropped afterwards), it writes `--rows` exchanges spread over the last 365 days (the shipped
knowledge base's topics and entries, 12 % abstained, 8 % ambiguous, feedback on 5 %) with
bulk inserts (executemany on SQLite, COPY on PostgreSQL), then builds the report as
`advisor report` does, with the log's own engine and timeouts, over the whole year and over
the default 12 weeks. It prints per backend: rows, the seconds to generate them, the report's
seconds (the CPU seconds of this process: SQLite's work and the Python's, less noisy on a
busy machine; and the seconds grouping the unanswered questions took, in Python), and the
peak memory the report allocated in Python (tracemalloc) and the process's peak RSS.
Unanswered questions are grouped with the report's default TF-IDF grouping (no model).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 50_000
COLUMNS = ("id", "created_at", "surface", "team_id", "channel_type", "thread_ts", "user_key",
           "question", "topic", "confidence", "abstained", "ambiguous", "out_of_scope",
           "entry_ids", "kb_version", "model_version", "latency_ms", "event_id")
FEEDBACK = ("id", "exchange_id", "created_at", "user_key", "kind", "value")
SURFACES = ("mention", "dm", "agent", "command", "cli")
ANSWERED = ("How do we tell the team about the new case system, week {n}?",
            "Staff in office {n} keep using the old spreadsheets",
            "The pilot in region {n} is slipping; what now?")
UNANSWERED = ("Where is the canteen menu for floor {n}?", "Printer {n} is jammed again",
              "Who won the match on Saturday {n}?", "Zephyrix double-books crew {n}")


def rows(n: int, *, topics: dict[str, list[str]], now: dt.datetime, seed: int = 7
         ) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (exchange rows, feedback rows) in COLUMNS / FEEDBACK order, spread evenly over
    the year before `now`, oldest first."""
    rng = random.Random(seed)
    topic_ids = list(topics)
    weights = [1.0 / (i + 1) for i in range(len(topic_ids))]  # a long-tailed topic mix
    all_entries = [e for ids in topics.values() for e in ids]
    year = 365 * 86400
    done = 0
    while done < n:
        size = min(CHUNK, n - done)
        exchanges, feedback = [], []
        for i in range(done, done + size):  # oldest first, as a log fills up
            at = now - dt.timedelta(seconds=year * (1 - (i + rng.random()) / n))
            eid = uuid.UUID(int=rng.getrandbits(128)).hex
            abstained = rng.random() < 0.12
            if abstained:
                topic, confidence, entry_ids, ambiguous = None, rng.random() * 0.2, "", False
                question = rng.choice(UNANSWERED).format(n=rng.randrange(50))
            else:
                topic = rng.choices(topic_ids, weights)[0]
                confidence = 0.2 + rng.random() * 0.8
                ambiguous = rng.random() < 0.08
                lead = topics[topic][min(9, int(rng.expovariate(0.5)))]  # a few entries lead most
                entry_ids = ",".join([lead, *rng.sample(all_entries, 2)])
                question = rng.choice(ANSWERED).format(n=rng.randrange(500))
            exchanges.append((eid, at, rng.choice(SURFACES), "T0001", "im", None,
                              f"{rng.getrandbits(64):016x}", question, topic, confidence,
                              abstained, ambiguous, abstained, entry_ids, "kb-bench", "model-bench",
                              3.0 + rng.random(), None))
            if rng.random() < 0.05:
                kind = "not_helpful" if rng.random() < 0.3 else "helpful"
                feedback.append((uuid.UUID(int=rng.getrandbits(128)).hex, eid,
                                 at + dt.timedelta(seconds=30), None, kind, None))
        done += size
        yield exchanges, feedback


def load_sqlite(path: Path, chunks: Iterator[tuple[list[Any], list[Any]]]) -> None:
    import sqlite3

    def text(at: dt.datetime) -> str:  # as SQLAlchemy stores a DateTime in SQLite
        return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=NORMAL")  # as the log's engine sets it
    conn.execute("PRAGMA cache_size=-262144")  # 256 MB: the indexes' pages stay in memory
    ex_sql = f"INSERT INTO exchange ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    fb_sql = f"INSERT INTO feedback ({', '.join(FEEDBACK)}) VALUES ({', '.join('?' * len(FEEDBACK))})"
    for exchanges, feedback in chunks:
        with conn:  # one transaction per chunk keeps the WAL short
            conn.executemany(ex_sql, ((r[0], text(r[1]), *r[2:]) for r in exchanges))
            conn.executemany(fb_sql, ((r[0], r[1], text(r[2]), *r[3:]) for r in feedback))
    conn.close()


def load_postgres(url: str, chunks: Iterator[tuple[list[Any], list[Any]]]) -> None:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for exchanges, feedback in chunks:
            with cur.copy(f"COPY exchange ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for r in exchanges:
                    copy.write_row(r)
            with cur.copy(f"COPY feedback ({', '.join(FEEDBACK)}) FROM STDIN") as copy:
                for r in feedback:
                    copy.write_row(r)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE exchange")  # what autovacuum does after a bulk load
        conn.execute("VACUUM ANALYZE feedback")


def measure(log: Any, catalogue: Any, *, weeks: int, now: dt.datetime) -> dict[str, float]:
    """One report as `advisor report --weeks N` builds it: seconds, grouping's share, memory."""
    from bot.log.reports import group_questions  # noqa: F401 - imported before timing
    from classifiers.clustering import cluster_texts

    grouping = {"s": 0.0, "n": 0}

    def timed_grouping(texts: list[str]) -> Any:
        start = time.perf_counter()
        out = cluster_texts(texts, min_similarity=0.35)
        grouping["s"] += time.perf_counter() - start
        grouping["n"] = len(texts)
        return out

    tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    report = log.queries.report(since=now - dt.timedelta(weeks=weeks), until=now,
                                cluster=timed_grouping, catalogue=catalogue)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"weeks": weeks, "exchanges": report.stats.questions, "seconds": seconds, "cpu": cpu,
            "grouping": grouping["s"], "grouped": grouping["n"], "peak_mb": peak / 2**20}


def run(name: str, make_log: Callable[[], Any], load: Callable[[Iterator[Any]], None], *,
        n: int, kb: Any, now: dt.datetime) -> None:
    from bot.log.reports import Catalogue

    log = make_log()
    log.prepare()  # the schema and indexes, as `advisor db upgrade` leaves them
    topics = {t.id: [e.id for e in t.entries] for t in kb.topics}
    start = time.perf_counter()
    load(rows(n, topics=topics, now=now))
    generated = time.perf_counter() - start
    catalogue = Catalogue.of(kb)
    try:
        for weeks in (53, 12):
            m = measure(log, catalogue, weeks=weeks, now=now)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{name:<10} rows {n:>9,}  generated in {generated:6.1f} s  |  report over "
                  f"{m['weeks']:>2} weeks ({m['exchanges']:>9,} exchanges): {m['seconds']:6.2f} s "
                  f"(this process's CPU {m['cpu']:5.2f} s; grouping {m['grouped']} unanswered "
                  f"questions: {m['grouping']:.2f} s)  "
                  f"peak Python memory {m['peak_mb']:6.1f} MB, process RSS {rss:6.0f} MB",
                  flush=True)
    finally:
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL")
                        or "postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()

    import psycopg

    from bot.log import ConversationLog
    from knowledge import load_knowledge_base

    kb = load_knowledge_base(ROOT / "knowledge" / "base")
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        if not args.no_sqlite:
            run("SQLite", lambda: ConversationLog(database_url=None, data_dir=data / "sqlite",
                                                  hmac_secret="bench"),
                lambda chunks: load_sqlite(data / "sqlite" / "advisor.db", chunks),
                n=args.rows, kb=kb, now=now)
        if not args.no_pg:
            name = f"bench_report_{secrets.token_hex(4)}"
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url = f"{args.pg.rsplit('/', 1)[0]}/{name}"
            try:
                from bot.log.db import make_engine, normalize_url, upgrade

                engine = make_engine(normalize_url(url, data))
                upgrade(engine)
                engine.dispose()
                run("PostgreSQL", lambda: ConversationLog(database_url=url, data_dir=data / "pg",
                                                          hmac_secret="bench"),
                    lambda chunks: load_postgres(url, chunks), n=args.rows, kb=kb, now=now)
            finally:
                with psycopg.connect(args.pg, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
