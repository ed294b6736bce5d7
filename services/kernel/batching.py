"""Group commit for calls between services: concurrent requests of one kind
are collected for a moment and sent as one batch call, then each caller
gets its own answer. Under load many requests share one RPC and one
transaction; alone, a request waits at most ``max_wait``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class MicroBatcher(Generic[T, R]):
    """``send(items)`` returns one answer per item, in order: a value, or an
    exception to raise in that item's caller. If ``send`` itself fails, every
    caller of the batch gets that failure.

    With ``max_in_flight``, at most that many batches are being sent at
    once; what arrives meanwhile waits and leaves as the next batch when one
    of them is done (group commit: the busier, the larger the batches)."""

    def __init__(
        self,
        send: Callable[[list[T]], Awaitable[list]],
        max_items: int = 64,
        max_wait: float = 0.002,
        max_in_flight: int | None = None,
    ) -> None:
        self._send, self._max_items, self._max_wait = send, max_items, max_wait
        self._max_in_flight = max_in_flight
        self._waiting: list[tuple[T, asyncio.Future]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._in_flight: set[asyncio.Task] = set()

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._waiting.append((item, answer))
        if len(self._waiting) >= self._max_items:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._max_wait, self._flush)
        return await answer

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # Beyond max_in_flight, the next batch leaves when one in flight is done.
        while self._waiting and (self._max_in_flight is None or len(self._in_flight) < self._max_in_flight):
            batch, self._waiting = self._waiting[: self._max_items], self._waiting[self._max_items :]
            task = asyncio.create_task(self._deliver(batch))
            self._in_flight.add(task)
            task.add_done_callback(self._delivered)

    def _delivered(self, task: asyncio.Task) -> None:
        self._in_flight.discard(task)
        if self._waiting and self._timer is None:
            self._flush()

    async def _deliver(self, batch: list[tuple[T, asyncio.Future]]) -> None:
        try:
            answers = await self._send([item for item, _ in batch])
        except asyncio.CancelledError:  # shutting down: the callers are cancelled too
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:  # every caller of the batch learns it
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            if future.done():
                continue
            if isinstance(answer, BaseException):
                future.set_exception(answer)
            else:
                future.set_result(answer)
