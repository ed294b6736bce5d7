"""What a person is told about their transfers (R19b): the payee that one
waits to be received, with its expiry; the payer that it was received or
refunded. One notification per event and recipient, its text in Chinese as
an SMS gateway or the app's push would send it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from services.kernel.clock import beijing
from services.transfer.domain.transfer import EventType, RefundReason, StoredEvent, Transfer


class NotificationKind(Enum):
    TRANSFER_WAITING = "waiting"  # to the payee
    TRANSFER_RECEIVED = "received"  # to the payer
    TRANSFER_REFUNDED = "refunded"  # to the payer


@dataclass(frozen=True)
class Notification:
    event_sequence: int  # with person_id, what makes it unique: never sent twice
    person_id: str
    kind: NotificationKind
    transfer_id: str
    amount_fen: int
    expires_at: datetime | None
    text: str
    occurred_at: datetime
    # The recipient's province in the transfer, whose SMS gateway or push
    # sends it (None in records older than migration 0005).
    province: str | None


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


_WHY: dict[RefundReason | None, str] = {  # no reason recorded: no words
    RefundReason.EXPIRED: "未在规定时间内领取",
    RefundReason.DECLINED: "对方已拒收",
    RefundReason.RELATION_LAPSED: "近亲属关系已失效",
}


def notification_for(event: StoredEvent, t: Transfer) -> Notification | None:
    """The notification an event causes (``t``: the transfer as it was then), if any."""
    if event.type is EventType.CREATED:
        deadline = f"{beijing(t.expires_at):%Y-%m-%d %H:%M}"
        text = f"您有一笔{_yuan(t.amount)}的医保钱包转账待领取，请于北京时间{deadline}前领取，逾期将退回。"
        return _note(event, t, t.payee_id, NotificationKind.TRANSFER_WAITING, text, t.expires_at)
    if event.type is EventType.RECEIVED:
        text = f"您向{t.payee_name}转出的{_yuan(t.amount)}医保钱包转账已被领取。"
        return _note(event, t, t.payer_id, NotificationKind.TRANSFER_RECEIVED, text)
    if event.type is EventType.REFUNDED:
        why = _WHY.get(t.refund_reason, "")
        text = f"您向{t.payee_name}转出的{_yuan(t.amount)}医保钱包转账{why}，已退回原账户。"
        return _note(event, t, t.payer_id, NotificationKind.TRANSFER_REFUNDED, text)
    return None  # DECLINED: the payer hears of it when the money is back (REFUNDED)


def _note(event, t, person_id, kind, text, expires_at=None) -> Notification:
    province = t.payee_province if person_id == t.payee_id else t.payer_province
    return Notification(
        event.sequence, person_id, kind, t.id, t.amount, expires_at, text, event.occurred_at, province
    )
