"""The `portion` command: serve, migrate, seed-demo, create-council, create-staff, ..."""

from __future__ import annotations

import gzip
import io
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlmodel import Session

from app.config import ConfigurationError, Settings, get_settings
from app.db import describe_database, get_engine
from app.errors import AppError
from app.geo.importer import DEFAULT_BATCH_SIZE
from app.in_use import alone, in_use
from app.observability.logs import configure_logging, json_line

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

cli = typer.Typer(
    help="Extra Portion: run and administer the service.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # a crash must not print passwords or keys
)
ROOT = Path(__file__).resolve().parent.parent
WORKER_START_TIMEOUT_S = 60
T = TypeVar("T")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            # One spelling for every way of running it (compose, a container, a terminal);
            # uvicorn's own FORWARDED_ALLOW_IPS still counts when this is unset.
            envvar="PORTION_FORWARDED_ALLOW_IPS",
            help="Proxies trusted for X-Forwarded-For and -Proto (default: 127.0.0.1)",
        ),
    ] = None,
    migrate_first: Annotated[
        bool,
        typer.Option("--migrate", help="Upgrade the database schema first, in this process"),
    ] = False,
) -> None:
    """Serve the API and the frontend with uvicorn."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from app.notifications.channels import describe_delivery
    from app.observability.logs import uvicorn_log_config

    settings = get_settings()  # refuse a bad configuration before binding the port
    if migrate_first:  # one process for a container's start: no second interpreter to load
        _upgrade_schema("head", configure_logging=False)
    else:
        _refuse_an_old_schema()
    if settings.env == "production":
        _refuse_the_demo_data()
    _warn_of_missing_settings(settings)
    # Which database: a wrong PORTION_DATABASE_URL otherwise showed only as 503s.
    _tell(settings, f"Database: {describe_database(settings.database_url)}")
    _tell(settings, describe_delivery(settings, base_url=f"http://{host}:{port}"))
    # No access log: it writes raw paths, and a calendar feed's path is its secret. The app
    # logs each request by route template instead (app/main.py).
    with _metrics_folder(settings.metrics_dir, workers):
        uvicorn.run(
            "app.main:app",
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            access_log=False,
            log_config=uvicorn_log_config(settings) or LOGGING_CONFIG,
            # A new worker imports the app before it answers the parent's health check, and
            # uvicorn kills one silent for 5 s: on a busy or cold machine, every one, forever.
            timeout_worker_healthcheck=WORKER_START_TIMEOUT_S,
        )


def _warn_of_missing_settings(settings: Settings) -> None:
    for warning in settings.production_warnings():
        _tell(settings, warning, warning=True)


def _tell(settings: Settings, line: str, *, warning: bool = False) -> None:
    """A line for whoever starts the service; with JSON logs, a JSON line among them (a log
    collector reads a plain line there as a malformed record: an operator's walk)."""
    if settings.log_format != "json":
        typer.echo(line, err=warning)
        return
    level = logging.WARNING if warning else logging.INFO
    typer.echo(json_line(line.removeprefix("Warning: "), level=level, logger="portion"), err=True)


def _refuse_an_old_schema() -> None:
    """Refuse to serve a database that is not at this version's schema: every page would answer
    500 ("no such table"). One that cannot be reached yet is served: /healthz says so until it
    answers, requests are answered 503 while it is not migrated, and the service recovers by
    itself."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        problem = _schema_problem()
    except SQLAlchemyError:
        return
    if problem:
        _fail(f"{problem}, or serve with --migrate")


def _require_the_schema() -> None:
    """For a command that works on the tables (the jobs, a pass of the worker): one line, not
    a traceback, when they are not this version's (an operator's walk). A database that cannot
    be reached is said in one line by `main`."""
    if problem := _schema_problem():
        _fail(problem)


def _schema_problem() -> str | None:
    from app.db import reader, schema_heads, schema_revisions

    heads = schema_heads()
    with reader(get_engine()).connect() as conn:
        found = schema_revisions(conn)
    if found == heads:
        return None
    at = ", ".join(sorted(found)) if found else "none"
    return (
        f"the database is not migrated to this version of the service (revision {at}, needs "
        f"{', '.join(sorted(heads))}): run `portion migrate` first"
    )


def _refuse_the_demo_data() -> None:
    """Refuse to serve production from a database seed-demo filled (`make run`'s var/portion.db,
    a container's volume first started with PORTION_DEMO=1): its accounts' password is
    published, and admin@example.org signed in with it. One that cannot be reached yet is
    served, as by `_refuse_an_old_schema`."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.db import reader
    from app.demo import demo_password_accounts

    try:
        with Session(reader(get_engine())) as session:
            found = demo_password_accounts(session)
    except SQLAlchemyError:
        return
    if found:
        _fail(
            f"the database holds the demo data ({found} accounts sign in with the demo "
            "password, which is published): PORTION_ENV=production will not serve it; start "
            "from an empty database (a new PORTION_DATABASE_URL, or a new volume for the "
            "container), then `portion migrate` and `portion create-admin`"
        )


@contextmanager
def _metrics_folder(configured: Path | None, workers: int) -> Iterator[None]:
    """Several workers share their metrics through files (prometheus_client's multiprocess
    mode): in PORTION_METRICS_DIR emptied of the last run's, else in a temporary folder removed
    at the end. The workers find it in the environment they inherit."""
    import shutil
    import tempfile

    if configured is not None:
        configured.mkdir(parents=True, exist_ok=True)
        for stale in configured.glob("*.db"):
            stale.unlink()
        yield
        return
    if workers < 2:
        yield
        return
    folder = tempfile.mkdtemp(prefix="portion-metrics-")
    os.environ["PORTION_METRICS_DIR"] = folder
    try:
        yield
    finally:
        del os.environ["PORTION_METRICS_DIR"]
        shutil.rmtree(folder, ignore_errors=True)


@cli.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Upgrade the database schema (to head by default)."""
    get_settings()  # refuse a bad configuration before touching the database
    _upgrade_schema(revision, configure_logging=True)


def _upgrade_schema(revision: str, *, configure_logging: bool) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    # Before a server in the same process, alembic.ini's logging would replace the server's.
    cfg.attributes["configure_logger"] = configure_logging
    _refuse_what_upgrade_cannot_do(ScriptDirectory.from_config(cfg), revision)
    command.upgrade(cfg, revision)
    typer.echo(f"Database migrated to {revision}.")


def _refuse_what_upgrade_cannot_do(script: ScriptDirectory, revision: str) -> None:
    """One line for what Alembic's upgrade gets wrong: to a revision older than the database's
    it does nothing and says nothing (and we then said "migrated"), and an unknown revision,
    asked for or in the database (a newer version migrated it), ends in a traceback."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    from app.db import reader, schema_revisions

    try:
        target = script.get_revision(revision)
    except CommandError:
        _fail(
            f"no revision {revision!r} in migrations/ (the latest is {script.get_current_head()})"
        )
    with reader(get_engine()).connect() as conn:
        current = schema_revisions(conn) or frozenset()
    for at in current:
        try:
            earlier = {s.revision for s in script.iterate_revisions(at, "base") if s is not None}
        except RevisionError:
            _fail(
                f"the database is at revision {at}, which this version of the service does not "
                "know (a newer version migrated it): run that version, or restore a backup"
            )
        if target is None or (target.revision in earlier and target.revision != at):
            _fail(
                f"the database is at revision {at}, later than {revision}: downgrades are not "
                'supported; to go back, restore a backup (README.md, "Backups and faults")'
            )


@cli.command("seed-demo")
def seed_demo(
    if_empty: Annotated[bool, typer.Option(help="Only when no council exists yet")] = False,
) -> None:
    """Create the demo councils, staff and a believable population (idempotent)."""
    from app.demo import seed_demo as run_seed

    if get_settings().env == "production":
        _fail(
            "seed-demo refuses to run with PORTION_ENV=production: the demo accounts' "
            "password is published"
        )
    with Session(get_engine()) as session:
        summary = run_seed(session, only_if_empty=if_empty)
        session.commit()
    typer.echo(summary)


@cli.command("create-council")
def create_council(
    slug: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    lad: Annotated[list[str], typer.Option(help="ONS local authority code; repeat for several")],
) -> None:
    """Create a council covering the postcodes of these local authorities."""
    from app.councils.service import create_council as create

    with Session(get_engine()) as session:
        _run(lambda: create(session, slug=slug, name=name, lad_codes=lad))
        session.commit()
    typer.echo(f"Council {slug} created.")


# Left out, the password is asked for at a prompt that does not echo it, which keeps it out of
# the shell's history. Its default (None) is what keeps --help from calling it "required".
PasswordOption = Annotated[
    str | None,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,  # a typo would lock the account's owner out
        show_default=False,
        help="Asked for, twice, at a prompt that does not echo it when left out",
    ),
]


