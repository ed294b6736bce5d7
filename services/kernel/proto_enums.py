"""Domain enums <-> proto enums, at the edges (entrypoints and clients).

A ``WireEnum`` pairs a domain enum with a proto enum member for member: the
proto value of a member is the proto's prefix plus the member's name (or a
name given in ``names``). The pairing is built once and checked both ways
when it is built, so a value added on one side only fails at import, never
as a wrong answer at run time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, Generic, TypeVar

from services.kernel.errors import Reason, invalid_argument

E = TypeVar("E", bound=Enum)
W = TypeVar("W", bound=int)  # the proto enum as its stub declares it (a class of int)


def enum_value_invalid(number: int, field_path: str):
    return invalid_argument(Reason.ENUM_VALUE_INVALID, field_path, f"{number} is not a valid value")


class WireEnum(Generic[E, W]):
    def __init__(
        self,
        domain: type[E],
        wire: type[W],
        *,
        names: Mapping[E, str] | None = None,
        members: Iterable[E] | None = None,
    ) -> None:
        # At run time the proto enum is an EnumTypeWrapper, not the class of
        # its stub, and its values are plain ints.
        wrapper: Any = wire
        values = wrapper.DESCRIPTOR.values
        prefix = values[0].name.removesuffix("UNSPECIFIED")
        names = names or {}
        self._unspecified: W = wrapper.Value(values[0].name)
        self._to_wire: dict[E, W] = {
            m: wrapper.Value(prefix + names.get(m, m.name)) for m in (members or domain)
        }
        self._to_domain: dict[int, E] = {number: member for member, number in self._to_wire.items()}
        unpaired = {v.name for v in values if v.number and v.number not in self._to_domain}
        if unpaired or len(self._to_domain) != len(self._to_wire):
            raise ValueError(
                f"{domain.__name__} and {wrapper.DESCRIPTOR.name} do not pair one to one: {unpaired}"
            )

    def wire(self, member: E | None) -> W:
        """The proto value; UNSPECIFIED (0) for None."""
        return self._unspecified if member is None else self._to_wire[member]

    def get(self, number: int) -> E | None:
        """The domain member, None for UNSPECIFIED or a value this side does not know."""
        return self._to_domain.get(number)

    def parse(self, number: int, field_path: str) -> E | None:
        """A request's value: None for UNSPECIFIED, INVALID_ARGUMENT for an unknown one."""
        if number == 0:
            return None
        if number not in self._to_domain:
            raise enum_value_invalid(number, field_path)
        return self._to_domain[number]
