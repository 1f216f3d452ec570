"""Benchmark the advisor's core: answer latency, batch throughput, training, memory, cold start.

Run: python bench/advise.py [--quick] [--row-blocks] [--stages]
Prints one block per knowledge base (shipped, synthetic 1,000 and 10,000 entries);
--row-blocks only times the entry ranker's scan per block size on the shipped base;
--stages only times each stage of answering distinct questions on the shipped base.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEV_SET = ROOT / "tests" / "data" / "dev_set.yaml"


def _questions(kb_path: Path | None, n: int, seed: int = 1) -> list[str]:
    """Realistic questions drawn with repeats, as in a replayed log: the dev set for the
    shipped base, shuffled situations otherwise."""
    import yaml

    from knowledge import load_knowledge_base

    rng = random.Random(seed)
    if kb_path is None:
        pool = [item["text"] for item in yaml.safe_load(DEV_SET.read_text())]
    else:
        kb = load_knowledge_base(kb_path)
        pool = []
        for e in kb.entries[:2000]:
            words = " ".join(e.situations[:2]).split()
            rng.shuffle(words)
            pool.append(" ".join(words))
        pool += list(kb.out_of_scope)
    return [rng.choice(pool) for _ in range(n)]


def _distinct_questions(kb_path: Path | None, n: int, seed: int = 3) -> list[str]:
    """`n` different lines: the base's curated situations, each with its words shuffled
    (a batch that never repeats itself, unlike a replayed log)."""
    from knowledge import load_knowledge_base

    rng = random.Random(seed)
    situations = [s for e in load_knowledge_base(kb_path).entries for s in e.situations]
    seen: dict[str, None] = {}
    for _ in range(n * 20):
        if len(seen) >= n:
            break
        words = rng.choice(situations).split()
        rng.shuffle(words)
        seen.setdefault(" ".join(words))
    return list(seen)[:n]


def measure_in_process(kb_path: str | None, n: int) -> dict[str, float]:
    """Train, then time `n` single answers; runs in a child so peak memory is its own."""
    from bot.advisor import Advisor
    from bot.long_lived import freeze_long_lived
    from knowledge import load_knowledge_base

    path = Path(kb_path) if kb_path else None
    t = time.perf_counter()
    for module in ("sklearn.feature_extraction.text", "sklearn.linear_model"):
        importlib.import_module(module)  # training imports these; timed apart

    import_s = time.perf_counter() - t
    t0 = time.perf_counter()
    kb = load_knowledge_base(path)
    t1 = time.perf_counter()
    advisor = Advisor.from_knowledge_base(kb)
    t2 = time.perf_counter()
    freeze_long_lived()  # as the server does once its model is loaded
    questions = _questions(path, n)
    for q in questions[:50]:
        advisor.answer(q)
    times = []
    for q in questions:
        s = time.perf_counter_ns()
        advisor.answer(q)
        times.append((time.perf_counter_ns() - s) / 1e6)
    times.sort()
    return {
        "entries": len(kb.entries),
        "situations": sum(len(e.situations) for e in kb.entries),
        "load_s": t1 - t0,
        "import_sklearn_s": import_s,
        "train_s": t2 - t1,
        "p50_ms": statistics.median(times),
        "p99_ms": times[int(len(times) * 0.99) - 1],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(kb_path: Path | None, n: int) -> dict[str, float]:
    target = str(kb_path) if kb_path else None
    code = (f"import json,sys; sys.path.insert(0, {str(ROOT)!r}); "
            "from bench.advise import measure_in_process; "
            f"print(json.dumps(measure_in_process({target!r}, {n})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _advisor_cmd() -> list[str]:
    return [sys.executable, "-c", "from bot.cli import main; main()"]


def batch_throughput(kb_path: Path | None, questions: list[str], env: dict[str, str]
                     ) -> dict[str, float]:
    """Pipe `questions` through `advisor ask --json`; questions/s with and without start-up."""
    n = len(questions)
    data = ("\n".join(questions) + "\n").encode()
    kb_args = ["--kb", str(kb_path)] if kb_path else []
    empty = subprocess.run([*_advisor_cmd(), "ask", "--json", *kb_args], input=b"",
                           capture_output=True, env=env, check=True)
    assert empty.stdout == b""
    t0 = time.perf_counter()
    subprocess.run([*_advisor_cmd(), "ask", "--json", *kb_args], input=b"", env=env, check=True,
                   capture_output=True)
    startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = subprocess.run([*_advisor_cmd(), "ask", "--json", *kb_args], input=data,
                         capture_output=True, env=env, check=True)
    total = time.perf_counter() - t0
    lines = out.stdout.count(b"\n")
    assert lines == n, f"expected {n} answers, got {lines}"
    return {"questions": n, "distinct": len(set(questions)), "total_s": total, "startup_s": startup,
            "per_s_total": n / total, "per_s_steady": n / max(total - startup, 1e-9)}


def cold_start(env: dict[str, str], runs: int = 5) -> dict[str, float]:
    """Wall time of `advisor ask TEXT` from process start to exit, as a user runs it."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "ask", "staff fear the new case system"],
                       capture_output=True, env=env, check=True)
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def row_blocks() -> None:
    """The ranker's scan per question, for each number of questions scored at once, on the
    distinct messages of every labelled set (repeats would make blocks share features)."""
    import yaml

    import classifiers.ranker as ranker_module
    from bot.advisor import Advisor

    advisor = Advisor.load()
    texts = list(dict.fromkeys(item["text"] for path in sorted(DEV_SET.parent.glob("*_set.yaml"))
                               for item in yaml.safe_load(path.read_text())))
    x = advisor.matcher.transform(texts)
    ranker = advisor.matcher.ranker
    shipped = ranker_module.ROW_BLOCK
    print(f"{len(texts)} distinct questions; scan per question, best of 3 (shipped: {shipped})")
    try:
        for size in (1, 8, 16, 32, 64, 128, 256):
            ranker_module.ROW_BLOCK = size
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                ranker.match(x)
                best = min(best, time.perf_counter() - t0)
            print(f"  {size:4d} questions a block   {best / len(texts) * 1e6:6.0f} µs a question")
    finally:
        ranker_module.ROW_BLOCK = shipped


