"""Staff's cook pages with JavaScript off (TestClient posts the forms as a browser does): the
list's search, filters, order and paging, scoped to the council; a cook's record (audited)
with its vetting forms: every error at once, the service's own refusal beside its field, and
after approval only the success banner."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.councils.rules import council_today
from app.models import AuditEntry, Cook, Council, Meal, Neighbourhood, Pairing, User
from app.vocab import CookStatus
from tests.factories import (
    DEFAULT_PASSWORD,
    active_pairing,
    auth_headers,
    create_user,
    registered_diner,
    signed_up_cook,
)
from tests.pages.helpers import form_token, marked_boxes, textarea, title


def sign_in(client: TestClient, user: User) -> None:
    token = form_token(client, "/sign-in")
    data = {"email": user.email, "password": DEFAULT_PASSWORD, "next": "", "csrf_token": token}
    response = client.post("/sign-in", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text


def add_cook(
    session: Session,
    council: Council,
    *,
    full_name: str = "Priya Shah",
    email: str | None = None,
    phone: str = "+442079460018",
    postcode: str = "N3 1HT",
    status: CookStatus = CookStatus.approved,
    days_ago: int = 10,
    dbs_checked_on: date | None = None,
    neighbourhood: Neighbourhood | None = None,
    location_review: bool = False,
) -> Cook:
    """A cook written straight to the tables (the list tests need many)."""
    user = create_user(session, role="cook", email=email, full_name=full_name)
    cook = Cook(
        user_id=user.id,  # type: ignore[arg-type]
        council_id=council.id,  # type: ignore[arg-type]
        neighbourhood_id=neighbourhood.id if neighbourhood else None,
        display_name=full_name.split()[0],
        phone=phone,
        address_line="12 Example Road",
        postcode=postcode,
        latitude=51.6,
        longitude=-0.19,
        geo_precision="unit",
        walk_radius_m=1500,
        max_diners=2,
        frequencies=["weekly"],
        diets=[],
        allergen_free=[],
        textures=["regular"],
        availability=[{"weekday": 1, "start": "17:00", "end": "19:00"}],
        status=status,
        dbs_checked_on=dbs_checked_on,
        dbs_level="enhanced" if dbs_checked_on else None,
        location_review=location_review,
        created_at=datetime.now(UTC) - timedelta(days=days_ago),
    )
    session.add(cook)
    session.flush()
    return cook


def names(html: str) -> list[str]:
    """The cooks listed, in order."""
    return [
        html_lib.unescape(n)
        for n in re.findall(r'<a class="govuk-link" href="/staff/cooks/\d+">([^<]+)</a>', html)
    ]


def summary(html: str) -> list[tuple[str, str]]:
    found = re.search(r'class="govuk-error-summary.*?</ul>', html, re.DOTALL)
    assert found, "no error summary"
    links = re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', found.group())
    return [(href, html_lib.unescape(text)) for href, text in links]


def post(client: TestClient, path: str, data: dict[str, object], page: str):
    token = form_token(client, page)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


@pytest.fixture
def signed_in(client: TestClient, staff: User) -> TestClient:
    sign_in(client, staff)
    return client


# --- the list ------------------------------------------------------------------------------


def test_list_shows_full_name_contact_and_neighbourhood_once_when_staff_look(
    signed_in: TestClient, session: Session, barnet: Council
):
    hood = Neighbourhood(council_id=barnet.id, name="Edgware (HA8)", sectors=["HA8 7"])
    session.add(hood)
    session.flush()
    add_cook(session, barnet, full_name="Priya Shah", email="priya@example.org",
             postcode="HA8 7AB", neighbourhood=hood)  # fmt: skip
    page = signed_in.get("/staff/cooks")
    assert page.status_code == 200
    assert title(page) == "Cooks – Extra Portion"
    assert names(page.text) == ["Priya Shah"]
    assert "priya@example.org" in page.text and "020 7946 0018" in page.text
    assert "Edgware (HA8)" in page.text and "HA8 (Edgware" not in page.text


@pytest.mark.parametrize(
    "q",
    ["priya", "SHAH", "Priya Shah", "priya.s@EXAMPLE.org", "020 7946 0018", "+44 20 7946 0018",
     "79460018", "ha8 7ab", "HA87AB", "ha8"],
)  # fmt: skip
def test_search_finds_the_cook_when_given_name_email_phone_or_postcode(
    signed_in: TestClient, session: Session, barnet: Council, q: str
):
    add_cook(session, barnet, full_name="Priya Shah", email="priya.s@example.org",
             postcode="HA8 7AB")  # fmt: skip
    add_cook(session, barnet, full_name="Naomi Clarke", email="naomi@example.org",
             phone="+447700900982", postcode="N3 1HT")  # fmt: skip
    page = signed_in.get("/staff/cooks", params={"q": q})
    assert names(page.text) == ["Priya Shah"], q


def test_search_says_nothing_matches_when_no_cook_does(
    signed_in: TestClient, session: Session, barnet: Council
):
    add_cook(session, barnet, full_name="Priya Shah")
    page = signed_in.get("/staff/cooks", params={"q": "zebedee%"})
    assert names(page.text) == []
    assert "No cooks match" in page.text and "Clear search and filters" in page.text


def test_status_filter_lists_only_that_status_oldest_first_when_pending(
    signed_in: TestClient, session: Session, barnet: Council
):
    add_cook(session, barnet, full_name="Amy Approved", status=CookStatus.approved)
    add_cook(session, barnet, full_name="Wendy Newer", status=CookStatus.pending, days_ago=3)
    add_cook(session, barnet, full_name="Olive Older", status=CookStatus.pending, days_ago=40)
    page = signed_in.get("/staff/cooks", params={"status": "pending"})
    assert title(page) == "Cooks waiting for checks – Extra Portion"
    assert names(page.text) == ["Olive Older", "Wendy Newer"]
    assert "waiting 40 days" in page.text and "waiting 3 days" in page.text
    newest = signed_in.get("/staff/cooks", params={"status": "pending", "sort": "newest"})
    assert names(newest.text) == ["Wendy Newer", "Olive Older"]
    by_name = signed_in.get("/staff/cooks", params={"status": "pending", "sort": "name"})
    assert names(by_name.text) == ["Olive Older", "Wendy Newer"]


def test_suspended_filter_lists_only_suspended_when_asked(
    signed_in: TestClient, session: Session, barnet: Council
):
    add_cook(session, barnet, full_name="Amy Approved")
    add_cook(session, barnet, full_name="Sue Suspended", status=CookStatus.suspended)
    add_cook(session, barnet, full_name="Rita Rejected", status=CookStatus.rejected)
    assert names(signed_in.get("/staff/cooks?status=suspended").text) == ["Sue Suspended"]
    assert names(signed_in.get("/staff/cooks?status=rejected").text) == ["Rita Rejected"]
    # Anything not understood is no filter; with none, everyone by name.
    assert names(signed_in.get("/staff/cooks?status=nonsense").text) == [
        "Amy Approved", "Rita Rejected", "Sue Suspended"]  # fmt: skip


def test_area_filter_lists_only_that_neighbourhood_when_chosen(
    signed_in: TestClient, session: Session, barnet: Council
):
    finchley = Neighbourhood(council_id=barnet.id, name="Finchley (N3)", sectors=["N3 1"])
    edgware = Neighbourhood(council_id=barnet.id, name="Edgware (HA8)", sectors=["HA8 7"])
    session.add_all([finchley, edgware])
    session.flush()
    add_cook(session, barnet, full_name="Fay Finchley", neighbourhood=finchley)
    add_cook(session, barnet, full_name="Ed Edgware", neighbourhood=edgware, postcode="HA8 7AB")
    page = signed_in.get("/staff/cooks", params={"area": str(edgware.id)})
    assert names(page.text) == ["Ed Edgware"]
    assert f'<option value="{edgware.id}" selected>Edgware (HA8)</option>' in page.text


def test_checks_filter_lists_dbs_running_out_within_30_days_when_ticked(
    signed_in: TestClient, session: Session, barnet: Council
):
    today = council_today(barnet)
    interval = barnet.dbs_recheck_days
    add_cook(session, barnet, full_name="Fresh Check", dbs_checked_on=today - timedelta(days=30))
    add_cook(session, barnet, full_name="Soon Due",
             dbs_checked_on=today - timedelta(days=interval - 12))  # fmt: skip
    add_cook(session, barnet, full_name="Long Gone",
             dbs_checked_on=today - timedelta(days=interval + 5))  # fmt: skip
    add_cook(session, barnet, full_name="Never Checked", status=CookStatus.pending)
    page = signed_in.get("/staff/cooks", params={"checks": "expiring"})
    assert names(page.text) == ["Long Gone", "Soon Due"]
    assert "Runs out in 12 days" in page.text and "Ran out" in page.text


def test_location_filter_lists_cooks_flagged_for_review_when_ticked(
    signed_in: TestClient, session: Session, barnet: Council
):
    add_cook(session, barnet, full_name="Stay Put")
    add_cook(session, barnet, full_name="Moved House", location_review=True)
    page = signed_in.get("/staff/cooks", params={"location": "review"})
    assert names(page.text) == ["Moved House"]
    assert "Location to check" in page.text


def test_list_pages_by_25_keeping_the_filters_when_there_are_more(
    signed_in: TestClient, session: Session, barnet: Council
):
    for n in range(27):
        add_cook(session, barnet, full_name=f"Cook {n:02d}", status=CookStatus.pending,
                 days_ago=100 - n)  # fmt: skip
    first = signed_in.get("/staff/cooks", params={"status": "pending"})
    assert len(names(first.text)) == 25 and names(first.text)[0] == "Cook 00"
    assert "27 cooks (waiting for checks), showing 1 to 25" in first.text
    assert 'href="/staff/cooks?status=pending&amp;page=2"' in first.text
    second = signed_in.get("/staff/cooks", params={"status": "pending", "page": "2"})
    assert names(second.text) == ["Cook 25", "Cook 26"]
    beyond = signed_in.get("/staff/cooks", params={"status": "pending", "page": "99"})
    assert "27 cooks (waiting for checks), showing 26 to 27" in beyond.text  # the last page
    assert names(beyond.text) == ["Cook 25", "Cook 26"]


def test_list_never_shows_another_councils_cook_when_searching(
    signed_in: TestClient, session: Session, barnet: Council, tower_hamlets: Council
):
    add_cook(session, barnet, full_name="Priya Ours")
    add_cook(session, tower_hamlets, full_name="Priya Theirs", postcode="E1 6AN")
    assert names(signed_in.get("/staff/cooks").text) == ["Priya Ours"]
    assert names(signed_in.get("/staff/cooks?q=priya").text) == ["Priya Ours"]
    assert names(signed_in.get("/staff/cooks?q=E1 6AN").text) == []


def test_list_sends_to_sign_in_when_nobody_is_signed_in(client: TestClient):
    response = client.get("/staff/cooks?status=pending", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=%2Fstaff%2Fcooks")


def test_list_is_forbidden_when_a_cook_asks(client: TestClient, session: Session):
    sign_in(client, create_user(session, role="cook"))
    assert client.get("/staff/cooks").status_code == 403


def test_old_addresses_redirect_when_followed(client: TestClient):
    old = client.get("/staff/cooks.html?status=suspended", follow_redirects=False)
    assert old.status_code == 303 and old.headers["location"] == "/staff/cooks?status=suspended"
    one = client.get("/staff/cook.html?id=42", follow_redirects=False)
    assert one.headers["location"] == "/staff/cooks/42"


# --- the record ----------------------------------------------------------------------------


def test_record_shows_contact_checks_and_diners_when_staff_open_it(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    cook = session.get(Cook, world.cook_id)
    assert cook is not None
    sign_in(client, staff)
    page = client.get(f"/staff/cooks/{world.cook_id}")
    assert page.status_code == 200
    assert title(page) == f"{world.cook.full_name} – Extra Portion"
    assert world.cook.email in page.text and "020 7946 0018" in page.text
    assert "12 Example Road" in page.text and "N3 1HT" in page.text
    assert "Enhanced" in page.text and "Proof of identity seen" in page.text
    assert f'href="/staff/diners/{world.diner_id}">Edna Smith</a>' in page.text
    assert "Cooking</strong>" in page.text  # the pairing's status
    assert "Approved" in page.text and staff.full_name in page.text  # the history, by name
    assert "Suspend this cook" in page.text and "Approve this cook" not in page.text


def test_record_view_is_audited_when_staff_open_it(
    signed_in: TestClient, session: Session, barnet: Council, staff: User
):
    cook = add_cook(session, barnet)
    assert signed_in.get(f"/staff/cooks/{cook.id}").status_code == 200
    views = session.exec(
        select(AuditEntry).where(
            AuditEntry.action == "cook.viewed", AuditEntry.subject_id == cook.id
        )
    ).all()
    assert [(v.actor_id, v.council_id, v.subject_type) for v in views] == [
        (staff.id, barnet.id, "cook")
    ]
    # Not part of the cook's history (what happened to them).
    history = signed_in.get(f"/staff/cooks/{cook.id}").text.split('id="history"')[1]
    assert "Nothing has happened yet" in history


def test_record_is_404_when_the_cook_is_another_councils(
    signed_in: TestClient, session: Session, tower_hamlets: Council
):
    theirs = add_cook(session, tower_hamlets, postcode="E1 6AN")
    page = signed_in.get(f"/staff/cooks/{theirs.id}")
    assert page.status_code == 404
    assert "E1 6AN" not in page.text
    token = form_token(signed_in, "/staff/cooks")
    refused = signed_in.post(f"/staff/cooks/{theirs.id}/suspend",
                             data={"reason": "x", "csrf_token": token})  # fmt: skip
    assert refused.status_code == 404
    assert session.get(Cook, theirs.id).status == CookStatus.approved  # type: ignore[union-attr]


def test_record_highlights_the_dbs_expiry_when_within_30_days(
    signed_in: TestClient, session: Session, barnet: Council
):
    today = council_today(barnet)
    cook = add_cook(session, barnet,
                    dbs_checked_on=today - timedelta(days=barnet.dbs_recheck_days - 9))  # fmt: skip
    page = signed_in.get(f"/staff/cooks/{cook.id}")
    assert "Runs out in 9 days" in page.text
    assert "Record renewed checks" in page.text  # an approved cook's new checks


# --- vetting -------------------------------------------------------------------------------


@pytest.fixture
def pending(client: TestClient, session: Session, settings: Settings) -> int:
    _, cook_id = signed_up_cook(client, session, settings)
    return cook_id


def test_approve_lists_every_error_at_once_when_date_and_both_checks_are_missing(
    signed_in: TestClient, session: Session, pending: int
):
    path = f"/staff/cooks/{pending}"
    response = post(signed_in, f"{path}/approve", {"dbs_level": "enhanced"}, page=path)
    assert response.status_code == 422
    assert title(response).startswith("Error: ")
    assert summary(response.text) == [
        ("#dbs_checked_on-day", "Enter the date on the DBS certificate"),
        ("#id_checked", "Select that you have seen proof of their identity"),
        ("#hygiene_ack",
         "Select that they have read the food hygiene guidance and agreed to follow it"),
    ]  # fmt: skip
    for field in ("dbs_checked_on", "id_checked", "hygiene_ack"):
        assert f'id="{field}-error"' in response.text, field
    assert 'value="enhanced" checked' in response.text  # what was chosen is kept
    assert session.get(Cook, pending).status == CookStatus.pending  # type: ignore[union-attr]


def test_approve_shows_the_councils_rules_beside_their_fields_with_the_missing_ones(
    signed_in: TestClient, session: Session, pending: int, barnet: Council
):
    old = council_today(barnet) - timedelta(days=barnet.dbs_recheck_days + 10)
    path = f"/staff/cooks/{pending}"
    data = {"dbs_checked_on-day": old.day, "dbs_checked_on-month": old.month,
            "dbs_checked_on-year": old.year, "dbs_level": "basic", "id_checked": "yes"}  # fmt: skip
    response = post(signed_in, f"{path}/approve", data, page=path)
    assert response.status_code == 422
    assert [href for href, _ in summary(response.text)] == [
        "#dbs_checked_on-day", "#dbs_level", "#hygiene_ack"]  # fmt: skip
    assert marked_boxes(response.text) == [  # a rule's: the date as a whole
        "dbs_checked_on-day", "dbs_checked_on-month", "dbs_checked_on-year"]  # fmt: skip
    text = html_lib.unescape(response.text)
    assert barnet.dbs_recheck_days == 1095
    assert "The DBS check is older than 3 years: a new check is needed" in text
    assert "The DBS check must be enhanced or higher for this council" in text
    assert f'name="dbs_checked_on-year" type="text" value="{old.year}"' in response.text


def test_approve_links_the_date_error_to_the_year_box_when_only_the_year_is_wrong(
    signed_in: TestClient, session: Session, pending: int
):
    # The link went to the day box, and all three boxes were red (GOV.UK: the wrong box only).
    checked = date.today() - timedelta(days=30)
    path = f"/staff/cooks/{pending}"
    data = {"dbs_checked_on-day": checked.day, "dbs_checked_on-month": checked.month,
            "dbs_checked_on-year": "20x6", "dbs_level": "enhanced",
            "id_checked": "yes", "hygiene_ack": "yes"}  # fmt: skip
    response = post(signed_in, f"{path}/approve", data, page=path)
    assert response.status_code == 422
    assert summary(response.text) == [
        ("#dbs_checked_on-year", "The date on the DBS certificate must be a real date")
    ]
    assert marked_boxes(response.text) == ["dbs_checked_on-year"]
    assert session.get(Cook, pending).status == CookStatus.pending  # type: ignore[union-attr]


def test_approve_shows_only_the_banner_and_no_form_when_it_succeeds(
    signed_in: TestClient, session: Session, pending: int, staff: User
):
    path = f"/staff/cooks/{pending}"
    checked = date.today() - timedelta(days=30)
    data = {"dbs_checked_on-day": checked.day, "dbs_checked_on-month": checked.month,
            "dbs_checked_on-year": checked.year, "dbs_level": "enhanced",
            "id_checked": "yes", "hygiene_ack": "yes"}  # fmt: skip
    response = post(signed_in, f"{path}/approve", data, page=path)
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=approved"
    page = signed_in.get(response.headers["location"])
    assert "govuk-notification-banner--success" in page.text
    assert "The cook is approved" in page.text
    assert "govuk-error-summary" not in page.text and "There is a problem" not in page.text
    assert f'action="{path}/approve"' not in page.text
    cook = session.get(Cook, pending)
    assert cook is not None and cook.status == CookStatus.approved
    assert cook.dbs_checked_on == checked and cook.id_checked and cook.hygiene_ack
    actions = session.exec(
        select(AuditEntry.action, AuditEntry.actor_id).where(
            AuditEntry.subject_id == pending, col(AuditEntry.action) == "cook.approved"
        )
    ).all()
    assert actions == [("cook.approved", staff.id)]


def test_reject_requires_a_reason_when_left_empty(
    signed_in: TestClient, session: Session, pending: int
):
    path = f"/staff/cooks/{pending}"
    response = post(signed_in, f"{path}/reject", {"reason": "   "}, page=path)
    assert response.status_code == 422
    assert summary(response.text) == [("#reject-reason", "Enter why the cook is not approved")]
    assert 'id="reject-reason-error"' in response.text
    assert session.get(Cook, pending).status == CookStatus.pending  # type: ignore[union-attr]


def test_a_reason_over_the_limit_comes_back_whole_beside_its_error(
    signed_in: TestClient, session: Session, pending: int
):
    # Past 1,000 characters it came back cut, and the character count said too little.
    path = f"/staff/cooks/{pending}"
    response = post(signed_in, f"{path}/reject", {"reason": "No references. " * 80}, page=path)
    assert response.status_code == 422
    assert summary(response.text) == [
        ("#reject-reason", "The reason must be 500 characters or fewer")
    ]
    assert textarea(response.text, "reason") == ("No references. " * 80).strip()


def test_reject_then_reinstate_record_the_reason_and_history_when_given(
    signed_in: TestClient, session: Session, pending: int, staff: User
):
    path = f"/staff/cooks/{pending}"
    response = post(signed_in, f"{path}/reject", {"reason": "No references"}, page=path)
    assert response.headers["location"] == f"{path}?done=rejected"
    page = signed_in.get(response.headers["location"])
    assert "Not approved" in page.text and "Reason: No references" in page.text
    assert "Reinstate this cook" in page.text and "Approve this cook" not in page.text
    again = post(signed_in, f"{path}/reinstate", {"reason": "References came"}, page=path)
    assert again.headers["location"] == f"{path}?done=reinstated"
    cook = session.get(Cook, pending)
    assert cook is not None and cook.status == CookStatus.pending
    history = signed_in.get(path).text.split('id="history"')[1]
    assert history.index("Reinstated") < history.index("Not approved")
    assert history.count(staff.full_name) == 2


def test_suspend_ends_the_cooking_and_offers_reinstating_when_reason_given(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    sign_in(client, staff)
    path = f"/staff/cooks/{world.cook_id}"
    response = post(client, f"{path}/suspend", {"reason": "Concern upheld"}, page=path)
    assert response.headers["location"] == f"{path}?done=suspended"
    page = client.get(response.headers["location"])
    assert "The cook is suspended" in page.text and "Reinstate this cook" in page.text
    assert "Ended</strong>" in page.text and "The cook was suspended" in page.text


def test_a_suspended_cooks_record_says_they_asked_to_stop(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    sign_in(client, staff)
    path = f"/staff/cooks/{world.cook_id}"
    post(client, f"{path}/suspend", {"reason": "Concern upheld"}, page=path)
    assert 'id="stopped"' not in client.get(path).text
    cook = session.get(Cook, world.cook_id)
    assert cook is not None
    stopped = client.post(
        "/api/cooks/me/stop",
        json={"reason": "moving away"},
        headers=auth_headers(session.get(User, cook.user_id), settings),  # type: ignore[arg-type]
    )
    assert stopped.status_code == 200, stopped.text
    page = client.get(path).text
    assert "They asked to stop on" in page and "lifting the decision will not ask them" in page


def test_a_signed_in_form_takes_only_the_sessions_token_not_one_from_a_chosen_form_cookie(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Someone able to set a cookie for the site chose the form cookie, read its token from a
    signed-out form, and with it suspended a cook in a staff member's browser (an outside
    security check reproduced it)."""
    world = active_pairing(client, session, settings, staff)
    client.cookies.set("portion_form", "attacker-chosen-value-123456789012")
    chosen = form_token(client, "/forgotten-password")  # signed out: the form cookie's token
    sign_in(client, staff)
    path = f"/staff/cooks/{world.cook_id}"

    forged = client.post(
        f"{path}/suspend", data={"reason": "x", "csrf_token": chosen}, follow_redirects=False
    )

    assert forged.status_code == 403
    cook = session.get(Cook, world.cook_id)
    assert cook is not None
    session.refresh(cook)
    assert cook.status == CookStatus.approved
    assert post(client, f"{path}/suspend", {"reason": "x"}, page=path).status_code == 303


