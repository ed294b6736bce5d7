"""Close relatives (近亲属, SPEC R8): the eight categories of Civil Code art.
1045 in six kinds, each with its inverse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class RelationKind(Enum):
    """What the relative is to the person."""

    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"  # 祖父母/外祖父母
    GRANDCHILD = "grandchild"  # 孙子女/外孙子女

    @property
    def inverse(self) -> RelationKind:
        return _INVERSE[self]


_INVERSE = {
    RelationKind.SPOUSE: RelationKind.SPOUSE,
    RelationKind.PARENT: RelationKind.CHILD,
    RelationKind.CHILD: RelationKind.PARENT,
    RelationKind.SIBLING: RelationKind.SIBLING,
    RelationKind.GRANDPARENT: RelationKind.GRANDCHILD,
    RelationKind.GRANDCHILD: RelationKind.GRANDPARENT,
}


@dataclass(frozen=True)
class Relation:
    person_id: str
    relative_id: str
    kind: RelationKind
    attested_at: datetime

    def inverse(self) -> Relation:
        return Relation(self.relative_id, self.person_id, self.kind.inverse, self.attested_at)