@cli.command("create-staff")
def create_staff(
    council: Annotated[str, typer.Option(help="The council's slug")],
    email: Annotated[str, typer.Option()],
    password: PasswordOption = None,
    full_name: Annotated[str, typer.Option()] = "Council staff",
) -> None:
    """Create a staff account for a council."""
    from app.councils.service import create_staff as create

    assert password is not None  # prompted for when left out
    with Session(get_engine()) as session:
        _run(
            lambda: create(
                session, council_slug=council, email=email, password=password, full_name=full_name
            )
        )
        session.commit()
    typer.echo(f"Staff account {email} created for {council}.")


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option()],
    password: PasswordOption = None,
    full_name: Annotated[str, typer.Option()] = "Administrator",
) -> None:
    """Create an admin account of the installation, in no council (its page: /admin)."""
    from app.accounts.service import create_admin as create

    assert password is not None  # prompted for when left out
    with Session(get_engine()) as session:
        _run(lambda: create(session, email=email, password=password, full_name=full_name))
        session.commit()
    typer.echo(f"Admin account {email} created.")


@cli.command("set-password")
def set_password(
    email: Annotated[str, typer.Option()],
    password: PasswordOption = None,
) -> None:
    """Set a staff or admin account's password (every sign-in of it ends; its owner is told).
    Residents reset theirs from the sign-in page."""
    from app.accounts.service import set_password_by_operator

    assert password is not None  # prompted for when left out
    with Session(get_engine()) as session:
        _run(lambda: set_password_by_operator(session, email=email, new_password=password))
        session.commit()
    typer.echo(f"The password of {email} is set; its sign-ins have ended.")


