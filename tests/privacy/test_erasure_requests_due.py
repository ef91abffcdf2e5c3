"""When a request to be erased is due: a calendar month after it (UK GDPR), not 30 days."""

from __future__ import annotations

from datetime import date

import pytest

from app.privacy.erasure_requests import erase_by


@pytest.mark.parametrize(
    ("asked", "due"),
    [
        (date(2027, 1, 31), date(2027, 2, 28)),  # a review: 30 days said 2 March
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 2), date(2027, 1, 2)),
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2027, 3, 31), date(2027, 4, 30)),
        (date(2027, 6, 15), date(2027, 7, 15)),
    ],
)
def test_an_erasure_is_due_a_calendar_month_after_it_was_asked_for(asked: date, due: date):
    assert erase_by(asked) == due
