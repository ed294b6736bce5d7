"""A bound on every text of every request (R20a), applied by the server
interceptor before any handler runs: a string field holds no control
characters (NUL, newline, escape …) and at most MAX_TEXT characters. The
per-field bounds (an ID number's 18 characters, a name's 50, …) are the
domain's and are documented on each field in the protos; this is the floor
under all of them, so that no text a handler forgot to check can reach a
database (PostgreSQL refuses NUL) or a log line."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from services.kernel.errors import DomainError, Reason, invalid_argument

MAX_TEXT = 4096  # characters in any string field (face tickets and page tokens are the longest)


def _texts(message: Message, prefix: str = "") -> Iterator[tuple[str, str]]:
    for field, value in message.ListFields():
        path = prefix + field.name
        if field.type == FieldDescriptor.TYPE_STRING:
            yield from ((path, text) for text in (value if field.is_repeated else (value,)))
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    yield path, str(key)
                    if isinstance(item, str):
                        yield f"{path}[{key}]", item
            else:
                for i, item in enumerate(value if field.is_repeated else (value,)):
                    yield from _texts(item, f"{path}[{i}]." if field.is_repeated else f"{path}.")


def check_request_text(request: Message) -> None:
    """INVALID_ARGUMENT (TEXT_INVALID, with the field) for the first text out of bounds."""
    for path, text in _texts(request):
        if len(text) > MAX_TEXT or not text.isprintable():
            raise _text_invalid(path)


def _text_invalid(path: str) -> DomainError:
    return invalid_argument(
        Reason.TEXT_INVALID, path, f"at most {MAX_TEXT} characters, no control characters (NUL, newline, …)"
    )
