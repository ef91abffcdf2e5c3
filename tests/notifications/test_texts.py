"""Counting a text in SMS fragments, and a reminder that fits one (pure)."""

from __future__ import annotations

import pytest

from app.notifications.texts import fits_one_fragment, sms_length, sms_text

REMINDER_BODY = "A reminder for tomorrow. Print the label from your meals page."


@pytest.mark.parametrize(
    ("text", "encoding", "units", "fragments"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),  # then 153 a fragment
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("£ é Ä ñ @ _ ¿" + "a" * 147, "GSM-7", 160, 1),  # GSM-7's own letters
        ("€" * 80, "GSM-7", 160, 1),  # an extension character takes two places
        ("[" * 81, "GSM-7", 162, 2),
        ("Zoë" + "a" * 67, "UCS-2", 70, 1),  # ë is not GSM-7: 70 a fragment
        ("Zoë" + "a" * 68, "UCS-2", 71, 2),  # then 67
        ("Zoë" + "a" * 131, "UCS-2", 134, 2),
        ("Zoë" + "a" * 132, "UCS-2", 135, 3),
        ("🙂" * 35, "UCS-2", 70, 1),  # outside the BMP: two UTF-16 units each
    ],
)
def test_sms_length_counts_encoding_and_fragments_when_given_a_text(
    text: str, encoding: str, units: int, fragments: int
):
    length = sms_length(text)

    assert (length.encoding, length.units, length.fragments) == (encoding, units, fragments)


def test_reminder_keeps_its_whole_text_when_it_fits_one_gsm_fragment():
    text = sms_text("meal_reminder", "Tomorrow: a meal for Edna at 17:30", REMINDER_BODY)

    assert text == f"Tomorrow: a meal for Edna at 17:30. {REMINDER_BODY}"
    assert sms_length(text).fragments == 1


def test_reminder_is_shortened_to_one_fragment_when_a_name_switches_to_ucs2():
    whole = f"Tomorrow: a meal for Zoë at 17:30. {REMINDER_BODY}"
    assert sms_length(whole).fragments == 2  # 97 UCS-2 units

    text = sms_text("meal_reminder", "Tomorrow: a meal for Zoë at 17:30", REMINDER_BODY)

    assert text == "Tomorrow: a meal for Zoë at 17:30"
    assert fits_one_fragment(text)


def test_reminder_is_cut_to_one_fragment_when_even_its_subject_is_too_long():
    subject = "Tomorrow: a meal for Zoë-Anastasia-Wilhelmina-Maximiliana-Bartholomew at 17:30"

    text = sms_text("meal_reminder", subject, REMINDER_BODY)

    assert fits_one_fragment(text) and text.endswith("...")
    assert text.startswith("Tomorrow: a meal for Zoë")


def test_other_texts_keep_every_word_when_they_take_two_fragments():
    body = "Priya will bring Zoë's meal at 17:30."

    text = sms_text("cover_arranged", "Cover arranged for Tuesday 8 December", body)

    assert text == f"Cover arranged for Tuesday 8 December. {body}"
    assert sms_length(text).fragments == 2
