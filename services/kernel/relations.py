"""Close relatives (近亲属, SPEC R8): the eight categories of Civil Code art.
1045 in six kinds, each with its inverse. A value both the account service
(which attests relations) and the transfer service (whose payer declares
one) speak."""

from __future__ import annotations

from enum import Enum


class RelationKind(Enum):
    """What the relative is to the person (for a transfer: the payee to the payer)."""

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
