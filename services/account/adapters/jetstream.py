"""The account's feeds on NATS JetStream: subjects
``<prefix>.<province>.bill`` and ``<prefix>.<province>.lapse`` (prefix
``yibao.account``, stream ``YIBAO_ACCOUNT``), message ids ``bill-<id>`` and
``lapse-<id>`` (Nats-Msg-Id: a second publish within the duplicate window
is dropped by the server). What a message holds is the caller's encoders:
the BillEvent of ListBillEvents, the RelationLapse of ListRelationLapses, as
protobuf JSON. The connection, the stream and the publish itself:
services/kernel/jetstream.py, shared with the transfer service."""

from __future__ import annotations

from collections.abc import Callable

from services.account.domain.payments import BillEvent
from services.account.domain.relations import Lapse
from services.kernel.jetstream import JetStreamConfig, JetStreamSink

STREAM = "YIBAO_ACCOUNT"
SUBJECT_PREFIX = "yibao.account"


class FeedJetStreamSink(JetStreamSink):
    """The feed publisher's way out (usecases/publishing.py ``FeedSink``)."""

    def __init__(
        self,
        config: JetStreamConfig,
        encode_bill: Callable[[BillEvent], bytes],
        encode_lapse: Callable[[Lapse], bytes],
    ) -> None:
        super().__init__(config, "yibao-account")
        self._encode_bill, self._encode_lapse = encode_bill, encode_lapse

    async def publish_bill(self, event: BillEvent) -> bool:
        to = f"{self.config.subject_prefix}.{event.bill.province}.bill"
        return await self.send(to, self._encode_bill(event), f"bill-{event.id}")

    async def publish_lapse(self, province: str, lapse: Lapse) -> bool:
        to = f"{self.config.subject_prefix}.{province}.lapse"
        return await self.send(to, self._encode_lapse(lapse), f"lapse-{lapse.id}")
