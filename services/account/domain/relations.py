"""Close relatives (近亲属, SPEC R8): a relation is attested one way and
known the other way with the inverse kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from services.account.domain.persons import Person
from services.kernel.relations import RelationKind

__all__ = ["Lapse", "LapseCause", "Relation", "RelationKind", "RelativeView"]


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


class LapseCause(Enum):
    """Why a person's relations lapsed (R8)."""

    ENDED = "ended"  # their insurance ended
    MOVED = "moved"  # they are insured in another region now


@dataclass(frozen=True)
class Lapse:
    id: int
    person_id: str
    cause: LapseCause
    lapsed_at: datetime