@cli.command("password-hashes")
def password_hashes() -> None:
    """How many accounts' password hashes have which Argon2 parameters. After a change of
    PORTION_PASSWORD_*, an account's hash is made again at its next sign-in: until then a
    wrong password for it costs its old parameters' time (SECURITY.md)."""
    from app.accounts.passwords import current_parameters
    from app.accounts.service import hashes_by_parameters

    current = current_parameters()
    with Session(get_engine()) as session:
        counts = hashes_by_parameters(session)
    for named, count in sorted(counts.items(), key=lambda item: item[0] or "~"):
        what = named or "no usable password (erased)"
        said = " (the settings')" if named == current else ""
        typer.echo(f"{what}: {count} account(s){said}")
    old = sum(count for named, count in counts.items() if named not in (current, None))
    typer.echo(f"{old} account(s) to renew at their next sign-in.")


@cli.command("import-postcodes")
def import_postcodes(
    file: Annotated[
        Path,
        typer.Argument(
            help="The council's ONS Postcode Directory extract (.csv, or .csv.gz)",
            show_default=False,
        ),
    ],
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per database write")] = (
        DEFAULT_BATCH_SIZE
    ),
) -> None:
    """Import exact unit-postcode positions from ONSPD; running it again updates them."""
    from sqlalchemy import inspect
    from tqdm import tqdm

    from app.geo.importer import import_onspd
    from app.geo.onspd import OnspdFormatError, OnspdStats
    from app.models import PostcodeUnit

    if not file.is_file():
        _fail(f"{file}: no such file")
    if not inspect(get_engine()).has_table(PostcodeUnit.__tablename__):
        _fail("the database has no postcode_unit table yet: run `portion migrate` first")
    size = file.stat().st_size
    with (
        file.open("rb") as raw,
        io.TextIOWrapper(
            gzip.GzipFile(fileobj=raw) if file.suffix == ".gz" else raw,
            encoding="utf-8",
            newline="",
        ) as text,
        tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc=file.name,
            file=sys.stderr,
            disable=None,  # no bar when stderr is not a terminal (logs, CI)
        ) as bar,
        Session(get_engine()) as session,
    ):

        def progress(stats: OnspdStats) -> None:
            bar.set_postfix(postcodes=f"{stats.imported:,}", refresh=False)
            bar.update(raw.tell() - bar.n)  # bytes read so far (compressed, for .gz)

        try:
            stats = import_onspd(session, text, batch_size=batch_size, on_batch=progress)
        except OnspdFormatError as exc:
            _fail(f"{file}: {exc}; nothing was imported")
        except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as exc:
            _fail(f"{file}: not a UTF-8 CSV file ({exc}); nothing was imported")
        session.commit()
        bar.update(size - bar.n)
    typer.echo(
        f"Imported {stats.imported:,} postcodes "
        f"(skipped {stats.terminated:,} terminated, {stats.no_grid:,} without a grid reference)."
    )


