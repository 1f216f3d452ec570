"""CPU time to load and validate the shipped knowledge base and a 10,000-entry synthetic one.

Run: python bench/load_kb.py [--repeat 7] [--entries 10000]

Prints the best and median CPU seconds (process time, so other work on the machine weighs
less than in wall time) of `--repeat` loads of each base.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge import load_knowledge_base  # noqa: E402
from knowledge.synthetic import write_synthetic_kb  # noqa: E402


def _cpu_seconds(path: Path | None, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        load_knowledge_base(path)
        times.append(time.process_time() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = write_synthetic_kb(Path(tmp) / "kb", entries=args.entries)
        for name, path in (("shipped", None), (f"synthetic {args.entries:,}", synthetic)):
            kb = load_knowledge_base(path)
            times = _cpu_seconds(path, args.repeat)
            print(f"{name:>16}: {len(kb.entries):>6} entries · CPU best {min(times):.3f} s · "
                  f"median {statistics.median(times):.3f} s ({args.repeat} loads)")


if __name__ == "__main__":
    main()
