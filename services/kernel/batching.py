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
    caller of the batch gets that failure."""

    def __init__(
        self, send: Callable[[list[T]], Awaitable[list]], max_items: int = 64, max_wait: float = 0.002
    ) -> None:
        self._send, self._max_items, self._max_wait = send, max_items, max_wait
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
        batch, self._waiting = self._waiting, []
        if batch:
            task = asyncio.create_task(self._deliver(batch))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

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