@cli.command("send-notifications")
def send_notifications(
    loop: Annotated[bool, typer.Option("--loop", help="Keep sending until stopped")] = False,
    interval: Annotated[
        float, typer.Option(min=0.5, help="Seconds between passes with --loop")
    ] = 10.0,
) -> None:
    """Send the queued notifications that are due: one pass, or --loop until stopped."""
    import signal
    import threading

    from app.notifications.channels import delivery_from_settings
    from app.notifications.worker import run_worker

    settings = get_settings()
    configure_logging(settings)  # its lines as the server's: the format and level set
    _warn_of_missing_settings(settings)
    channels = delivery_from_settings(settings).channels
    engine = get_engine()  # refuses a production database by chance before marking it in use
    if not loop:  # the loop says it once and waits for the migration (run_worker)
        _require_the_schema()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with in_use(settings.database_url):  # `portion restore` refuses meanwhile
        sent = run_worker(
            stop,
            interval_s=interval,
            engine=engine,
            channels=channels,
            once=not loop,
        )
    typer.echo(f"Sent {sent} notification(s).")


@cli.command("mail")
def mail(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many")] = 5,
) -> None:
    """Show the newest messages in the development mailbox (PORTION_ENV=development)."""
    from app.notifications.mailbox import read_mailbox

    settings = get_settings()
    if settings.env != "development":
        _fail("the mailbox exists only with PORTION_ENV=development")
    # Not the page's full address: this command knows no running server's port (it named
    # 8000 beside a server on 8151: an outside check).
    typer.echo(
        f"The development mailbox, {settings.mailbox_dir}/ (also the page /dev/mail of the "
        "running server), newest last:"
    )
    messages = read_mailbox(settings.mailbox_dir, limit=count)
    if not messages:
        typer.echo("No messages yet.")
    for m in reversed(messages):  # newest last, nearest the prompt
        typer.echo(f"\n--- {m.at[:16].replace('T', ' ')} UTC  {m.channel} to {m.to}")
        typer.echo(f"Subject: {m.subject}\n\n{m.body}")


