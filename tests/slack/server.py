"""The production server for tests and bench now lives in `tests.factories`; this name stays
for `bench/slack_http.py`, which imports `Server` from here."""

from tests.factories import ROOT, Server, free_port

__all__ = ["ROOT", "Server", "free_port"]
