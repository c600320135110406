"""Masking of personal data in free text before it is scored or stored.

``mask_personal_data`` replaces e-mail addresses, IBANs (mod-97 checksum validated), payment card
numbers (Luhn checked), phone numbers and account numbers with a placeholder such as ``[EMAIL]``.
Order matters: the most specific, validated patterns run first so a card number is never reported
as a phone number. Over-masking a long bare digit run is preferred to leaking an account number.
"""

from __future__ import annotations

import re

EMAIL = "[EMAIL]"
IBAN = "[IBAN]"
CARD = "[CARD]"
PHONE = "[PHONE]"
ACCOUNT = "[ACCOUNT]"

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
# Printed (groups of four, spaces) or electronic (no spaces) form; checked with ISO 13616 mod 97.
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")
_CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE_RE = re.compile(r"(?<![\w+.,/-])(?:\+|\(\+?)?\d[\d ().\-/]{5,22}\d(?![\w/-]|[.,]\d)")
_NANP_RE = re.compile(r"^\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}$")
_DATE_RE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_ACCOUNT_KEYWORD_RE = re.compile(
    r"(?i)\b(?:bank\s+)?(?:account|acct|a/c|acc|konto|kontonummer)\b\.?(?:\s*(?:no|nr|number|num|#)\b\.?)?[\s:#.-]*"
    r"(\d[\d -]{4,28}\d)(?![\w])"
)
_LONG_DIGITS_RE = re.compile(r"(?<![\w.,])\d{10,20}(?![\w]|[.,]\d)")


def luhn_valid(digits: str) -> bool:
    """True when a string of digits passes the Luhn checksum used by payment cards."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """True for an IBAN (spaces allowed) whose ISO 13616 mod-97 checksum is 1."""
    iban = candidate.replace(" ", "").upper()
    if not (15 <= len(iban) <= 34) or not iban[:2].isalpha() or not iban[2:4].isdigit() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _mask_iban(match: re.Match) -> str:
    text = match.group(0)
    # The pattern is greedy and may take a following word; shorten token by token until it validates.
    parts = text.split(" ")
    for end in range(len(parts), 0, -1):
        candidate = " ".join(parts[:end])
        if iban_valid(candidate):
            rest = text[len(candidate) :]
            return IBAN + rest
    return text


def _mask_card(match: re.Match) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return CARD if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _mask_phone(match: re.Match) -> str:
    text = match.group(0).strip()
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15 or _DATE_RE.match(text):
        return match.group(0)
    international = text.startswith(("+", "(+", "00"))
    trunk = text.startswith("0") or text.startswith("(0")
    separated = len(re.findall(r"[ ().\-/]", text)) >= 1
    if international or (trunk and separated and len(digits) >= 8) or _NANP_RE.match(text):
        return PHONE
    return match.group(0)


def _mask_account(match: re.Match) -> str:
    start, end = match.span(1)
    whole_start = match.start(0)
    text = match.group(0)
    return text[: start - whole_start] + ACCOUNT + text[end - whole_start :]


def mask_personal_data(text: str) -> str:
    """``text`` with e-mail addresses, IBANs, card numbers, phone numbers and account numbers replaced
    by ``[EMAIL]``, ``[IBAN]``, ``[CARD]``, ``[PHONE]`` and ``[ACCOUNT]``. Non-strings give ``""``."""
    if not isinstance(text, str) or not text:
        return "" if not isinstance(text, str) else text
    if not any(ch.isdigit() or ch == "@" for ch in text):
        return text  # fast path: nothing below can match
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _IBAN_RE.sub(_mask_iban, text)
    text = _CARD_RE.sub(_mask_card, text)
    text = _ACCOUNT_KEYWORD_RE.sub(_mask_account, text)
    text = _PHONE_RE.sub(_mask_phone, text)
    text = _LONG_DIGITS_RE.sub(ACCOUNT, text)
    return text
