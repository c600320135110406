"""Masking of personal data: what is masked, what is left alone, checksums decide for cards and IBANs."""

import pytest

from core.privacy import iban_valid, luhn_valid, mask_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail me at john.doe+news@example.co.uk today", "Mail me at [EMAIL] today"),
        ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [IBAN] please"),
        ("pay to GB82WEST12345698765432.", "pay to [IBAN]."),
        ("card 4111 1111 1111 1111 expires", "card [CARD] expires"),
        ("card 5500-0000-0000-0004 expires", "card [CARD] expires"),
        ("call +44 20 7946 0958 now", "call [PHONE] now"),
        ("ring (555) 123-4567", "ring [PHONE]"),
        ("tel. 040 1234567", "tel. [PHONE]"),
        ("+1-202-555-0143", "[PHONE]"),
        ("account no. 12345678 was charged", "account no. [ACCOUNT] was charged"),
        ("acct #: 9876-5432-10", "acct #: [ACCOUNT]"),
        ("reference 1234567890123 received", "reference [ACCOUNT] received"),
    ],
)
def test_personal_data_is_masked(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Revenue rose 12.5% to EUR 1,234,567 in Q3 2024",
        "The meeting is on 2024-01-15 at 10:30",
        "born 12/05/1990, order 12345 shipped",
        "card 4111 1111 1111 1112 fails the Luhn check",  # not a valid card number
        "DE89 3704 0044 0532 0130 01 has a wrong checksum",  # not a valid IBAN
        "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn",
    ],
)
def test_ordinary_text_and_invalid_numbers_are_left_alone(text):
    assert mask_personal_data(text) == text


def test_checksums():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE89 3704 0044 0532 0130 01")
    assert iban_valid("gb82 west 1234 5698 7654 32")


def test_non_text_and_several_items_in_one_text():
    assert mask_personal_data(None) == "" and mask_personal_data("") == ""
    masked = mask_personal_data("a@b.io, b@c.org, IBAN FR14 2004 1010 0505 0001 3M02 606 and +358 40 1234567")
    assert masked == "[EMAIL], [EMAIL], IBAN [IBAN] and [PHONE]"
