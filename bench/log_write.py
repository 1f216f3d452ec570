"""Benchmark the conversation log: exchanges written per second, and the answer path's cost.

Run: python bench/log_write.py [--n 50000] [--postgres URL | --no-postgres]

For SQLite (a temporary file, WAL) and PostgreSQL (a temporary database created on the
server given by --postgres, default postgresql://postgres@127.0.0.1:5432/test, dropped
afterwards) it prints:
- exchanges/s sustained with one writer thread, 8 writer threads (one process), and 8
  writer processes (each with its own log, as gunicorn workers would be), counted from the
  first record() to the moment every row is committed (close() flushes);
- the answer path's time in record(): p50/p99/max, at full speed and paced like a busy bot
  (0.5 ms of CPU work between answers, saturating the GIL) and like a bot that also waits
  on Slack (4 threads, 0.3 ms CPU + 2 ms I/O per answer);
- whether every exchange reached the database (nothing lost on shutdown).
"""

from __future__ import annotations

import argparse
import multiprocessing
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "Staff fear the new case system will replace them; how do we talk about it?",
    "Mail jane.doe@agency.gov.example: the pilot in two offices is slipping",
    "Our CIO wants a big-bang rollout of the portal, call me on +44 20 7946 0958",
    "How do we measure whether the digital forms actually save time?",
    "The legacy mainframe has no API; how do we integrate the new intake service?",
    "Council members ask about data protection for the chatbot, see https://intra.example/p?id=42",
]


def _answer():  # type: ignore[no-untyped-def]
    import datetime as dt

    from bot.answer import Answer, Recommendation
    from knowledge.models import Entry, Topic

    entry = Entry(id="comm-faq", topic="communication", title="FAQ", summary="s", situations=(),
                  actions=("a",), sources=(), owner="o", last_reviewed=dt.date(2025, 1, 1),
                  review_every_days=365)
    topic = Topic("communication", "Communication", "d", (entry,))
    return Answer("q", topic, 0.82, False, (), (Recommendation(entry, 0.6),), "kb-bench", "model-bench")


def _exchange(i: int, answer):  # type: ignore[no-untyped-def]
    from bot.log import ExchangeIn

    return ExchangeIn(
        surface="mention",
        question=QUESTIONS[i % len(QUESTIONS)],
        answer=answer,
        latency_ms=8.0,
        user_id=f"U{i % 500:09d}",
        team_id="T0BENCH",
        channel_type="channel",
        event_id=f"Ev{i}-{secrets.token_hex(4)}",
    )


def _log(url: str | None, data_dir: Path):  # type: ignore[no-untyped-def]
    from bot.log import ConversationLog

    log = ConversationLog(database_url=url, data_dir=data_dir, hmac_secret="bench-secret")
    log.start()
    return log


def _count(url: str | None, data_dir: Path) -> int:
    from sqlalchemy import text

    from bot.log.db import make_engine, normalize_url

    engine = make_engine(normalize_url(url, data_dir))
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM exchange")).scalar_one()
    engine.dispose()
    return int(n)


def _threads(
    url: str | None, data_dir: Path, n: int, writers: int, pause: float = 0.0, io: float = 0.0
) -> tuple[float, list[int]]:
    """Record n exchanges from `writers` threads; returns (exchanges/s, record() times in ns)."""
    answer = _answer()
    exchanges = [_exchange(i, answer) for i in range(n)]
    log = _log(url, data_dir)
    timings: list[list[int]] = [[] for _ in range(writers)]

    def work(w: int) -> None:
        clock = time.perf_counter_ns
        mine = timings[w]
        for ex in exchanges[w::writers]:
            t0 = clock()
            log.record(ex)
            mine.append(clock() - t0)
            if pause:
                _busy(pause)
            if io:
                time.sleep(io)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()  # flushes: every row committed
    elapsed = time.perf_counter() - started
    return n / elapsed, [t for ts in timings for t in ts]


def _busy(seconds: float) -> None:
    """The answer path's own work (CPU, holding the GIL), between two record() calls."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _process_worker(url: str | None, data_dir: str, n: int, offset: int, go, out) -> None:  # type: ignore[no-untyped-def]
    answer = _answer()
    exchanges = [_exchange(offset + i, answer) for i in range(n)]
    log = _log(url, Path(data_dir))
    out.put("ready")
    go.wait()
    started = time.time()
    for ex in exchanges:
        log.record(ex)
    log.close()
    out.put((started, time.time()))


def _processes(url: str | None, data_dir: Path, n: int, writers: int) -> float:
    """n exchanges from `writers` processes, timed from the first start to the last close()."""
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    per = n // writers
    procs = [
        ctx.Process(target=_process_worker, args=(url, str(data_dir), per, w * per, go, out))
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    for _ in procs:  # every worker imported and started its log: start them together
        assert out.get(timeout=600) == "ready"
    go.set()
    spans = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return per * writers / (max(e for _, e in spans) - min(s for s, _ in spans))


def _pct(ns: list[int], q: float) -> float:
    ns = sorted(ns)
    return ns[min(len(ns) - 1, int(q * len(ns)))] / 1e6


def bench(name: str, make_url: Callable[[], str | None], n: int) -> None:
    print(f"\n{name}")
    rows = []
    for label, run in (
        ("1 writer thread", lambda u, d: _threads(u, d, n, 1)),
        ("8 writer threads", lambda u, d: _threads(u, d, n, 8)),
        ("1 writer, paced: 0.5 ms CPU/answer", lambda u, d: _threads(u, d, min(n, 10_000), 1, 0.0005)),
        (
            "4 writers, 0.3 ms CPU + 2 ms I/O/answer",
            lambda u, d: _threads(u, d, min(n, 10_000), 4, 0.0003, 0.002),
        ),
        ("8 writer processes", lambda u, d: (_processes(u, d, n, 8), [])),
    ):
        with tempfile.TemporaryDirectory() as tmp:
            url = make_url()
            data_dir = Path(tmp)
            rate, timings = run(url, data_dir)
            expected = min(n, 10_000) if "/answer" in label else n
            stored = _count(url, data_dir)
            lost = "" if stored == expected else f"  LOST {expected - stored}"
            hand = (
                f"record() p50 {_pct(timings, 0.5):.3f} ms, p99 {_pct(timings, 0.99):.3f} ms, "
                f"max {max(timings) / 1e6:.1f} ms"
                if timings
                else ""
            )
            rows.append(f"  {label:<38} {rate:>9,.0f} exchanges/s   {hand}{lost}")
            print(rows[-1], flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="Exchanges per scenario.")
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="A server to create a temporary benchmark database on.",
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(
        f"conversation log benchmark: {args.n:,} exchanges per scenario, "
        f"{multiprocessing.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    bench("SQLite (WAL, synchronous=NORMAL)", lambda: None, args.n)
    if args.no_postgres:
        return
    import psycopg

    try:
        admin = psycopg.connect(args.postgres, autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        print(f"\nPostgreSQL: skipped, {args.postgres.split('@')[-1]} unreachable ({type(error).__name__})")
        return
    created: list[str] = []

    def fresh_database() -> str:
        from bot.log.db import make_engine, normalize_url, upgrade

        name = f"advisor_bench_{secrets.token_hex(4)}"
        admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        url = args.postgres.rsplit("/", 1)[0] + "/" + name
        engine = make_engine(normalize_url(url, Path(".")))
        upgrade(engine)
        engine.dispose()
        return url

    try:
        bench("PostgreSQL (psycopg 3)", fresh_database, args.n)
    finally:
        for name in created:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