def test_the_history_keeps_why_a_cook_was_suspended_after_they_are_reinstated(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """After reinstating, the history said only "Suspended": the reason was overwritten by
    the reinstatement's (an outside check). Who was suspended, and why, must stay findable."""
    world = active_pairing(client, session, settings, staff)
    sign_in(client, staff)
    path = f"/staff/cooks/{world.cook_id}"
    post(client, f"{path}/suspend", {"reason": "Retraining needed"}, page=path)
    post(client, f"{path}/reinstate", {"reason": "Retraining done"}, page=path)

    history = html_lib.unescape(client.get(path).text.split('id="history"')[1])

    assert "Reason: Retraining done" in history and "Reason: Retraining needed" in history
    assert history.index("Retraining done") < history.index("Retraining needed")


def test_confirm_location_clears_the_flag_when_staff_confirm(
    signed_in: TestClient, session: Session, barnet: Council
):
    cook = add_cook(session, barnet, location_review=True)
    path = f"/staff/cooks/{cook.id}"
    assert "Confirm their new location" in signed_in.get(path).text
    response = post(signed_in, f"{path}/confirm-location", {}, page=path)
    assert response.headers["location"] == f"{path}?done=location"
    session.refresh(cook)
    assert cook.location_review is False
    assert "Confirm their new location" not in signed_in.get(path).text


def test_vetting_form_is_refused_when_the_token_is_missing(
    signed_in: TestClient, session: Session, pending: int
):
    response = signed_in.post(f"/staff/cooks/{pending}/reject", data={"reason": "x"})
    assert response.status_code == 403
    assert session.get(Cook, pending).status == CookStatus.pending  # type: ignore[union-attr]


def test_suspend_requires_a_reason_and_opens_its_form_when_left_empty(
    signed_in: TestClient, session: Session, barnet: Council
):
    cook = add_cook(session, barnet)
    path = f"/staff/cooks/{cook.id}"
    assert '<details class="govuk-details" id="suspend">' in signed_in.get(path).text  # folded
    response = post(signed_in, f"{path}/suspend", {"reason": ""}, page=path)
    assert response.status_code == 422
    assert summary(response.text) == [("#suspend-reason", "Enter why the cook is suspended")]
    assert '<details class="govuk-details" id="suspend" open>' in response.text
    session.refresh(cook)
    assert cook.status == CookStatus.approved


def test_renewed_checks_are_recorded_when_an_approved_cooks_dbs_runs_out_soon(
    signed_in: TestClient, session: Session, barnet: Council
):
    today = council_today(barnet)
    cook = add_cook(session, barnet,
                    dbs_checked_on=today - timedelta(days=barnet.dbs_recheck_days - 5))  # fmt: skip
    path = f"/staff/cooks/{cook.id}"
    data = {"dbs_checked_on-day": today.day, "dbs_checked_on-month": today.month,
            "dbs_checked_on-year": today.year, "dbs_level": "enhanced_barred",
            "id_checked": "yes", "hygiene_ack": "yes"}  # fmt: skip
    response = post(signed_in, f"{path}/approve", data, page=path)
    assert response.headers["location"] == f"{path}?done=rechecked"
    page = signed_in.get(response.headers["location"])
    assert "The new checks are recorded" in page.text and "Record renewed checks" not in page.text
    session.refresh(cook)
    assert cook.dbs_checked_on == today and cook.dbs_level == "enhanced_barred"


def test_second_reject_says_the_status_changed_when_the_cook_was_rejected_meanwhile(
    signed_in: TestClient, session: Session, pending: int
):
    path = f"/staff/cooks/{pending}"
    token = form_token(signed_in, path)
    data = {"reason": "No references", "csrf_token": token}
    assert signed_in.post(f"{path}/reject", data=data, follow_redirects=False).status_code == 303
    again = signed_in.post(f"{path}/reject", data=data, follow_redirects=False)
    assert again.status_code == 422
    assert summary(again.text) == [
        ("#status", "Only a pending cook can be rejected (this one is rejected)")
    ]
    assert 'id="status"' in again.text


def test_a_cooks_meals_on_the_same_day_are_listed_by_time(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Before, two meals of one day came in the order they were made: 19:00 before 17:30."""
    world = active_pairing(client, session, settings, staff)
    first = session.exec(select(Meal).where(Meal.pairing_id == world.pairing_id)).all()
    for meal in first:  # Edna's meals move to 19:00; a second diner's come at 17:30
        meal.start = "19:00"
        session.add(meal)
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    pairing.start = "19:00"  # 90 minutes clear of 17:30: the cook is not at two homes at once
    session.add(pairing)
    session.commit()
    _, second_diner = registered_diner(client, session, settings, full_name="Olive Brown")
    body = {"diner_id": second_diner, "cook_id": world.cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    proposed = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert proposed.status_code == 201, proposed.text
    accepted = client.post(
        f"/api/pairings/{proposed.json()['id']}/accept", headers=world.cook_headers
    )
    assert accepted.status_code == 200, accepted.text
    sign_in(client, staff)
    page = client.get(f"/staff/cooks/{world.cook_id}").text
    upcoming = page.split("Next meals</caption>")[1].split("</table>")[0]
    times = re.findall(r", (\d\d:\d\d)</th>", upcoming)
    assert times[:2] == ["17:30", "19:00"], times


def test_staff_erase_a_cook_from_their_record_once_they_tick_that_the_cook_asked(
    signed_in: TestClient, session: Session, barnet: Council
):
    """A data protection review: staff could erase a cook only through the API."""
    cook = add_cook(session, barnet)
    session.commit()
    page = f"/staff/cooks/{cook.id}"
    assert "Erase this cook’s details" in signed_in.get(page).text

    unticked = post(signed_in, f"{page}/erase", {}, page=page)
    assert unticked.status_code == 422
    assert summary(unticked.text) == [
        ("#confirm_erase", "Select that Priya asked for their details to be erased")
    ]
    done = post(signed_in, f"{page}/erase", {"confirm_erase": "yes"}, page=page)
    assert (done.status_code, done.headers["location"]) == (303, f"{page}?done=erased")
    after = signed_in.get(done.headers["location"]).text
    assert "The cook’s personal details are erased" in html_lib.unescape(after).replace("'", "’")
    assert "Their personal details were erased." in after and "Priya" not in after
    # Not a mailto link to the placeholder address, nor "their pairings have ended" of a
    # cook who had none (an outside check).
    assert "mailto:erased" not in after and "Any pairings they had have ended." in after
    session.refresh(cook)
    assert (cook.display_name, cook.status) == ("Erased", "left")


def test_a_searched_or_later_page_of_the_cook_list_says_so_in_its_title_and_nav(
    signed_in: TestClient, session: Session, barnet: Council
):
    """Every search and page of the list was titled "Cooks", and on its second page two links
    were the current page (a keyboard walk with a screen reader)."""
    for n in range(27):
        add_cook(session, barnet, full_name=f"Cook {n:02d}", email=f"cook{n}@example.org")
    first = signed_in.get("/staff/cooks")
    assert "<title>Cooks – Extra Portion</title>" in first.text
    assert re.search(r'href="/staff/cooks"\s*aria-current="page"', first.text)
    second = signed_in.get("/staff/cooks", params={"page": "2"})
    assert re.search(r"<title>Cooks, page 2 of 2 – Extra Portion</title>", second.text)
    assert re.search(r'href="/staff/cooks"\s*aria-current="true"', second.text)
    # A banner's parameter leaves the page itself (a review: "?done=" made it "true").
    banner = signed_in.get("/staff/cooks", params={"done": "approved"})
    assert re.search(r'href="/staff/cooks"\s*aria-current="page"', banner.text)
    searched = signed_in.get("/staff/cooks", params={"q": "Cook 1"})
    assert "<title>Cooks, 10 found – Extra Portion</title>" in searched.text
