"""AIP-158 page tokens: opaque, bound to the query they continue."""

from __future__ import annotations

import base64
import hashlib
import json

from services.kernel.errors import invalid_argument

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def page_size(requested: int, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    if requested < 0:
        raise invalid_argument("PAGE_SIZE_NEGATIVE", "page_size", "page_size must not be negative")
    return min(requested or default, maximum)


def _fingerprint(query: dict) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_token(position: list, query: dict) -> str:
    raw = json.dumps({"p": position, "q": _fingerprint(query)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, query: dict) -> list | None:
    """The position after which the next page starts; None for the first page."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position, fingerprint = data["p"], data["q"]
    except (ValueError, KeyError, TypeError):
        raise invalid_argument("PAGE_TOKEN_INVALID", "page_token", "page_token is not one this service issued") from None
    if fingerprint != _fingerprint(query) or not isinstance(position, list):
        raise invalid_argument(
            "PAGE_TOKEN_MISMATCH", "page_token", "page_token belongs to a query with other parameters"
        )
    return position
