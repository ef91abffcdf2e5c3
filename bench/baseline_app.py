"""The two baselines of bench/http_load.py, served by uvicorn beside the real app.

- ``bare``: a FastAPI app with one endpoint, ``GET /hello``, and no database: what uvicorn and
  FastAPI cost on this machine.
- ``plain``: the SQLModel tutorial's shape, nothing of ours: one engine, a sync session per
  request (a dependency), ``GET /cooks`` reading 20 rows of the benchmark's database through a
  table model of its own. What any sync SQLModel endpoint costs on the same database.

The plain app reads the database URL from ``PORTION_DATABASE_URL`` (set by the benchmark) and
imports nothing from ``app``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI
from sqlmodel import Field, Session, SQLModel, create_engine, select

bare = FastAPI()


@bare.get("/hello")
def hello() -> dict[str, str]:
    return {"message": "hello"}


class CookRow(SQLModel, table=True):
    """A few columns of the app's ``cook`` table, as a plain SQLModel app would declare them."""

    __tablename__ = "cook"

    id: int | None = Field(default=None, primary_key=True)
    display_name: str
    postcode: str
    walk_radius_m: int
    max_diners: int
    status: str


_url = os.environ.get("PORTION_DATABASE_URL", "sqlite://")
_engine = create_engine(
    _url, connect_args={"check_same_thread": False} if _url.startswith("sqlite") else {}
)


def get_session() -> Iterator[Session]:
    with Session(_engine) as session:
        yield session


plain = FastAPI()


@plain.get("/cooks")
def cooks(session: Annotated[Session, Depends(get_session)]) -> list[CookRow]:
    return list(session.exec(select(CookRow).order_by(CookRow.id).limit(20)))  # type: ignore[arg-type]
