"""Tell the user when a listener fails unexpectedly, after logging the trace."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def telling_user(logger: logging.Logger, what: str, tell: Callable[[], Any]) -> Iterator[None]:
    """Log an unexpected failure with its trace, then tell the user something went wrong."""
    try:
        yield
    except Exception:
        logger.exception("%s failed", what)
        try:
            tell()
        except Exception:
            logger.exception("could not tell the user that %s failed", what)
