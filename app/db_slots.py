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

A request may lend its slot while it hashes a password (`HeldSlot.lent`): it takes it back
without waiting, so a request out of its slot never waits in a worker thread either. The turns
to hash (app/accounts/hash_turns.py) are slots of this kind too, without a database behind them.

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
from contextvars import ContextVar
from dataclasses import dataclass

from anyio import from_thread

from app.errors import ServiceBusy

BUSY = "Too many requests at once: try again shortly"
WAIT_S = 10.0  # a request that cannot have the database by then is told to retry (503)
RETRY_AFTER_S = 2

# Told of every wait for a slot: the slots' kind ("read", "write", "hash"), the seconds waited
# (0 when one was free), and whether the request was refused for waiting too long.
SlotObserver = Callable[[str, float, bool], None]
_observers: list[SlotObserver] = []
_failed: set[SlotObserver] = set()
log = logging.getLogger("portion.db")
# Whether the request's slots are its own at once, ahead of those waiting (`first_in_line`).
_first_in_line: ContextVar[bool] = ContextVar("portion_first_in_line", default=False)


@contextmanager
def first_in_line() -> Iterator[None]:
    """In the block, the request takes any slot at once, ahead of the requests waiting for one
    (one owed when none is free, as `HeldSlot.lent` takes back). For a request that holds one
    of a few turns (to hash a password, app/accounts/hash_turns.py): waiting for the database
    while holding its turn, it kept the next sign-in from hashing, and under a mix of writes
    sign-ins waited for turns about as long as the writes waited for their slots (the mix's
    tail, bench/README.md). So few requests hold such a turn at once that the slots go over
    their size by at most that many."""
    token = _first_in_line.set(True)
    try:
        yield
    finally:
        _first_in_line.reset(token)


def watch_slots(observer: SlotObserver) -> None:
    """Tell `observer` of every wait for a slot, of any `DatabaseSlots` (once, however often
    it is asked: each app the process makes asks again)."""
    if observer not in _observers:
        _observers.append(observer)


class DatabaseSlots:
    """`size` requests at a time, the others served in the order they came."""

    def __init__(
        self, size: int, *, wait_s: float = WAIT_S, kind: str = "", lets_ahead: bool = True
    ) -> None:
        """`kind` ("read", "write"; "hash" for the turns to hash) names them to the observers;
        without one they have none. `lets_ahead`: a request `first_in_line` takes one at
        once (not the turns to hash, whose size is the bound on such requests)."""
        if size < 1:
            raise ValueError("at least one request must be able to use the database")
        self.size, self.wait_s, self.kind = size, wait_s, kind
        self.lets_ahead = lets_ahead
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopSlots]
        self._by_loop = weakref.WeakKeyDictionary()

    def _of_this_loop(self) -> _LoopSlots:
        loop = asyncio.get_running_loop()
        slots = self._by_loop.get(loop)
        if slots is None:
            slots = self._by_loop[loop] = _LoopSlots(asyncio.Semaphore(self.size))
        return slots

    @asynccontextmanager
    async def held(self) -> AsyncIterator[HeldSlot]:
        """One slot for the block; `ServiceBusy` (503 with Retry-After) after `wait_s`."""
        slot = HeldSlot(self, self._of_this_loop())
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


@dataclass
class _LoopSlots:
    semaphore: asyncio.Semaphore
    # Slots taken back by lenders while none was free (`HeldSlot.lent`): the next ones given
    # back repay them instead of going to a waiting request.
    owed: int = 0


class HeldSlot:
    """One request's slot, which the request's worker thread may lend to the next request while
    it does something slow that needs no connection (hashing a password): a sign-in that kept
    its slot through Argon2 left fewer for the meals and proposals queueing behind it."""

    def __init__(self, slots: DatabaseSlots, of_loop: _LoopSlots) -> None:
        self._slots, self._of_loop, self._holding = slots, of_loop, False

    async def take(self) -> None:
        if self._slots.lets_ahead and _first_in_line.get():
            await self._take_back()
            self._slots.tell(0.0, refused=False)
            return
        start = time.perf_counter()
        try:
            async with asyncio.timeout(self._slots.wait_s):
                await self._of_loop.semaphore.acquire()
        except TimeoutError:
            self._slots.tell(time.perf_counter() - start, refused=True)
            raise ServiceBusy(BUSY, retry_after_s=RETRY_AFTER_S) from None
        self._holding = True
        self._slots.tell(time.perf_counter() - start, refused=False)

    def give_back(self) -> None:
        if not self._holding:
            return
        self._holding = False
        if self._of_loop.owed:
            self._of_loop.owed -= 1
        else:
            self._of_loop.semaphore.release()

    async def _take_back(self) -> None:
        """At once: a free slot, or one owed (the requests holding slots go one over the size
        until the next is given back)."""
        semaphore = self._of_loop.semaphore
        if semaphore.locked():
            self._of_loop.owed += 1
        else:
            await semaphore.acquire()  # one is free and nobody waits: returns at once
        self._holding = True

    @contextmanager
    def only_for(self) -> Iterator[None]:
        """From the request's worker thread (anyio's): the slot for the block only, taken again
        first if it was given back (waiting as any request does), and given back after it, so
        that the next request has it as soon as this one is done with it."""
        if not self._holding:
            from_thread.run(self.take)
        try:
            yield
        finally:
            from_thread.run_sync(self.give_back)

    @contextmanager
    def lent(self) -> Iterator[None]:
        """From the request's worker thread (anyio's): the slot is the next request's for the
        block, and taken back at once after it (one owed when none is free: the lender waits
        for nothing, so lenders can never hold every worker thread while the requests they
        lent to wait for one). A block that raises ends the request: it takes nothing back.

        Only for a step that few requests are in at once (Argon2, behind its HASH_SLOTS):
        each lender holds a worker thread, and the requests holding slots may go over the
        size by as many as there are lenders."""
        from_thread.run_sync(self.give_back)
        yield
        from_thread.run(self._take_back)
