"""The curation loop: admins improve the knowledge base from what people actually ask.

Gaps (questions the advisor could not answer well, clustered), round-trip edits of the YAML
files with before/after quality figures, an audit of every admin change, stale-entry and
lint reports, and their `advisor kb …` command-line twins.
"""
