"""Errors and warnings raised while loading the knowledge base, each pointing at file:line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class AdvisorError(Exception):
    """Base of every error the advisor reports to a user in one line."""


@dataclass(frozen=True)
class Problem:
    """One finding in the knowledge base: where it is and what is wrong."""

    file: str
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class KnowledgeBaseError(AdvisorError):
    """The knowledge base is invalid; `problems` lists every error with file:line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        head = f"{len(errors)} error(s) in the knowledge base"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in errors))
