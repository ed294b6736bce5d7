from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class RelationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RELATION_KIND_UNSPECIFIED: _ClassVar[RelationKind]
    RELATION_KIND_SPOUSE: _ClassVar[RelationKind]
    RELATION_KIND_PARENT: _ClassVar[RelationKind]
    RELATION_KIND_CHILD: _ClassVar[RelationKind]
    RELATION_KIND_SIBLING: _ClassVar[RelationKind]
    RELATION_KIND_GRANDPARENT: _ClassVar[RelationKind]
    RELATION_KIND_GRANDCHILD: _ClassVar[RelationKind]
RELATION_KIND_UNSPECIFIED: RelationKind
RELATION_KIND_SPOUSE: RelationKind
RELATION_KIND_PARENT: RelationKind
RELATION_KIND_CHILD: RelationKind
RELATION_KIND_SIBLING: RelationKind
RELATION_KIND_GRANDPARENT: RelationKind
RELATION_KIND_GRANDCHILD: RelationKind
