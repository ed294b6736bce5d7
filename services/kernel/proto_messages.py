"""Domain records -> proto messages, at the gRPC edge."""

from __future__ import annotations

from enum import Enum

from services.kernel.pagination import Page

_SCALARS = (str, int, bool)


def _plain(value) -> bool:
    return isinstance(value, _SCALARS) and not isinstance(value, Enum)


def message(cls, record, **fields):
    """A ``cls`` message with every field that ``record`` has a plain value
    (text, number, flag) of the same name for, and ``fields`` for the rest:
    renamed fields, enums, timestamps, nested messages."""
    copied = {
        f.name: value
        for f in cls.DESCRIPTOR.fields
        if f.name not in fields and _plain(value := getattr(record, f.name, None))
    }
    return cls(**copied, **fields)


def page_response(cls, field: str, page: Page, convert):
    """A List… response (AIP-158): the page's items, converted, and the next page token."""
    return cls(**{field: [convert(item) for item in page.items]}, next_page_token=page.next_page_token)
