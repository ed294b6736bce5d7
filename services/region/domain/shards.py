"""Account shards (SPEC R24): the map of provinces to the account service
deployments that keep their persons, accounts and ledgers.

The map is data the national administrator keeps in the region service,
not configuration of every service: the transfer service and the gateway
read it (cached for a few seconds) and route each call to the shard of the
province concerned. A province is owned by one shard for good — its
persons' rows live in that shard's database and would not follow a change
of the map — so a shard only ever gains provinces; its target (where it is
reached) may change, as a deployment moves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from services.region.domain.codes import validate_code
from services.region.domain.errors import (
    shard_name_invalid,
    shard_province_invalid,
    shard_target_invalid,
)

_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
_TARGET = re.compile(r"[A-Za-z0-9.\[\]:_-]{1,250}:[0-9]{1,5}")


@dataclass(frozen=True)
class AccountShard:
    name: str
    target: str
    provinces: tuple[str, ...]  # ascending
    updated_at: datetime

    @classmethod
    def asked(cls, name: str, target: str, provinces: list[str], now: datetime) -> AccountShard:
        """A shard as a caller asks for it, validated (provinces unique, ascending)."""
        if not _NAME.fullmatch(name or ""):
            raise shard_name_invalid("account_shard.name")
        if not _TARGET.fullmatch(target or "") or not 0 < int(target.rsplit(":", 1)[1]) < 65536:
            raise shard_target_invalid("account_shard.target")
        for i, code in enumerate(provinces):
            validate_code(code, f"account_shard.provinces[{i}]")
            if not code.endswith("0000"):
                raise shard_province_invalid(f"account_shard.provinces[{i}]")
        return cls(name, target, tuple(sorted(set(provinces))), now)
