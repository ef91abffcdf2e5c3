"""How many requests of this process hold a database session at once; the rest wait their turn
on the event loop, not in a worker thread.

Why a limit: a sync route runs in anyio's worker threads (40 by default) and keeps its
session's connection across several hops between the event loop and those threads (the
sign-in check, the route, the commit). With more requests in flight than the connection pool
holds, the rest waited for a connection *in a worker thread*; once such waiters held every
thread, the requests that had a connection could not get a thread to finish, and the process
stood still until the pool's time-out: at 64 connections in `bench/http_load.py` every request
timed out, the plain SQLModel baseline's too. A request waiting here holds no thread and no
connection. Fewer requests running at once also contend less for the GIL: on SQLite, where a
query is this process's CPU, throughput rose and the tail shrank (bench/README.md).

Why per event loop: an asyncio semaphore belongs to the loop that first waits on it, and each
`TestClient` runs the app in a loop of its own.

Each wait is told to the observers given to `watch_slots` (the app's metrics: how long requests
wait, how many are refused), so that an operator sees when the slots are too few.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

from anyio import from_thread

from app.errors import ServiceBusy

BUSY = "Too many requests at once: try again shortly"
WAIT_S = 10.0  # a request that cannot have the database by then is told to retry (503)
RETRY_AFTER_S = 2

# Told of every wait for a slot: the slots' kind ("read", "write"), the seconds waited (0 when
# one was free), and whether the request was refused for waiting too long.
SlotObserver = Callable[[str, float, bool], None]
_observers: list[SlotObserver] = []
_failed: set[SlotObserver] = set()
log = logging.getLogger("portion.db")


def watch_slots(observer: SlotObserver) -> None:
    """Tell `observer` of every wait for a slot, of any `DatabaseSlots` (once, however often
    it is asked: each app the process makes asks again)."""
    if observer not in _observers:
        _observers.append(observer)


class DatabaseSlots:
    """`size` requests at a time, the others served in the order they came."""

    def __init__(self, size: int, *, wait_s: float = WAIT_S, kind: str = "") -> None:
        """`kind` ("read", "write") names them to the observers; without one they have none."""
        if size < 1:
            raise ValueError("at least one request must be able to use the database")
        self.size, self.wait_s, self.kind = size, wait_s, kind
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._by_loop = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._by_loop.get(loop)
        if semaphore is None:
            semaphore = self._by_loop[loop] = asyncio.Semaphore(self.size)
        return semaphore

    @asynccontextmanager
    async def held(self) -> AsyncIterator[HeldSlot]:
        """One slot for the block; `ServiceBusy` (503 with Retry-After) after `wait_s`."""
        slot = HeldSlot(self, self._semaphore())
        await slot.take()
        try:
            yield slot
        finally:
            slot.give_back()

    def tell(self, waited_s: float, *, refused: bool) -> None:
        if not self.kind:  # slots made for a test, not the app's
            return
        for observer in _observers:
            try:
                observer(self.kind, waited_s, refused)
            except Exception:  # metrics must never change an answer (nor a 503's Retry-After)
                if observer not in _failed:
                    _failed.add(observer)
                    log.exception("a database slot observer failed (logged once)")


class HeldSlot:
    """One request's slot, which the request's worker thread may lend to the next request while
    it does something slow that needs no connection (hashing a password): a sign-in that kept
    its slot through Argon2 left fewer for the meals and proposals queueing behind it."""

    def __init__(self, slots: DatabaseSlots, semaphore: asyncio.Semaphore) -> None:
        self._slots, self._semaphore, self._holding = slots, semaphore, False

    async def take(self) -> None:
        start = time.perf_counter()
        try:
            async with asyncio.timeout(self._slots.wait_s):
                await self._semaphore.acquire()
        except TimeoutError:
            self._slots.tell(time.perf_counter() - start, refused=True)
            raise ServiceBusy(BUSY, retry_after_s=RETRY_AFTER_S) from None
        self._holding = True
        self._slots.tell(time.perf_counter() - start, refused=False)

    def give_back(self) -> None:
        if self._holding:
            self._holding = False
            self._semaphore.release()

    @contextmanager
    def lent(self) -> Iterator[None]:
        """From the request's worker thread (anyio's): the slot is the next request's for the
        block, and this request waits its turn again after it, as any other (`ServiceBusy`
        after the wait, though the block went well)."""
        from_thread.run_sync(self.give_back)
        try:
            yield
        finally:
            from_thread.run(self.take)
