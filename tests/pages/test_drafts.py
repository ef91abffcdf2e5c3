"""Form drafts (answers so far of a multi-step journey) and the waiting list's email."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.db import utcnow
from app.models import AreaDemand, FormDraft
from app.pages import drafts
from app.privacy.waiting_list import join_waiting_list
from tests.factories import auth_headers, create_council, create_user, signed_up_cook


def test_draft_gives_back_the_answers_when_saved_and_loaded(session: Session):
    drafts.save(session, "user:1", "cook", {"phone": "12345", "days": [1, 3]})
    drafts.update(session, "user:1", "cook", {"postcode": "N3 1HT"})
    assert drafts.load(session, "user:1", "cook") == {
        "phone": "12345",
        "days": [1, 3],
        "postcode": "N3 1HT",
    }
    assert drafts.load(session, "user:2", "cook") == {}
    assert drafts.load(session, "user:1", "carer") == {}


def test_draft_is_gone_when_cleared(session: Session):
    drafts.save(session, "user:1", "cook", {"phone": "12345"})
    drafts.clear(session, "user:1", "cook")
    assert drafts.load(session, "user:1", "cook") == {}
    assert session.exec(select(FormDraft)).all() == []


def test_old_drafts_are_pruned_when_another_is_saved(session: Session):
    long_ago = utcnow() - drafts.MAX_AGE - timedelta(minutes=1)
    drafts.save(session, "user:1", "cook", {"phone": "12345"}, now=long_ago)
    assert drafts.load(session, "user:1", "cook") == {}  # too old to show
    drafts.save(session, "user:2", "cook", {"phone": "07700 900123"})
    assert [d.owner for d in session.exec(select(FormDraft)).all()] == ["user:2"]


def test_anonymous_draft_follows_the_person_when_they_make_an_account(session: Session):
    drafts.save(session, "anon:abc", "cook", {"postcode": "N3 1HT"})
    drafts.move(session, "anon:abc", "user:7", "cook")
    assert drafts.load(session, "user:7", "cook") == {"postcode": "N3 1HT"}
    assert drafts.load(session, "anon:abc", "cook") == {}


def test_waiting_list_email_is_scrubbed_when_the_person_is_erased(
    client: TestClient, session: Session, settings: Settings
):
    barnet = create_council(session, slug="barnet", lad_codes=["E09000003"])
    user, cook_id = signed_up_cook(client, session, settings)
    join_waiting_list(session, district="M1", role="cook", email=user.email.upper())
    staff = create_user(session, role="staff", council=barnet)
    response = client.post(
        f"/api/staff/cooks/{cook_id}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )
    assert response.status_code == 200, response.text
    demand = session.exec(select(AreaDemand).where(AreaDemand.district == "M1")).one()
    assert (demand.email, demand.consented_at) == (None, None)
    assert demand.role == "cook"  # the district stays, as anonymous demand


def test_a_draft_in_another_alphabet_is_kept_as_long_as_one_in_english(session: Session):
    # Counted as escaped ASCII, 4,000 Polish letters were 24,000 bytes, and refused with a bare
    # "too large" page where English text of the same length got the fields' own messages.
    answers = {"full_name": "Zofia " + "ł" * 1994, "address_line": "ż" * 2000}
    drafts.save(session, "user:1", "carer", answers)
    assert drafts.load(session, "user:1", "carer") == answers
