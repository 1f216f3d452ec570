"""Benchmark the cost "Ask a person" adds to the message path: the expert-request lookup.

Run: python bench/expert_lookup.py [--requests 10000] [--lookups 2000] [--postgres URL]

Every person's threaded message in the experts' channel or in a DM (agent threads included)
is looked up once by its thread (`ExpertRequests.by_post`) before it is answered. With
`--requests` requests stored (a temporary SQLite file, and PostgreSQL when --postgres names
a server: a temporary database, dropped afterwards), it prints the lookup's p50/p99/max in
milliseconds, for threads that are requests and threads that are not.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(url: str | None, data_dir: Path, *, requests: int, lookups: int) -> None:
    from bot.log import ConversationLog

    log = ConversationLog(database_url=url, data_dir=data_dir, hmac_secret="bench")
    log.start()
    try:
        posted = []
        for i in range(requests):
            r = log.requests.save(surface="slack", question=f"question {i}", user_id=f"U{i:08d}")
            ts = f"{1700000000 + i}.000100"
            log.requests.mark_posted(r.id, channel="CEXPERTS1", ts=ts)
            posted.append(ts)
        for label, threads in (("a request's thread", posted),
                               ("any other thread", [f"{1800000000 + i}.000100"
                                                     for i in range(lookups)])):
            times = []
            for i in range(lookups):
                start = time.perf_counter()
                log.requests.by_post("CEXPERTS1", threads[i % len(threads)])
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            p99 = times[int(len(times) * 0.99) - 1]
            print(f"  {label:<20} p50 {statistics.median(times):.3f} ms  p99 {p99:.3f} ms  "
                  f"max {times[-1]:.3f} ms  ({lookups} lookups)")
    finally:
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--postgres", default=None, help="a server to create a database on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite (WAL), {args.requests} requests stored:")
        measure(None, Path(tmp), requests=args.requests, lookups=args.lookups)
    if args.postgres:
        import psycopg

        name = f"advisor_bench_{secrets.token_hex(4)}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            from bot.log.db import make_engine, normalize_url, upgrade

            url = f"{args.postgres.rsplit('/', 1)[0]}/{name}"
            with tempfile.TemporaryDirectory() as tmp:
                engine = make_engine(normalize_url(url, Path(tmp)))
                upgrade(engine)
                engine.dispose()
                print(f"PostgreSQL, {args.requests} requests stored:")
                measure(url, Path(tmp), requests=args.requests, lookups=args.lookups)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
