"""The `rotabot` command (DESIGN.md §2)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType

from alembic.util import CommandError as AlembicError
from sqlalchemy.exc import SQLAlchemyError

from bot import doctor, timefmt
from bot.http.server import StartupError
from bot.jobs import all_jobs
from bot.pools import limit_malloc_arenas
from bot.services import Services, build_services
from bot.settings import ConfigError, Settings, load_settings
from bot.store.db import make_engine
from bot.store.job_runs import job_runs
from bot.store.migrate import SchemaOutOfDate, check_schema, new_revision, upgrade

log = logging.getLogger("bot")


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
    commands.add_parser("worker", help="the scheduler only: runs the jobs on their schedules")
    jobs = commands.add_parser("jobs", help="list the scheduled jobs, or run one now")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="JOBS_COMMAND")
    job_commands.add_parser("list", help="each job, its schedule, last and next run")
    run_job = job_commands.add_parser("run", help="run one job once")
    run_job.add_argument("name", help="the job's name, as `rotabot jobs list` shows it")
    run_job.add_argument(
        "--at",
        metavar="ISO-8601",
        help="run as if it were this time (team timezone unless an offset is given)",
    )
    run_job.add_argument(
        "--dry-run",
        action="store_true",
        help="print the messages instead of sending them, and record nothing",
    )
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="apply database migrations (safe to repeat)")
    revision = db_commands.add_parser(
        "revision", help="(developers) write a migration for changed tables"
    )
    revision.add_argument("message", help="what the migration does, e.g. 'add promise table'")
    commands.add_parser("doctor", help="check configuration, database, Slack and Zendesk")
    return parser


def _ready_services(settings: Settings, *, slack: bool, http: bool = False) -> Services:
    """Services on a reachable, migrated database; with `slack`, the credentials checked."""
    if slack:
        settings.require_slack(http=http)
    services = build_services(settings)
    try:
        check_schema(services.engine)
    except SQLAlchemyError as error:
        raise CommandError(
            f"cannot reach the database ({_first_line(error)}); check DATABASE_URL."
        ) from None
    return services


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def cmd_serve(settings: Settings) -> int:
    from bot.http.server import serve_http

    # Before any thread starts: a server's threads would otherwise get up to 8 arenas per core.
    limit_malloc_arenas()
    serve_http(_ready_services(settings, slack=True, http=True))
    return 0


def cmd_run(settings: Settings) -> int:
    from bot.http.server import run_socket_mode, serve_http
    from bot.scheduler import build_scheduler

    limit_malloc_arenas()
    services = _ready_services(settings, slack=True, http=not settings.socket_mode)
    scheduler = build_scheduler(services)
    stop_on_sigterm()
    try:
        scheduler.start()
        if settings.socket_mode:
            run_socket_mode(services)
        else:
            serve_http(services)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        log.info("Rotabot stopped")
    return 0


def stop_on_sigterm() -> None:
    """A PaaS stops processes with SIGTERM: unwind so every `finally` shuts things down."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # Nothing else here: the signal may land while this thread is writing a log line, and
        # logging again from inside that write fails ("reentrant call") and can wedge shutdown.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


def cmd_worker(settings: Settings) -> int:
    from bot.scheduler import build_scheduler

    services = _ready_services(settings, slack=True)
    scheduler = build_scheduler(services)
    stop_on_sigterm()
    try:
        scheduler.start()
        log.info("Rotabot worker started: %s", ", ".join(job.id for job in scheduler.get_jobs()))
        threading.Event().wait()
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        log.info("Rotabot worker stopped")
    return 0


def cmd_jobs_list(settings: Settings) -> int:
    from bot.scheduler import next_run, schedules_for

    services = _ready_services(settings, slack=False)
    jobs = all_jobs()
    schedules = schedules_for(jobs, settings.schedules)
    with services.session() as session:
        runs = job_runs(session=session)
    now = services.now()
    tz = services.calendar.tz
    rows = [("JOB", "SCHEDULE", "LAST RUN", "NEXT RUN", "LAST RESULT")]
    for name in jobs:
        run = runs.get(name)
        upcoming = next_run(schedules[name], services, now)
        last = "never" if run is None else timefmt.instant(run.started_at, tz)
        if run is None:
            result = ""
        elif run.finished_at is None:
            result = "running (or stopped mid-run)"
        else:
            result = run.summary if run.ok else f"FAILED: {run.error}"
        rows.append(
            (
                name,
                schedules[name],
                last,
                "—" if upcoming is None else timefmt.instant(upcoming, tz),
                result,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[4]]).rstrip())
    return 0


def parse_at(raw: str | None, services: Services) -> datetime:
    if raw is None:
        return services.now()
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise CommandError(
            f"--at {raw!r} is not an ISO-8601 time; try --at 2026-12-07T09:30 "
            "(team timezone) or --at 2026-12-07T09:30:00+00:00."
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=services.calendar.tz)
    return when.astimezone(UTC)


def cmd_jobs_run(settings: Settings, name: str, at: str | None, dry_run: bool) -> int:
    from bot.jobs.runner import run_job

    jobs = all_jobs()
    job = jobs.get(name)
    if job is None:
        raise CommandError(f"there is no job called {name!r}; the jobs are: {', '.join(jobs)}.")
    services = _ready_services(settings, slack=not dry_run)
    report = run_job(services, job, now=parse_at(at, services), dry_run=dry_run)
    print(f"{name}: {report.summary}")
    for problem in report.problems:
        print(f"  problem: {problem}")
    return 1 if report.problems else 0


def cmd_db_upgrade(settings: Settings) -> int:
    try:
        before, after = upgrade(make_engine(settings.database_url))
    except SQLAlchemyError as error:
        raise CommandError(f"cannot migrate the database ({_first_line(error)}).") from None
    except AlembicError as error:
        raise CommandError(
            f"cannot migrate the database ({_first_line(error)}): it was made by a Rotabot "
            "this version does not know; upgrade Rotabot itself first."
        ) from None
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
    # Alembic narrates every migration check and httpx every request (a first sync makes
    # tens of thousands): their warnings are enough. Waitress warns once per request that
    # waits for a thread, a line each in any burst; its errors are enough.
    for chatty in ("alembic", "httpx"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
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
        if args.command == "worker":
            return cmd_worker(settings)
        if args.command == "jobs" and args.jobs_command == "list":
            return cmd_jobs_list(settings)
        if args.command == "jobs":
            return cmd_jobs_run(settings, args.name, args.at, args.dry_run)
        return cmd_run(settings)
    except (ConfigError, SchemaOutOfDate, CommandError, StartupError) as error:
        print(f"rotabot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
