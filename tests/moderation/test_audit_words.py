"""The audit log page's details in words (an outside check read "Suspend cook: True",
"Fields: access_notes", "DBS checked on: 2025-05-14")."""

from __future__ import annotations

import re
from pathlib import Path

from app.moderation.audit_log import ACTION_WORDS, detail_words
from app.moderation.service import COOK_VIEWED
from app.vocab import ConcernStatus

APP = Path(__file__).resolve().parents[2] / "app"


def test_details_read_as_words_not_as_stored_values():
    data = {
        "exclude_pair": False,
        "suspend_cook": True,
        "fields": ["access_notes", "postcode"],
        "dbs_checked_on": "2025-05-14",
        "cook_id": 7,  # the entry's subject names them already
        "note": None,
        "proposed": 3,
    }
    assert detail_words(data) == [
        ("Kept apart from now on", "No"),
        ("Cook suspended", "Yes"),
        ("What changed", "access notes, postcode"),
        ("DBS checked on", "14 May 2025"),
        ("Proposed", "3"),
    ]


def test_every_action_the_code_audits_has_words():
    """A walk read "Cook: viewed" and "Pairing: ended" on the audit log page: actions written
    with no words for them. Each action written as text in app/ (action="..." or "action":
    "..."), the concern statuses and the record's view, read as words."""
    written = {
        found
        for path in APP.rglob("*.py")
        for found in re.findall(r'(?:action=|"action": )"([a-z_.]+)"', path.read_text())
    }
    written |= {COOK_VIEWED} | {f"concern.{s}" for s in ConcernStatus if s != "open"}
    assert len(written) > 20  # the scan found the code's actions
    assert sorted(written - ACTION_WORDS.keys()) == []