@cli.command("send-meal-plan")
def send_meal_plan(
    diner_id: Annotated[int, typer.Argument(help="The diner's id", show_default=False)],
) -> None:
    """Queue a letter with a diner's meals for the next four weeks (posted by GOV.UK Notify), to
    any diner who asks for one: a diner without a carer is posted one by themselves when a
    pairing starts or moves."""
    from sqlmodel import func, select

    from app.councils.rules import council_today
    from app.db import utcnow
    from app.models import Council, Diner, Notification
    from app.notifications.channels import delivery_from_settings
    from app.notifications.letters import queue_meal_plan_letter
    from app.notifications.outbox import queue_again_if_failed

    # The channels first: a configuration that would lose messages is refused before the
    # letter is written, not after (an outside check).
    posted = "letter" in delivery_from_settings(get_settings()).channels
    with Session(get_engine()) as session:
        diner = session.get(Diner, diner_id)
        if diner is None:
            _fail(f"no diner {diner_id}")
        council = session.get(Council, diner.council_id)
        assert council is not None
        newest = session.exec(select(func.max(Notification.id))).one() or 0
        letter = _run(
            lambda: queue_meal_plan_letter(session, diner=diner, today=council_today(council))
        )
        failed = letter.last_error
        again = queue_again_if_failed(letter, now=utcnow())
        session.commit()
        if again:
            typer.echo(
                f"Meal plan letter {letter.id} with this plan had failed ({failed}): "
                f"queued again for diner {diner_id}."
            )
        elif (letter.id or 0) <= newest:  # the same plan, queued once a day
            typer.echo(
                f"Meal plan letter {letter.id} with this plan was already queued today for "
                f"diner {diner_id} ({letter.status}): nothing new queued."
            )
        else:
            typer.echo(f"Meal plan letter {letter.id} queued for diner {diner_id}.")
    if not posted:
        typer.echo(
            "Warning: no letter channel is configured (PORTION_NOTIFY_API_KEY and "
            "PORTION_NOTIFY_LETTER_TEMPLATE_ID): it will not be posted.",
            err=True,
        )


@cli.command("schedule-meals")
def schedule_meals_command() -> None:
    """Top up every active pairing's meals over the rolling 8-week horizon (idempotent)."""
    from app.meals.service import schedule_all

    with Session(get_engine()) as session:
        created = schedule_all(session)
        session.commit()
    typer.echo(f"{created} meal(s) scheduled.")


@cli.command("run-jobs")
def run_jobs_command() -> None:
    """Run the periodic jobs once: schedules, reminders, cover and lapse alerts, outcomes, and
    forgetting what has been kept long enough (app/privacy/retention.py)."""
    from app.db import utcnow
    from app.flows.jobs import run_jobs
    from app.privacy.retention import forget_old_records

    settings = get_settings()
    configure_logging(settings)
    engine = get_engine()  # refuses a production database by chance before marking it in use
    _require_the_schema()
    with in_use(settings.database_url), Session(engine) as session:
        counts = run_jobs(session)
        counts["records_forgotten"] = forget_old_records(session, now=utcnow())
        session.commit()
    typer.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))


# pg_dump and pg_restore take libpq's URL: the app's without SQLAlchemy's "+psycopg".
PG_HINTS = {
    "backup": (
        "back up PostgreSQL with pg_dump, e.g. pg_dump --format=custom --file=portion.dump "
        '"postgresql://..." (PORTION_DATABASE_URL without "+psycopg"; README.md, '
        '"Backups and faults")'
    ),
    "restore": (
        "restore PostgreSQL with pg_restore, e.g. pg_restore --clean --if-exists --no-owner "
        '--dbname="postgresql://..." portion.dump (PORTION_DATABASE_URL without "+psycopg"; '
        'README.md, "Backups and faults")'
    ),
}


