"""A request's turn to hash a password, waited for on the event loop before the request takes a
database slot (`deps.HASH_TURN`, a dependency of every route that may hash).

Argon2 takes about a tenth of a second of CPU, and at most HASH_SLOTS hashes run at once. A
sign-in that waited for its turn inside the route waited holding a database slot and a worker
thread: a burst of sign-ins then held every write slot while they queued, and meal outcomes and
proposals waited behind them. Waiting here holds neither; while it hashes, the request lends its
database slot to others (`db.slot_lent`), so it holds one only for its few queries.

Holding its turn, the request takes its database slot at once, ahead of those waiting
(`db_slots.first_in_line`), and a sign-in reads before its hash without SQLite's write lock
(`db.begin_reads`): a turn held while its request waited for a write slot or for the write lock
was a turn nobody hashed in, and under bench/http_load.py's mix two turns then served fewer
sign-ins than came (a third refused, the rest about 1.7 s). At most HASH_SLOTS requests hold a
turn, so the slots go over their size by at most that many.

A request that no turn frees up for within SLOT_WAIT_S is not answered 503 there: it goes on,
and is answered 503 (Retry-After) only when it comes to hash (`request_turn`). So a form with a
mistake or a body that does not validate is answered with what is wrong, as when the service
is quiet, rather than "busy". The price: a refused request takes its database slot like any
other before it is answered (a refused sign-in or password change runs no query first), so
under a burst its 503 can come after a wait for a write slot too.

Code that hashes outside a request (the command line, the demo) waits in the thread it runs in
(`passwords.hashing_slot`). So does a route that forgot to declare its turn, which also logs
`service.HASHED_WITHOUT_TURN`: every test that exercises such a route fails on it
(tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from contextvars import ContextVar

from app.accounts.passwords import HASH_SLOTS, SLOT_WAIT_S
from app.db_slots import BUSY, RETRY_AFTER_S, DatabaseSlots, HeldSlot, first_in_line
from app.errors import ServiceBusy


class _Refused:
    """The turn of a request that none freed up for in time."""


# Kind "hash" in the slots' metrics: sign-ins that outrun Argon2 show as waits and refusals.
_turns = DatabaseSlots(HASH_SLOTS, wait_s=SLOT_WAIT_S, kind="hash", lets_ahead=False)
# The request's turn while its route runs; a route's worker thread sees its request's context.
_turn: ContextVar[HeldSlot | _Refused | None] = ContextVar("portion_hash_turn", default=None)


async def hash_turn() -> AsyncIterator[None]:
    """The request's turn, taken before its route runs; the route gives it back as soon as it
    has hashed (`request_turn`). When none frees up within SLOT_WAIT_S (a refusal, in the
    metrics) the route runs all the same, without one."""
    async with AsyncExitStack() as held:
        turn: HeldSlot | _Refused
        try:
            turn = await held.enter_async_context(_turns.held())
            # Holding a turn, the request takes its database slot without waiting.
            held.enter_context(first_in_line())
        except ServiceBusy:
            turn = _Refused()
        token = _turn.set(turn)
        try:
            yield
        finally:
            _turn.reset(token)


def request_turn() -> HeldSlot | None:
    """This request's turn to hash (`HeldSlot.only_for` the hash), or None outside a route that
    declares `deps.HASH_TURN`; `ServiceBusy` (503 with Retry-After) when it was refused one."""
    turn = _turn.get()
    if isinstance(turn, _Refused):
        raise ServiceBusy(BUSY, retry_after_s=RETRY_AFTER_S)
    return turn


def busy_if_refused() -> None:
    """`request_turn`'s refusal only, asked at the start of a step that will hash: before its
    queries, and before the writes that a refusal should not leave behind."""
    request_turn()
