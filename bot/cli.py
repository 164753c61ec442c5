"""The `rotabot` command: run, serve, db upgrade, doctor."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot import doctor
from bot.services import Services, build_services
from bot.settings import ConfigError, Settings, load_settings
from bot.store.db import make_engine
from bot.store.migrate import SchemaOutOfDate, check_schema, new_revision, upgrade


class CommandError(Exception):
    """A problem the person running the command can fix; printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rotabot",
        description="Rotabot: your support desk's rota and ticket promises, in Slack.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "run", help="everything in one process: Slack (Socket Mode or HTTP on $PORT)"
    )
    commands.add_parser("serve", help="the production HTTP server only")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="apply database migrations (safe to repeat)")
    revision = db_commands.add_parser(
        "revision", help="(developers) write a migration for changed tables"
    )
    revision.add_argument("message", help="what the migration does, e.g. 'add promise table'")
    commands.add_parser("doctor", help="check configuration, database, Slack and Zendesk")
    return parser


def _ready_services(settings: Settings, *, http: bool) -> Services:
    settings.require_slack(http=http)
    services = build_services(settings)
    try:
        check_schema(services.engine)
    except SQLAlchemyError as error:
        raise CommandError(f"cannot reach the database ({_first_line(error)}).") from None
    return services


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def cmd_serve(settings: Settings) -> int:
    from bot.server import serve_http

    serve_http(_ready_services(settings, http=True))
    return 0


def cmd_run(settings: Settings) -> int:
    from bot.server import run_socket_mode, serve_http

    services = _ready_services(settings, http=not settings.socket_mode)
    if settings.socket_mode:
        run_socket_mode(services)
    else:
        serve_http(services)
    return 0


def cmd_db_upgrade(settings: Settings) -> int:
    try:
        before, after = upgrade(make_engine(settings.database_url))
    except SQLAlchemyError as error:
        raise CommandError(f"cannot migrate the database ({_first_line(error)}).") from None
    if before == after:
        print(f"Database already up to date (migration {after}).")
    else:
        print(f"Database upgraded from {before or 'empty'} to migration {after}.")
    return 0


def cmd_db_revision(settings: Settings, message: str) -> int:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    script = new_revision(engine, message)
    print(f"Wrote {script}; review it, then run `rotabot db upgrade`.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        if args.command == "doctor":
            return doctor.run(load_settings, out=sys.stdout)
        settings = load_settings()
        if args.command == "db" and args.db_command == "revision":
            return cmd_db_revision(settings, args.message)
        if args.command == "db":
            return cmd_db_upgrade(settings)
        if args.command == "serve":
            return cmd_serve(settings)
        return cmd_run(settings)
    except (ConfigError, SchemaOutOfDate, CommandError) as error:
        print(f"rotabot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
