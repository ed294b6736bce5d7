"""Proto enum values <-> domain values, at the gRPC edge."""

from __future__ import annotations

from services.kernel.errors import invalid_argument


def enum_in(mapping: dict, value: int, field_path: str):
    """The domain value whose wire value (``mapping``: domain -> wire) is
    ``value``; None for UNSPECIFIED (0); INVALID_ARGUMENT for an unknown one."""
    if value == 0:
        return None
    for domain, wire in mapping.items():
        if wire == value:
            return domain
    raise invalid_argument("ENUM_VALUE_INVALID", field_path, f"{value} is not a valid value")
