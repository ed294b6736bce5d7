"""AIP-155 request ids: the same id with the same content is the same
request; the same id with other content is refused."""

from __future__ import annotations

import hashlib
import json
from typing import Literal, overload

from services.kernel.errors import Reason, invalid_argument

MAX_REQUEST_ID_LENGTH = 100


@overload
def validate_request_id(request_id: str, required: Literal[True]) -> str: ...
@overload
def validate_request_id(request_id: str, required: bool = False) -> str | None: ...
def validate_request_id(request_id: str, required: bool = False) -> str | None:
    if not request_id:
        if required:
            raise invalid_argument(Reason.REQUEST_ID_REQUIRED, "request_id", "request_id is required")
        return None
    if len(request_id) > MAX_REQUEST_ID_LENGTH or not request_id.isprintable():
        raise invalid_argument(
            Reason.REQUEST_ID_INVALID, "request_id", f"at most {MAX_REQUEST_ID_LENGTH} printable characters"
        )
    return request_id


def content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def reused_request_id(request_id: str):
    return invalid_argument(
        Reason.REQUEST_ID_REUSED,
        "request_id",
        "this request_id was already used for a request with other content",
        request_id=request_id,
    )