def stages(n: int = 20_000, chunk: int = 2000) -> None:
    """Where a distinct question's time goes in one process, stage by stage, as a batch
    answers it (the model frozen out of the collector's sight, chunks of `chunk`). The
    stages spell out `Matcher.match` and `Advisor._build`; the first chunk's answers are
    checked against `Advisor.answer_many`, so the copy cannot drift unnoticed."""
    from contextlib import contextmanager

    from bot.advisor import CANDIDATES, Advisor
    from bot.answer_json import answer_json_line
    from bot.cleaning import prepare_question
    from bot.long_lived import freeze_long_lived
    from classifiers.matcher import Match, _aligned

    advisor = Advisor.load()
    m = advisor.matcher
    questions = _distinct_questions(None, n)
    freeze_long_lived()
    spent: dict[str, float] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0

    col = {c: i for i, c in enumerate(m.classifier.classes_)}
    for lo in range(0, n, chunk):
        with stage("prepare the text"):
            prepared = [prepare_question(t) for t in questions[lo:lo + chunk]]
        with stage("n-grams and TF-IDF rows"):
            x = m.featurizer.transform([q for q, _ in prepared])
        with stage("entry scan (centroids, situations)"):
            matched = m.ranker.match(x)
        with stage("topic probabilities, entry evidence"):
            raw = m.classifier.proba(x)
            proba = m.reshape(raw, m.ranker.best_per_group(matched[0]))
        with stage("decide"):
            decided = m.policy.decide_many(raw, m.classifier.classes_, proba)
        with stage("rank into objects"):
            ranked = m.ranker.rank(x, _aligned(proba, col, m.ranker.groups), top=CANDIDATES,
                                   matched=matched)
        with stage("build the answer and its why"):
            answers = [advisor._build(q, cut, Match(p, tuple(r)))
                       for (q, cut), p, r in zip(prepared, decided, ranked, strict=True)]
        with stage("encode the JSON"):
            "".join(answer_json_line(a) + "\n" for a in answers).encode()
        if not lo:  # the stages above copy `Advisor.answer_many`'s path: check they still do
            assert answers == list(advisor.answer_many(questions[:chunk])), "stages drifted"
    print(f"{n:,} distinct questions in chunks of {chunk:,}, one process; µs a question:")
    for name, seconds in spent.items():
        print(f"  {name:38s} {seconds / n * 1e6:6.1f}")
    print(f"  {'all':38s} {sum(spent.values()) / n * 1e6:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Skip the 10,000-entry base.")
    parser.add_argument("--answers", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--row-blocks", action="store_true",
                        help="Only time the ranker's scan per block size (shipped base).")
    parser.add_argument("--stages", action="store_true",
                        help="Only time each stage of answering distinct questions (shipped base).")
    args = parser.parse_args()
    if args.row_blocks:
        row_blocks()
        return
    if args.stages:
        stages()
        return
    from knowledge.synthetic import write_synthetic_kb

    tmp = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
    env = {**os.environ, "ADVISOR_DATA_DIR": str(tmp / "data"), "PYTHONPATH": str(ROOT)}
    bases: list[tuple[str, Path | None]] = [("shipped", None)]
    sizes = [1000] if args.quick else [1000, 10_000]
    for size in sizes:
        bases.append((f"synthetic {size:,}", write_synthetic_kb(tmp / f"kb{size}", entries=size)))
    print(f"python {sys.version.split()[0]} · {os.cpu_count()} cores")
    for name, path in bases:
        r = _child(path, args.answers)
        b = batch_throughput(path, _questions(path, args.batch, seed=2), env)
        d = batch_throughput(path, _distinct_questions(path, args.batch), env)
        print(f"\n== {name}: {r['entries']:,} entries, {r['situations']:,} situations")
        print(f"  training           {r['train_s'] * 1000:8.0f} ms   (load YAML {r['load_s'] * 1000:.0f} ms;"
              f" importing scikit-learn before it {r['import_sklearn_s'] * 1000:.0f} ms)")
        print(f"  one answer         p50 {r['p50_ms']:6.2f} ms   p99 {r['p99_ms']:6.2f} ms"
              f"   (n={args.answers})")
        print(f"  batch ask --json   {b['per_s_steady']:8,.0f} q/s steady   {b['per_s_total']:,.0f} q/s "
              f"incl. start-up   ({b['questions']:,} lines, {b['distinct']:,} distinct, "
              f"{b['total_s']:.1f} s)")
        print(f"    every line new   {d['per_s_steady']:8,.0f} q/s steady   {d['per_s_total']:,.0f} q/s "
              f"incl. start-up   ({d['questions']:,} lines, {d['total_s']:.1f} s)")
        print(f"  peak memory        {r['peak_rss_mb']:8.0f} MB  (train + answer, one process)")
    c = cold_start(env)
    print(f"\n== cold start of `advisor ask TEXT` (shipped base): median {c['median_s']:.2f} s, "
          f"min {c['min_s']:.2f} s, max {c['max_s']:.2f} s")


if __name__ == "__main__":
    main()
