from yibao.type.v1 import conventions_pb2 as _conventions_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Verification(_message.Message):
    __slots__ = ("password", "face_ticket")
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    FACE_TICKET_FIELD_NUMBER: _ClassVar[int]
    password: str
    face_ticket: str
    def __init__(self, password: _Optional[str] = ..., face_ticket: _Optional[str] = ...) -> None: ...
