"""The audit log page's details in words (an outside check read "Suspend cook: True",
"Fields: access_notes", "DBS checked on: 2025-05-14")."""

from __future__ import annotations

from app.moderation.audit_log import detail_words


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
