"""A toy training set for the matching-model tests: twelve questions in two topics and out
of scope, and four entries ranked across the two topics."""

from __future__ import annotations

from classifiers.policy import NONE_LABEL
from classifiers.ranker import RankerItem

TEXTS = [
    "staff are scared about their jobs", "rumours about job losses everywhere",
    "people fear redundancy from the new system", "colleagues worried they will be replaced",
    "privacy officer blocks launch", "gdpr concerns about citizen data",
    "data protection impact assessment needed", "the dpo says no to storing addresses",
    "where is the canteen", "reset my password", "what's the weather", "hello there",
]
LABELS = ["comms"] * 4 + ["privacy"] * 4 + [NONE_LABEL] * 4
ITEMS = [
    RankerItem("jobs", "comms", TEXTS[:2], ["Talk openly about jobs"]),
    RankerItem("redundancy", "comms", TEXTS[2:4], ["Explain redeployment"]),
    RankerItem("dpia", "privacy", TEXTS[6:8], ["Run a DPIA early"]),
    RankerItem("gdpr", "privacy", TEXTS[4:6], ["Explain data use"]),
]
