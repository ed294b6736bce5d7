from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.rpc import error_details_pb2 as _error_details_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
MAX_CHARS_FIELD_NUMBER: _ClassVar[int]
max_chars: _descriptor.FieldDescriptor

class ErrorDetails(_message.Message):
    __slots__ = ("error_info", "bad_request")
    ERROR_INFO_FIELD_NUMBER: _ClassVar[int]
    BAD_REQUEST_FIELD_NUMBER: _ClassVar[int]
    error_info: _error_details_pb2.ErrorInfo
    bad_request: _error_details_pb2.BadRequest
    def __init__(self, error_info: _Optional[_Union[_error_details_pb2.ErrorInfo, _Mapping]] = ..., bad_request: _Optional[_Union[_error_details_pb2.BadRequest, _Mapping]] = ...) -> None: ...
