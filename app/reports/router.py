"""HTTP routes for the council's reports, as JSON and as CSV downloads (definitions in
app.reports.service)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from app.db import utcnow
from app.deps import SessionDep, StaffUser
from app.reports import service
from app.reports.figures import CsvFile
from app.reports.schemas import MapOut, SummaryOut, UnmatchedOut, WeeklyOut
from app.routing import DeferredRoute
from app.schemas import Limit, Offset, Page

router = APIRouter(prefix="/api/staff/reports", tags=["staff"], route_class=DeferredRoute)


async def report_time() -> datetime:
    """The moment the figures are computed for (a dependency, so tests can fix it; async: no
    thread hop for it)."""
    return utcnow()


Now = Annotated[datetime, Depends(report_time)]
Weeks = Annotated[
    int,
    Query(ge=1, le=service.WEEKS_MAX, description="how many ISO weeks, ending with this one"),
]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "A CSV file"}
}


def _csv(file: CsvFile) -> Response:
    return Response(
        content=file.text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


@router.get("/summary", response_model=SummaryOut)
def summary(user: StaffUser, session: SessionDep, now: Now) -> SummaryOut:
    return service.summarise_council(session, staff=user, now=now)


@router.get("/summary.csv", response_class=Response, responses=CSV_RESPONSE)
def summary_csv(user: StaffUser, session: SessionDep, now: Now) -> Response:
    return _csv(service.summary_csv(session, staff=user, now=now))


@router.get("/weekly", response_model=WeeklyOut)
def weekly(
    user: StaffUser, session: SessionDep, now: Now, weeks: Weeks = service.WEEKS_DEFAULT
) -> WeeklyOut:
    return service.weekly_council(session, staff=user, weeks=weeks, now=now)


@router.get("/weekly.csv", response_class=Response, responses=CSV_RESPONSE)
def weekly_csv(
    user: StaffUser, session: SessionDep, now: Now, weeks: Weeks = service.WEEKS_DEFAULT
) -> Response:
    return _csv(service.weekly_csv(session, staff=user, weeks=weeks, now=now))


@router.get("/unmatched", response_model=Page[UnmatchedOut])
def unmatched(
    user: StaffUser, session: SessionDep, now: Now, limit: Limit = 50, offset: Offset = 0
) -> Page[UnmatchedOut]:
    return service.list_unmatched(session, staff=user, now=now, limit=limit, offset=offset)


@router.get("/unmatched.csv", response_class=Response, responses=CSV_RESPONSE)
def unmatched_csv(user: StaffUser, session: SessionDep, now: Now) -> Response:
    return _csv(service.unmatched_csv(session, staff=user, now=now))


@router.get("/map", response_model=MapOut)
def council_map(user: StaffUser, session: SessionDep, now: Now) -> MapOut:
    """Approved cooks and waiting diners for the map, rounded to about 100 m."""
    return service.council_map(session, staff=user, now=now)
