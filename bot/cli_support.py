"""What every `advisor` command shares: consoles, one-line errors, the `--kb` option and its
fallback, printing knowledge-base problems, and usage errors as one line.

Light on purpose (Typer and rich only): `advisor --help` and the read-only commands import it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup, TyperOption

if TYPE_CHECKING:
    from knowledge.errors import Problem

out = Console(highlight=False)
"""Standard output for rendered answers and tables, wrapped to the terminal."""
lines = Console(highlight=False, soft_wrap=True)
"""Standard output for plain lines that must stay whole (ids, paths, file:line)."""
err = Console(stderr=True, highlight=False, soft_wrap=True)

KbOption = Annotated[
    Optional[Path],  # noqa: UP045 - Typer needs Optional here
    typer.Option("--kb", help="Knowledge-base folder (default: ADVISOR_KB_PATH or the shipped base)."),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` as one line on stderr and return the exit to raise."""
    err.print(Text.assemble(("error:", "bold red"), " ", message))
    return typer.Exit(code)


def kb_path(kb: Path | None) -> Path | None:
    """The knowledge base to use: --kb, else ADVISOR_KB_PATH, else the shipped one (None)."""
    from bot.settings import load_settings

    return kb or load_settings().advisor_kb_path


def print_problems(problems: Iterable[Problem], *, warnings: Console = err) -> None:
    """Each problem as one `severity: file:line: …` line; errors on stderr, warnings on
    `warnings` (stdout when they are the report itself, as in `advisor kb validate`)."""
    for p in problems:
        (err if p.severity == "error" else warnings).print(
            f"{p.severity}: {p}", markup=False, highlight=False, soft_wrap=True)


def usage_line(exc: Any) -> str:
    """A usage error as one line, without pydantic's wording, pointing to the command's help."""
    message = " ".join(exc.format_message().split()).rstrip(".").replace("Value error, ", "")
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    ctx = getattr(exc, "ctx", None)
    return f"{message}; see '{ctx.command_path} --help'" if ctx is not None else message


def enable_line_editing() -> bool:
    """Arrow keys, line editing and this session's history for `input()` when a person
    types at a terminal (Python's readline, where the platform has it); True when on.
    Nothing is written to disk: the questions stay out of a history file."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    try:
        import readline  # noqa: F401 - importing it is what turns line editing on
    except ImportError:  # Windows without pyreadline: plain input
        return False
    return True


class AdvisorGroup(TyperGroup):
    """The `advisor` command: a usage error is one `error: …` line on stderr (exit 2), not a
    box; help pages as Typer renders them, without a type beside flags (`--help <bool>`)."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        from typer._click.exceptions import ClickException, NoArgsIsHelpError  # Typer's click

        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:  # `advisor` alone, `advisor kb`: the help page
            if not standalone_mode:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except ClickException as exc:
            if not standalone_mode:
                raise
            fail(usage_line(exc))
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            err.print("Aborted.")
            sys.exit(1)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def _hide_flag_types() -> None:
    """Typer's rich help prints a type beside flags (`--strict --no-strict <bool>`,
    `--help <bool>`) where its plain help prints none: print none there either."""
    shown = TyperOption.display_type_rich
    if getattr(shown, "hides_flag_types", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag or self.count else shown(self, ctx)

    display_type_rich.hides_flag_types = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_hide_flag_types()
