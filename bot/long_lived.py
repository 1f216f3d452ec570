"""Keep a loaded model out of the cyclic garbage collector's way.

A loaded model holds hundreds of thousands of references (vocabularies, n-gram caches,
the base's texts) that the collector walks on every full collection: about 75 ms on the
shipped base, landing on whichever answer happens to trigger it, and in a batch one full
collection every few hundred answers. Freezing what is alive once a model is loaded moves
it to the permanent generation: collections then walk only what answering creates, and
workers forked afterwards never write to (and so never copy) the model's pages when they
collect. A model replaced later is still freed, by reference counting (a test checks it).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_long_lived() -> None:
    """Collect what loading left behind, then freeze everything still alive."""
    gc.collect()
    gc.freeze()


@contextmanager
def frozen() -> Iterator[None]:
    """Freeze everything alive for the block (a batch run); undo it after, unless it was
    already frozen (a server that froze its model keeps it so)."""
    already = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not already:
            gc.unfreeze()
