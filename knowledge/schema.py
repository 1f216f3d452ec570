"""The pydantic schema every knowledge-base YAML file is validated against.

`EntrySchema` is the one declaration of an entry's fields: a plain frozen dataclass that
pydantic validates, and that `knowledge.models.Entry` extends with where the entry was found.
A new entry field is declared here, and serialised in `bot/answer_json.py`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

from knowledge.sources import SEED_TITLES, Source

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

    def to_source(self) -> Source:
        """The plain `Source` entries hold."""
        return Source(self.title or "", self.file) if self.file else Source(self.practice or "")


class Items:
    """Validate a YAML list into a tuple, its length checked on the input as pydantic checks a
    list's (so one bad item is not also reported as too few); `via` validates each item with
    another schema and converts it (`SourceSchema` → `Source`)."""

    def __init__(self, *, min_length: int = 0, via: type[SourceSchema] | None = None):
        self.min_length = min_length
        self.via = via

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        if self.via is None:
            item = handler.generate_schema(get_args(source)[0])
        else:
            item = core_schema.no_info_after_validator_function(
                self.via.to_source, handler.generate_schema(self.via))
        return core_schema.no_info_after_validator_function(
            tuple, core_schema.list_schema(item, min_length=self.min_length or None))


def _two_to_four_sentences(value: str) -> str:
    n = len(SENTENCE_END.findall(value.strip()))
    if not 2 <= n <= 4:
        raise ValueError(f"must be 2 to 4 sentences, found {n}")
    return " ".join(value.split())


@dataclass(frozen=True)
class EntrySchema:
    """The fields of one entry as its YAML gives them, validated (`validate_entry`)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    id: Slug
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=150)]
    summary: Annotated[Text, AfterValidator(_two_to_four_sentences)]
    """Two to four sentences, whitespace folded."""
    situations: Annotated[tuple[Text, ...], Items(min_length=8)]
    actions: Annotated[tuple[Text, ...], Items(min_length=3)]
    sources: Annotated[tuple[Source, ...], Items(min_length=1, via=SourceSchema)]
    owner: Text
    last_reviewed: dt.date
    review_every_days: Annotated[int, Field(ge=1, le=1095)]
    pitfalls: Annotated[tuple[Text, ...], Items()] = ()
    """The one most worth knowing first."""


@cache
def _entry_adapter() -> TypeAdapter[EntrySchema]:
    return TypeAdapter(EntrySchema)


def validate_entry(data: Any) -> EntrySchema:
    """Validate one entry's mapping; raises pydantic's `ValidationError`."""
    return _entry_adapter().validate_python(data)


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
