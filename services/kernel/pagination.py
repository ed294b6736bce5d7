"""AIP-158 keyset pagination: page sizes, and page tokens that are opaque and
bound to the query they continue. One helper for every list call:

    request = page_request(size, token, {"parent": code})
    rows = await repo.list(..., after=request.after, limit=request.limit)
    return request.page(rows, key=lambda r: [r.code])
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from services.kernel.config import DEV_PAGE_TOKEN_KEY
from services.kernel.errors import Reason, invalid_argument

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str = ""


@dataclass(frozen=True)
class PageRequest:
    size: int
    after: list | None  # the key of the last item of the previous page
    query: dict

    @property
    def limit(self) -> int:
        """Rows to fetch: one more than a page tells whether another follows."""
        return self.size + 1

    def page(self, rows: Sequence[T], key: Callable[[T], list]) -> Page[T]:
        items, rest = list(rows[: self.size]), rows[self.size :]
        return Page(items, encode_token(key(items[-1]), self.query) if rest else "")


def page_size(requested: int, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    if requested < 0:
        raise invalid_argument(Reason.PAGE_SIZE_NEGATIVE, "page_size", "page_size must not be negative")
    return min(requested or default, maximum)


def page_request(size: int, token: str, query: dict) -> PageRequest:
    return PageRequest(page_size(size), decode_token(token, query), query)


def _fingerprint(query: dict) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


# Page tokens are signed (R20a): a token the service did not issue is
# refused before anything in it is read, so no edited position reaches a
# query. Every replica signs with the key from settings
# (YIBAO_PAGE_TOKEN_KEY), so a listing goes on whichever replica answers
# the next page, and across restarts.
_KEY = DEV_PAGE_TOKEN_KEY.encode()


def set_page_token_key(key: str) -> None:
    global _KEY
    _KEY = key.encode()


def _signature(payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(_KEY, payload, hashlib.sha256).digest()[:18]).decode()


def encode_token(position: list, query: dict) -> str:
    raw = json.dumps({"p": position, "q": _fingerprint(query)}, separators=(",", ":")).encode()
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{payload}.{_signature(payload.encode())}"


def _invalid_token():
    return invalid_argument(
        Reason.PAGE_TOKEN_INVALID, "page_token", "page_token is not one this service issued"
    )


def decode_token(token: str, query: dict) -> list | None:
    """The position after which the next page starts; None for the first page."""
    if not token:
        return None
    payload, _, signature = token.partition(".")
    if not hmac.compare_digest(signature.encode(), _signature(payload.encode()).encode()):
        raise _invalid_token()
    data = json.loads(base64.urlsafe_b64decode((payload + "=" * (-len(payload) % 4)).encode()))
    if data["q"] != _fingerprint(query):
        raise invalid_argument(
            Reason.PAGE_TOKEN_MISMATCH, "page_token", "page_token belongs to a query with other parameters"
        )
    return data["p"]
