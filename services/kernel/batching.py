"""Group commit for calls between services: concurrent requests of one kind
are collected for a moment and sent as one batch call, then each caller
gets its own answer. Under load many requests share one RPC and one
transaction; alone, a request waits at most ``max_wait``.

Requests that travel together share no fate they did not earn (R21):

- a batch runs in a context of its own, never in one of its members', with
  its own deadline: the longest of its members' (capped), so one caller's
  short deadline bounds neither the batch nor the batches after it;
- a member that gives up (its deadline passed, its client went away) leaves
  before its batch does, or its answer is dropped; the others go on;
- the queue is bounded: when full, a request is refused at once with
  RESOURCE_EXHAUSTED and a retry delay, never left to wait without end;
- an answer of the wrong length fails every member loudly; nobody hangs.

An ``observer`` (kernel/metrics.py's ``watch_batcher``) learns the size of
each batch that leaves and each refusal; it is told, never asked, and adds
no I/O to a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from services.kernel import calls, tracing
from services.kernel.errors import DomainError, ErrorKind, Reason

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("yibao.batching")

OVERLOAD_RETRY_AFTER = 0.2  # seconds a refused caller is asked to wait


class BatchAnswerMismatch(RuntimeError):
    """``send`` answered a different number of items than it was given: a bug."""


def overloaded(waiting: int) -> DomainError:
    return DomainError(
        ErrorKind.RESOURCE_EXHAUSTED,
        Reason.OVERLOADED,
        "too many requests are waiting; try again shortly",
        {"waiting": str(waiting)},
        retry_delay=OVERLOAD_RETRY_AFTER,
    )


class BatchObserver(Protocol):
    def sent(self, size: int) -> None:
        """A batch of ``size`` requests left."""

    def refused(self) -> None:
        """A request was refused: the queue was full."""


@dataclass(eq=False)
class _Member(Generic[T]):
    item: T
    answer: asyncio.Future
    deadline: float | None = field(default_factory=calls.deadline)
    span: object = field(default_factory=tracing.span_context)  # the caller's span, which the batch links to
    batch: object = None  # the span context of the batch it travelled in (tracing on)


class MicroBatcher(Generic[T, R]):
    """``send(items)`` returns one answer per item, in order: a value, or an
    exception to raise in that item's caller. If ``send`` itself fails, every
    caller of the batch gets that failure.

    With ``max_in_flight``, at most that many batches are being sent at
    once; what arrives meanwhile waits and leaves as the next batch when one
    of them is done (group commit: the busier, the larger the batches). At
    most ``max_waiting`` requests wait (default: 16 batches' worth)."""

    def __init__(
        self,
        send: Callable[[list[T]], Awaitable[list]],
        max_items: int = 64,
        max_wait: float = 0.002,
        max_in_flight: int | None = None,
        max_waiting: int | None = None,
        max_batch_seconds: float = calls.DEFAULT_TIMEOUT,
    ) -> None:
        self._send, self._max_items, self._max_wait = send, max_items, max_wait
        self._max_in_flight = max_in_flight
        self._max_waiting = max_waiting or 16 * max_items
        self._max_batch_seconds = max_batch_seconds
        self._waiting: list[_Member[T]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._in_flight: set[asyncio.Task] = set()
        self.observer: BatchObserver | None = None

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def submit(self, item: T) -> R:
        if len(self._waiting) >= self._max_waiting:
            if self.observer is not None:
                self.observer.refused()
            raise overloaded(len(self._waiting))
        loop = asyncio.get_running_loop()
        member = _Member(item, loop.create_future())
        self._waiting.append(member)
        if len(self._waiting) >= self._max_items:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._max_wait, self._flush)
        try:
            return await member.answer
        except asyncio.CancelledError:
            # The caller gave up: if its item has not left yet, it never will.
            with contextlib.suppress(ValueError):
                self._waiting.remove(member)
            raise
        finally:
            tracing.record_batch(member.batch)  # type: ignore[arg-type]

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # Beyond max_in_flight, the next batch leaves when one in flight is done.
        while self._waiting and (self._max_in_flight is None or len(self._in_flight) < self._max_in_flight):
            batch, self._waiting = self._waiting[: self._max_items], self._waiting[self._max_items :]
            batch = [m for m in batch if not m.answer.done()]  # gone meanwhile
            if not batch:
                continue
            if self.observer is not None:
                self.observer.sent(len(batch))
            # A fresh context: nothing of the caller who happened to fill the
            # batch (its deadline above all) reaches the batch's calls.
            task = asyncio.get_running_loop().create_task(self._deliver(batch), context=contextvars.Context())
            self._in_flight.add(task)
            task.add_done_callback(self._delivered)

    def _delivered(self, task: asyncio.Task) -> None:
        self._in_flight.discard(task)
        if self._waiting and self._timer is None:
            self._flush()

    def _batch_deadline(self, batch: list[_Member[T]]) -> float:
        """The longest deadline of the members, within the cap; a member
        without one counts as the cap."""
        cap = time.monotonic() + self._max_batch_seconds
        return min(cap, max(cap if m.deadline is None else m.deadline for m in batch))

    async def _deliver(self, batch: list[_Member[T]]) -> None:
        calls.set_deadline(self._batch_deadline(batch))
        with tracing.batch_span(self._send.__name__.strip("_"), [m.span for m in batch]) as span:  # type: ignore[misc]
            for m in batch:
                m.batch = span
            await self._answer(batch)

    async def _answer(self, batch: list[_Member[T]]) -> None:
        try:
            answers = await self._send([m.item for m in batch])
            if len(answers) != len(batch):
                raise BatchAnswerMismatch(f"{len(answers)} answers for {len(batch)} requests")
        except asyncio.CancelledError:  # shutting down: the callers are cancelled too
            for m in batch:
                m.answer.cancel()
            raise
        except Exception as error:  # every caller of the batch learns it
            if isinstance(error, BatchAnswerMismatch) or not isinstance(error, DomainError):
                log.exception("a batch failed as a whole", extra={"members": len(batch)})
            for m in batch:
                if not m.answer.done():
                    m.answer.set_exception(error)
            return
        for m, answer in zip(batch, answers, strict=True):
            if m.answer.done():  # the caller gave up: its answer is dropped
                continue
            if isinstance(answer, BaseException):
                m.answer.set_exception(answer)
            else:
                m.answer.set_result(answer)
