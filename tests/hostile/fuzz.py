"""Hostile requests for any RPC, generated from its request's descriptor:
every field absent or filled from a corpus of what attackers and careless
integrators send (NUL and control characters, other scripts' digits, huge
and negative numbers, unknown enum values, out-of-range times, long lists),
mixed with the world's real ids so that requests also get past the first
checks; and bytes that do not decode as the request at all."""

from __future__ import annotations

import random

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from tests.hostile.conftest import HOSPITAL, PASSWORD, World

F = FieldDescriptor
TEXTS = [
    "",
    " ",
    "\x00",
    "4501\x0002",
    "258036\n",
    "\r\n",
    "\x1b[31m",
    "\u202e1234",
    "\ufeff",
    "４５０１０２",  # full-width digits
    "٤٥٠١٠٢",  # Arabic-Indic digits
    "１９９００３０７",
    "' OR '1'='1' --",
    "'; DROP TABLE persons; --",
    "../../etc/passwd",
    "%s%s%n",
    "{{7*7}}",
    "😀" * 4,
    "张" * 51,
    "x" * 37,
    "9" * 19,
    "a" * 5000,
    "-1",
    "0",
    "2026-13",
    "9999-12",
    "0000-00",
    "2026-03",
    "450102",
    "450000",
    "110000",
    "440000",
    "000000",
    "999999",
    HOSPITAL,
    "H45010300001\n",
    "P45010200001",
    PASSWORD,
    "000000",
    "eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.",
    "bm90IGEgdG9rZW4=",
]
INT32 = [0, 1, -1, 2, 3, 7, 1000, 1001, 2**31 - 1, -(2**31), 200_001, 100_000]
INT64 = INT32 + [2**63 - 1, -(2**63), 10**12, 253402300800, -62135596801, 200_000, 10_000_000 + 1]
ENUMS = [0, 1, 2, 3, 4, 5, 9, 99, -1, 2**31 - 1]
UNDECODABLE = [
    b"\xff",
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  # a varint too long
    b"\x0a\x05ab",  # a string cut short
    b"\x0a\x02\xff\xfe",  # a string that is not UTF-8
    b"\x0a\x80\x80\x80\x80\x10",  # a length of 4 GiB
    b"\x07",  # wire type 7 does not exist
    b"\x0b\x0c",  # an unmatched group
    b"\x0a" + b"\xff" * 3,
]


class Hostile:
    def __init__(self, seed: int, world: World, with_transfer: bool = True) -> None:
        self._rng = random.Random(seed)
        w = world
        self._texts = TEXTS + [
            w.payer.id,
            w.payee.id,
            w.stranger.id,
            *([w.transfer_id] if with_transfer else []),
            w.payer.id_number,
            w.payee.id_number,
            w.payer.name,
            w.payee.name,
            w.payee.id_number[:-1] + "Ｘ",
            w.payer.id.upper(),
        ]

    def caller(self, allowed: list[str], everyone: list[str]) -> str:
        """Mostly a caller the RPC lets in, so that requests reach its checks."""
        return self._rng.choice(allowed if self._rng.random() < 0.85 else everyone)

    def request(self, descriptor: Descriptor):
        return self._fill(message_factory.GetMessageClass(descriptor)(), 0)

    def undecodable(self, valid: bytes) -> bytes:
        r = self._rng
        choice = r.randrange(4)
        if choice == 0:
            return r.choice(UNDECODABLE)
        if choice == 1 and len(valid) > 1:
            return valid[: r.randrange(1, len(valid))]  # cut anywhere: often undecodable
        if choice == 2:
            return bytes(r.randrange(256) for _ in range(r.randrange(1, 64)))
        return valid + r.choice(UNDECODABLE)

    def _fill(self, msg, depth: int):
        r = self._rng
        for field in msg.DESCRIPTOR.fields:
            if r.random() < 0.25:
                continue  # absent
            if field.is_repeated:
                count = 1001 if r.random() < 0.03 else r.randrange(0, 4)
                if field.type == F.TYPE_MESSAGE:
                    if depth < 2:
                        item = self._fill(getattr(msg, field.name).add(), depth + 1)
                        for _ in range(count - 1):
                            getattr(msg, field.name).add().CopyFrom(item)
                else:
                    value = self._scalar(field)
                    getattr(msg, field.name).extend(
                        [value] * count if count > 3 else [self._scalar(field) for _ in range(count)]
                    )
            elif field.type == F.TYPE_MESSAGE:
                if depth < 2:
                    self._message_field(getattr(msg, field.name), depth)
            else:
                setattr(msg, field.name, self._scalar(field))
        return msg

    def _message_field(self, sub, depth: int) -> None:
        r = self._rng
        name = sub.DESCRIPTOR.full_name
        if name == "google.protobuf.Timestamp":
            sub.seconds = r.choice(INT64)
            sub.nanos = r.choice([0, -1, 999_999_999, 1_000_000_000, 2**31 - 1])
        elif name == "google.protobuf.FieldMask":
            sub.paths.extend(
                r.choice(self._texts + ["accepts_wallet", "name", "kind"]) for _ in range(r.randrange(3))
            )
        else:
            self._fill(sub, depth + 1)
            if not sub.ListFields():
                sub.SetInParent()

    def _scalar(self, field):
        r = self._rng
        t = field.type
        if t == F.TYPE_STRING:
            return r.choice(self._texts)
        if t == F.TYPE_BOOL:
            return r.random() < 0.5
        if t == F.TYPE_ENUM:
            return r.choice(ENUMS)
        if t in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32):
            return r.choice(INT32)
        if t in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64):
            return r.choice(INT64)
        if t in (F.TYPE_UINT32, F.TYPE_FIXED32):
            return abs(r.choice(INT32)) % 2**32
        if t in (F.TYPE_UINT64, F.TYPE_FIXED64):
            return abs(r.choice(INT64)) % 2**64
        if t == F.TYPE_BYTES:
            return bytes(r.randrange(256) for _ in range(r.randrange(8)))
        return r.random() * 1e12  # float, double
