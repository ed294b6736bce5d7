"""The index's contract (R20a): every string field of every request has a
documented bound, as the other services' have (tests/test_contracts.py)."""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from yibao.index.v1 import index_pb2

from services.kernel.request_text import MAX_TEXT, max_chars


def test_r20a_every_string_field_of_every_index_request_has_a_bound():
    bounded, unbounded = [], []
    for method in index_pb2.DESCRIPTOR.services_by_name["PersonIndexService"].methods:
        for field in method.input_type.fields:
            assert field.type != FieldDescriptor.TYPE_MESSAGE  # flat requests: nothing nested to walk
            if field.type == FieldDescriptor.TYPE_STRING:
                (bounded if max_chars(field) != MAX_TEXT else unbounded).append(field.full_name)
    assert len(bounded) == 8 and not unbounded, unbounded
