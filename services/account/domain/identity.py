"""Personal identifiers (SPEC R5, R7): resident ID numbers and mobile numbers.

The clear ID number is never stored: persons are found by a keyed hash
(HMAC-SHA256 with a secret the database does not hold) and shown masked. The
provincial platforms that register people keep the clear number; this
service needs it only at the moment a caller presents it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from services.account.domain.errors import id_number_check_digit, id_number_invalid, mobile_invalid

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def check_digit(first17: str) -> str:
    """GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str, field_path: str = "id_number") -> str:
    """The normalised (upper-case X) 18-character number, or INVALID_ARGUMENT."""
    number = (value or "").strip().upper()
    if not _ID_SHAPE.fullmatch(number):
        raise id_number_invalid(field_path, "an ID number is 17 digits and a check digit or X")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise id_number_invalid(field_path, "the ID number holds no valid birth date") from None
    if check_digit(number[:17]) != number[17]:
        raise id_number_check_digit(field_path)
    return number


def mask_id_number(number: str) -> str:
    return f"{number[:6]}********{number[-4:]}"


def id_number_hash(number: str, key: bytes) -> str:
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def validate_mobile(value: str, field_path: str = "mobile") -> str:
    mobile = (value or "").strip()
    if not _MOBILE.fullmatch(mobile):
        raise mobile_invalid(field_path)
    return mobile


def mask_mobile(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}"
