"""Residents' personal data (PIPL): ID numbers and phones encrypted at rest, keyed hashes for
duplicate detection, masking for display.

The key comes from config (DATA_KEY). In development it is generated once into
``instance/data_key``; in production it must be given, and kept apart from database backups.
"""
import base64
import hashlib
import hmac
import re
import unicodedata
from datetime import date

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from .. import clock


def _keys():
    raw = current_app.config["DATA_KEY"].encode()
    # Two independent keys from one secret: one encrypts, one hashes.
    enc = hashlib.sha256(b"gridwalk-encrypt:" + raw).digest()
    mac = hashlib.sha256(b"gridwalk-hash:" + raw).digest()
    return Fernet(base64.urlsafe_b64encode(enc)), mac


def encrypt(value: str | None) -> str | None:
    if not value:
        return None
    return _keys()[0].encrypt(value.encode()).decode()


def decrypt(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _keys()[0].decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def keyed_hash(value: str | None) -> str | None:
    if not value:
        return None
    return hmac.new(_keys()[1], value.upper().encode(), hashlib.sha256).hexdigest()


def mask_id(value: str | None) -> str:
    """``3701*************X``: the province and city, and the check digit.

    Minimum necessary: the rest of the number stays hidden because the pages also show the
    birth year and the sex. With those and the district's region code known, a mask that showed
    the last four digits (the sequence and the check digit) left about 33 valid numbers; this one
    leaves about 16,600 (see docs/privacy.md and tests/test_privacy_masking.py).
    """
    if not value:
        return ""
    return value[:4] + "*" * (len(value) - 5) + value[-1:]


def remask_id(masked: str | None) -> str | None:
    """The current mask of an older, more open one (it showed at least what this one shows)."""
    if not masked or len(masked) < 5:
        return masked
    return masked[:4] + "*" * (len(masked) - 5) + masked[-1:]


def birth_fields(birth: date, sex: str) -> dict:
    """What a record keeps in clear of the birth date in an ID number: the year and the sex.
    The full date is in the encrypted number and shown only with it, on a reveal."""
    return {"birth_year": birth.year, "sex": sex}


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "*" * max(0, len(value) - 7) + value[-4:] if len(value) >= 7 else "*" * len(value)


def normalise_id(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def check_id_number(value: str):
    """(normalised, birth_date, sex) for a valid 18-digit resident ID (GB 11643), else ValueError.

    Checks length, digits, the check digit and the birth date. It does not use stdnum's
    birth-place check: that one requires the region code to have existed at the holder's birth,
    which refuses real numbers (a Lixia resident born in 1944 holds a 370102… number, a code
    created later).
    """
    number = normalise_id(value)
    if len(number) != 18 or not number[:17].isdigit():
        raise ValueError("invalid")
    if number[-1] != ric.calc_check_digit(number):
        raise ValueError("invalid")
    try:
        birth = ric.get_birth_date(number)
    except StdnumError:
        raise ValueError("invalid") from None
    if birth > clock.local_today() or birth.year < 1890:  # born "today" is the district's today
        raise ValueError("invalid")
    sex = "male" if int(number[16]) % 2 else "female"
    return number, birth, sex


_PHONE_IN_TEXT = re.compile(r"1[3-9](?:[\s\-]?\d){9}")


def mask_numbers_in_text(text: str) -> str:
    """Free text with every mobile number in it masked, however it is written (spaces, dashes,
    full-width digits): for text that others will read (a caller's words, public answers)."""
    normal = unicodedata.normalize("NFKC", text or "")
    return _PHONE_IN_TEXT.sub(lambda m: "1" + "*" * (len(m.group(0)) - 1), normal)
