"""The payer and the payee of a transfer, as the account service knows them:
the facts the R14 gates look at."""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.relations import RelationKind


@dataclass(frozen=True)
class Party:
    person_id: str
    name: str
    masked_id_number: str
    insured_region: str
    employee: bool
    place_of_use: str | None  # None: no wallet


@dataclass(frozen=True)
class Parties:
    payer: Party
    payee: Party
    relation: RelationKind | None  # what the payee is to the payer
