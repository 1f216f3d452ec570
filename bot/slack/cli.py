"""`advisor serve`: run the Slack bot over HTTP (gunicorn) or Socket Mode."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

SHOWN_PROBLEMS = 10
"""Knowledge-base errors `advisor serve` prints before it refuses to start."""

LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def serve(
    socket: Annotated[bool, typer.Option(
        "--socket", help="Socket Mode: connect out to Slack, no public URL needed.")] = False,
    port: Annotated[int | None, typer.Option(help="HTTP port (default: $PORT, else 3000).")] = None,
    workers: Annotated[int | None, typer.Option(
        help="HTTP worker processes (default: $WEB_CONCURRENCY, else two per core, 2 to 8).")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on (HTTP mode).")] = "0.0.0.0",
) -> None:
    """Run the Slack bot: HTTP mode (POST /slack/events, GET /healthz) or --socket."""
    from bot.doctor import startup_problem
    from bot.settings import OAUTH_NEEDS_HTTP, SettingsError, load_settings
    from knowledge.errors import AdvisorError, KnowledgeBaseError

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        settings = load_settings()
        if settings.oauth_mode and socket:
            raise SettingsError(OAUTH_NEEDS_HTTP)
        settings.require("slack_client_id" if settings.oauth_mode else "slack_bot_token",
                         "slack_app_token" if socket else "slack_signing_secret")
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    problem = startup_problem(settings)  # a changing pseudonym key, or nowhere to spool
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    if not settings.log_hmac_secret:
        logging.getLogger("bot.slack").warning(
            "LOG_HMAC_SECRET is not set (ADVISOR_ALLOW_GENERATED_SECRET): pseudonyms use the key "
            "generated in %s; a trial only", settings.advisor_data_dir)

    from bot.log.pseudonym import shared_secret_warning

    if warning := shared_secret_warning(settings.log_hmac_secret, settings.database_url):
        logging.getLogger("bot.slack").warning(warning)
    try:
        from bot.live import LiveAdvisor

        live = LiveAdvisor.from_settings(settings)
    except KnowledgeBaseError as exc:  # every error with its file:line, then where to see more
        errors = [p for p in exc.problems if p.severity == "error"]
        typer.echo(f"error: the knowledge base has {len(errors)} error(s); not serving", err=True)
        for problem in errors[:SHOWN_PROBLEMS]:
            typer.echo(f"  {problem}", err=True)
        if len(errors) > SHOWN_PROBLEMS:
            typer.echo(f"  … and {len(errors) - SHOWN_PROBLEMS} more", err=True)
        typer.echo("fix them, then check with `advisor kb validate`", err=True)
        raise typer.Exit(2) from None
    except AdvisorError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    from bot.slack.runner import http_server, run_socket_mode

    try:
        if socket:
            run_socket_mode(settings, live)
            return
        server = http_server(settings, live, port=port or settings.port,
                             workers=workers or settings.web_concurrency, host=host)
    except AdvisorError as exc:  # e.g. the log's database is not migrated or unreachable
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    server.run()


if __name__ == "__main__":
    typer.run(serve)
