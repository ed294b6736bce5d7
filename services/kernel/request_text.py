"""The bounds on every text of every request (R20a), applied by the server
interceptor before any handler runs: a string field holds no control
characters (NUL, newline, escape …) and at most the characters its
``(yibao.type.v1.max_chars)`` option gives in the proto (MAX_TEXT if it has
none). So no text a handler forgot to check reaches a database (PostgreSQL
refuses NUL) or a log line; each field's format (an ID number, a region
code, …) is the domain's to check after this."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from yibao.type.v1 import conventions_pb2

from services.kernel.errors import DomainError, Reason, invalid_argument

MAX_TEXT = 4096  # characters in a string field without a bound of its own


@functools.cache
def max_chars(field: FieldDescriptor) -> int:
    """The field's documented bound: its max_chars option, else MAX_TEXT."""
    return field.GetOptions().Extensions[conventions_pb2.max_chars] or MAX_TEXT


def _texts(message: Message, prefix: str = "") -> Iterator[tuple[str, str, int]]:
    for field, value in message.ListFields():
        path = prefix + field.name
        if field.type == FieldDescriptor.TYPE_STRING:
            bound = max_chars(field)
            yield from ((path, text, bound) for text in (value if field.is_repeated else (value,)))
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    yield path, str(key), MAX_TEXT
                    if isinstance(item, str):
                        yield f"{path}[{key}]", item, MAX_TEXT
            else:
                for i, item in enumerate(value if field.is_repeated else (value,)):
                    yield from _texts(item, f"{path}[{i}]." if field.is_repeated else f"{path}.")


def check_request_text(request: Message) -> None:
    """INVALID_ARGUMENT (TEXT_INVALID, with the field) for the first text out of bounds."""
    for path, text, bound in _texts(request):
        if len(text) > bound or not text.isprintable():
            raise _text_invalid(path, bound)


def _text_invalid(path: str, bound: int) -> DomainError:
    return invalid_argument(
        Reason.TEXT_INVALID,
        path,
        f"at most {bound} characters, no control characters (NUL, newline, …)",
        max_chars=str(bound),
    )
