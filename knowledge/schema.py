"""The pydantic schema every knowledge-base YAML file is validated against."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from knowledge.sources import SEED_TITLES

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=SLUG, max_length=80)]
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSchema(_Strict):
    """A seed document (`title` and `file`) that backs the entry, or a `practice` note.

    Cite a seed only for what it states; detail that no seed states is practice guidance,
    named in a few words (`practice: hypercare rotas and exit criteria`) and shown as such.
    """

    title: Text | None = None
    file: Text | None = None
    practice: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3,
                                               max_length=200)] | None = None

    @field_validator("file")
    @classmethod
    def _known_seed(cls, value: str | None) -> str | None:
        if value is not None and value not in SEED_TITLES:
            raise ValueError(f"unknown seed document {value!r}; known: {', '.join(SEED_TITLES)}")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> SourceSchema:
        seed = self.title is not None or self.file is not None
        if seed == (self.practice is not None):
            raise ValueError("a source is either a seed (title and file) or practice guidance "
                             "(practice: what it rests on), not both or neither")
        if seed and (self.title is None or self.file is None):
            raise ValueError("a seed source needs both title and file")
        return self


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


Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60)]


class TopicSchema(_Strict):
    id: Slug
    title: Text
    description: Text
    vocabulary: list[Term] = Field(default_factory=list)
    """Terms and acronyms civil servants use for this topic's problems (MFA, hypercare, …)."""
    entries: list[EntrySchema] = Field(min_length=4)

    @field_validator("vocabulary")
    @classmethod
    def _distinct_terms(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for term in value:
            key = " ".join(term.lower().split())
            if key in seen:
                raise ValueError(f"term {term!r} is listed twice")
            seen.add(key)
        return value


class OutOfScopeSchema(_Strict):
    examples: list[Text] = Field(min_length=1)
