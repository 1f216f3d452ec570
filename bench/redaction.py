"""Measure redaction on the labelled sample: recall per kind, over-redaction, misses.

Run: python bench/redaction.py [--sample tests/data/pii_sample.yaml] [--misses]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=Path, default=ROOT / "tests" / "data" / "pii_sample.yaml")
    parser.add_argument("--misses", action="store_true", help="List every value left in the text.")
    args = parser.parse_args()

    from bot.log.redaction_check import read_sample, score

    sample = read_sample(args.sample)
    f = score(sample)
    print(f"{len(sample)} messages, {sum(f.total.values())} pieces of personal data, "
          f"{f.clean_messages} messages without any")
    print(f"{'kind':10s} {'found':>5s} {'total':>5s} {'recall':>7s}")
    for kind in sorted(f.total):
        print(f"{kind:10s} {f.found[kind]:5d} {f.total[kind]:5d} {f.recall(kind):7.1%}")
    print(f"{'all':10s} {sum(f.found.values()):5d} {sum(f.total.values()):5d} {f.recall():7.1%}")
    print(f"over-redaction: {f.other_removed} of {f.other_words} other words removed "
          f"({f.over_redaction:.2%}); messages without personal data changed: "
          f"{f.clean_changed} of {f.clean_messages} ({f.clean_changed_share:.1%})")
    if args.misses:
        for kind, value, out in f.misses:
            print(f"  miss {kind}: {value!r} in {out!r}")


if __name__ == "__main__":
    main()
