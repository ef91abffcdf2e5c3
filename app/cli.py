"""The `portion` command: serve, migrate, seed-demo, create-council, create-staff, ..."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine
from app.errors import AppError

cli = typer.Typer(help="Extra Portion: run and administer the service.", no_args_is_help=True)
ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the API and the frontend with uvicorn."""
    import uvicorn

    get_settings()  # refuse a bad configuration before binding the port
    uvicorn.run("app.main:app", host=host, port=port, workers=workers, proxy_headers=True)


@cli.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Upgrade the database schema (to head by default)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    command.upgrade(cfg, revision)
    typer.echo(f"Database migrated to {revision}.")


@cli.command("seed-demo")
def seed_demo(
    if_empty: Annotated[bool, typer.Option(help="Only when no council exists yet")] = False,
) -> None:
    """Create the demo councils, staff and a believable population (idempotent)."""
    from app.demo import seed_demo as run_seed

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


@cli.command("create-staff")
def create_staff(
    council: Annotated[str, typer.Option(help="The council's slug")],
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    full_name: Annotated[str, typer.Option()] = "Council staff",
) -> None:
    """Create a staff account for a council."""
    from app.councils.service import create_staff as create

    with Session(get_engine()) as session:
        _run(
            lambda: create(
                session, council_slug=council, email=email, password=password, full_name=full_name
            )
        )
        session.commit()
    typer.echo(f"Staff account {email} created for {council}.")


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except AppError as exc:
        typer.echo(f"Error: {_message(exc)}", err=True)
        raise typer.Exit(code=2) from exc


def _message(exc: AppError) -> str:
    detail = exc.detail()
    if isinstance(detail, list):
        return "; ".join(f"{'.'.join(map(str, d['loc'][1:]))}: {d['msg']}" for d in detail)
    return str(detail)


def main() -> None:
    cli()
