"""Measure redaction on the labelled sample: recall per kind, over-redaction, misses.

Run: python bench/redaction.py [--sample FILE ...] [--misses]
By default both labelled samples: the one the rules were tuned on and the held-out one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=Path, nargs="+", default=[
        ROOT / "tests" / "data" / "pii_sample.yaml", ROOT / "tests" / "data" / "pii_holdout.yaml"])
    parser.add_argument("--misses", action="store_true", help="List every value left in the text.")
    args = parser.parse_args()

    for path in args.sample:
        report(path, misses=args.misses)


def report(path: Path, *, misses: bool) -> None:
    from bot.log.redaction_check import read_sample, score

    sample = read_sample(path)
    f = score(sample)
    print(f"{path.name}: {len(sample)} messages, {sum(f.total.values())} pieces of personal data, "
          f"{f.clean_messages} messages without any")
    print(f"{'kind':10s} {'found':>5s} {'total':>5s} {'recall':>7s}")
    for kind in sorted(f.total):
        print(f"{kind:10s} {f.found[kind]:5d} {f.total[kind]:5d} {f.recall(kind):7.1%}")
    print(f"{'all':10s} {sum(f.found.values()):5d} {sum(f.total.values()):5d} {f.recall():7.1%}")
    print(f"over-redaction: {f.other_removed} of {f.other_words} other words removed "
          f"({f.over_redaction:.2%}); messages without personal data changed: "
          f"{f.clean_changed} of {f.clean_messages} ({f.clean_changed_share:.1%})")
    if misses:
        for kind, value, out in f.misses:
            print(f"  miss {kind}: {value!r} in {out!r}")


if __name__ == "__main__":
    main()
