"""The installation's administrator's page: the councils it runs, with their staff and how many
cooks and diners each has, and how to add a council or a staff account (from the command line:
they decide who holds people's data, so no web form makes them). An admin who signed in landed
on the public home page, with "Sign up to cook" and nothing of theirs (a browser walk)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, func, select

from app.deps import SessionDep, SettingsDep
from app.errors import Forbidden
from app.models import Cook, Council, Diner, User
from app.pages.cook_forms import redirect, to_sign_in
from app.pages.forms import render_page, signed_in
from app.routing import DeferredRoute
from app.vocab import CookStatus, DinerStatus

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)


@dataclass(frozen=True, slots=True)
class CouncilRow:
    name: str
    slug: str
    areas: str  # the ONS local authority codes it covers
    staff: list[tuple[str, str]]  # (full name, email) of its active staff
    cooks: int  # approved
    diners: int  # not left


def councils_overview(session: Session) -> list[CouncilRow]:
    """Every council, by name, with its staff and its approved cooks and current diners."""
    cooks = dict(
        session.exec(
            select(Cook.council_id, func.count())
            .where(Cook.status == CookStatus.approved)
            .group_by(col(Cook.council_id))
        ).all()
    )
    diners = dict(
        session.exec(
            select(Diner.council_id, func.count())
            .where(Diner.status != DinerStatus.left)
            .group_by(col(Diner.council_id))
        ).all()
    )
    staff: dict[int, list[tuple[str, str]]] = {}
    for council_id, name, email in session.exec(
        select(User.council_id, User.full_name, User.email)
        .where(User.role == "staff", col(User.is_active).is_(True))
        .order_by(col(User.full_name), col(User.id))
    ).all():
        if council_id is not None:
            staff.setdefault(council_id, []).append((name, email))
    return [
        CouncilRow(
            name=c.name,
            slug=c.slug,
            areas=", ".join(c.lad_codes),
            staff=staff.get(c.id or 0, []),
            cooks=cooks.get(c.id or 0, 0),
            diners=diners.get(c.id or 0, 0),
        )
        for c in session.exec(select(Council).order_by(col(Council.name))).all()
    ]


@router.get("/admin", include_in_schema=False)
def no_slash() -> Response:
    return redirect("/admin/")


@router.get("/admin/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    auth = signed_in(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    if auth.user.role != "admin":
        raise Forbidden("Only the installation's administrator sees this page")
    context = {"title": "Councils on this installation", "councils": councils_overview(session)}
    return render_page(request, session, settings, "admin/home.html", context, auth=auth)
