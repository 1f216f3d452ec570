"""The pydantic schema every knowledge-base YAML file is validated against."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from knowledge.sources import SEED_TITLES

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=SLUG, max_length=80)]
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSchema(_Strict):
    title: Text
    file: Text

    @field_validator("file")
    @classmethod
    def _known_seed(cls, value: str) -> str:
        if value not in SEED_TITLES:
            raise ValueError(f"unknown seed document {value!r}; known: {', '.join(SEED_TITLES)}")
        return value


class EntrySchema(_Strict):
    id: Slug
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=150)]
    summary: Text
    situations: list[Text] = Field(min_length=8)
    actions: list[Text] = Field(min_length=3)
    pitfalls: list[Text] = Field(default_factory=list)
    sources: list[SourceSchema] = Field(min_length=1)
    owner: Text
    last_reviewed: dt.date
    review_every_days: int = Field(ge=1, le=1095)

    @field_validator("summary")
    @classmethod
    def _two_to_four_sentences(cls, value: str) -> str:
        n = len(SENTENCE_END.findall(value.strip()))
        if not 2 <= n <= 4:
            raise ValueError(f"must be 2 to 4 sentences, found {n}")
        return value


class TopicSchema(_Strict):
    id: Slug
    title: Text
    description: Text
    entries: list[EntrySchema] = Field(min_length=4)


class OutOfScopeSchema(_Strict):
    examples: list[Text] = Field(min_length=1)
