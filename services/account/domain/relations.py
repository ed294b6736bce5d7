"""Close relatives (近亲属, SPEC R8): a relation is attested one way and
known the other way with the inverse kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.account.domain.persons import Person
from services.kernel.relations import RelationKind

__all__ = ["Relation", "RelationKind", "RelativeView"]


@dataclass(frozen=True)
class Relation:
    person_id: str
    relative_id: str
    kind: RelationKind
    attested_at: datetime

    def inverse(self) -> Relation:
        return Relation(self.relative_id, self.person_id, self.kind.inverse, self.attested_at)


@dataclass(frozen=True)
class RelativeView:
    """A relation with the relative it points to."""

    relation: Relation
    relative: Person
