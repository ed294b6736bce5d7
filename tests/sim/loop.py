"""An asyncio event loop on virtual time, so that a seed replays exactly:
time moves only when nothing is ready to run, straight to the next timer
(the batchers' windows), and never waits for the wall clock. There is no
I/O to wait for: everything the simulator runs is in memory."""

from __future__ import annotations

import asyncio
import selectors


class _NoIO(selectors.SelectSelector):
    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None

    def select(self, timeout: float | None = None) -> list:
        if timeout is None:
            raise RuntimeError("the simulation is stuck: nothing ready and no timer (a deadlock)")
        if self.loop is not None and timeout > 0:
            self.loop.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        selector = _NoIO()
        super().__init__(selector)
        selector.loop = self
        self.now = 0.0

    def time(self) -> float:
        return self.now