@cli.command()
def backup(
    path: Annotated[
        Path,
        typer.Argument(help="The backup file to write (must not exist yet)", show_default=False),
    ],
) -> None:
    """Copy the SQLite database to PATH, consistently, while the service keeps running."""
    source = _sqlite_file("backup")
    if path.exists():
        _fail(f"{path} exists already: choose a new file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    # Made 0600 before SQLite writes to it (its journal takes the same mode): a backup holds
    # people's addresses, and the umask's 0644 let every account on the machine read them.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    # SQLite's online backup API copies every page in one step, inside one read transaction:
    # a snapshot of the last commit, taken without blocking the service's writers (WAL).
    with (
        closing(sqlite3.connect(source, timeout=30)) as src,
        closing(sqlite3.connect(partial)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        _check_integrity(dst, partial)
    partial.replace(path)
    typer.echo(f"Backed up the database to {path} ({path.stat().st_size:,} bytes).")


@cli.command()
def restore(
    backup_file: Annotated[
        Path, typer.Argument(help="A file written by `portion backup`", show_default=False)
    ],
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Replace every row of the database (stop the service first)"),
    ] = False,
) -> None:
    """Replace the SQLite database's contents with a backup's (the service must be stopped)."""
    target = _sqlite_file("restore", must_exist=False)
    if not backup_file.is_file():
        _fail(f"{backup_file}: no such file")
    if not yes:
        _fail(f"this replaces every row of {target}: stop the service, then add --yes")
    with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as src:
        _check_backup(src, backup_file)
        with alone(target) as nobody_else:
            if not nobody_else:
                _fail(
                    f"{target} is in use (the service, its notification worker or its jobs "
                    "are running on it): stop them first; nothing was restored"
                )
            # Through SQLite, not a file copy: a -wal file beside the database stays consistent.
            with closing(sqlite3.connect(target, timeout=30)) as dst:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")
                _check_integrity(dst, Path(target))
    typer.echo(f"Restored the database from {backup_file}.")


def _sqlite_file(command: str, *, must_exist: bool = True) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(get_settings().database_url)
    if url.get_backend_name() != "sqlite":
        _fail(f"portion {command} handles SQLite only: {PG_HINTS[command]}")
    if not url.database or url.database == ":memory:":
        _fail("the database is in memory: there is no file to copy")
    if must_exist and not Path(url.database).is_file():
        _fail(f"{url.database}: no such database file")
    return url.database


def _check_backup(conn: sqlite3.Connection, path: Path) -> None:
    """One line for a file that is no backup of ours, rather than a traceback; an empty file
    (to SQLite, an empty database) would otherwise replace every row with none."""
    try:
        _check_integrity(conn, path)
        conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as exc:
        _fail(f"{path} is not a backup written by `portion backup` ({exc}); nothing was restored")


def _check_integrity(conn: Any, path: Path) -> None:
    found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if found != ["ok"]:
        _fail(f"{path} fails SQLite's integrity check: {'; '.join(found[:3])}")


def _fail(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=2)


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except AppError as exc:
        _fail(_message(exc))


def _message(exc: AppError) -> str:
    detail = exc.detail()
    if isinstance(detail, list):
        return "; ".join(f"{'.'.join(map(str, d['loc'][1:]))}: {d['msg']}" for d in detail)
    return str(detail)


# What the service writes (the database and its journal, the development key and mailbox, a
# backup) holds people's addresses and health needs: for this account only. The folders and
# files of a fresh `make run` were readable by every account on the machine (an outside check).
PRIVATE_UMASK = 0o077


def main() -> None:
    from sqlalchemy.exc import InterfaceError, OperationalError

    os.umask(PRIVATE_UMASK)
    try:
        cli()
    except ConfigurationError as exc:
        _exit_on_configuration(str(exc))
    except (OperationalError, InterfaceError) as exc:
        # The driver's own words (the host, port and user it tried, never the password), not
        # some 460 lines of traceback with them buried in it (an operator's walk, the database
        # down or misnamed).
        cause = str(exc.orig or exc).strip().splitlines()
        typer.echo(
            f"Error: the database (PORTION_DATABASE_URL) cannot be used: "
            f"{cause[0] if cause else type(exc).__name__}",
            err=True,
        )
        raise SystemExit(1) from None
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        _exit_on_configuration(
            "; ".join(
                f"PORTION_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
            )
        )


def _exit_on_configuration(message: str) -> NoReturn:
    """One line on stderr and exit code 2, whichever command read the settings first."""
    typer.echo(f"Error: {message}", err=True)
    raise SystemExit(2)
