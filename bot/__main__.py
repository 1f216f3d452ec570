"""`python -m bot` runs the `advisor` CLI."""

from bot.cli import main

main()
