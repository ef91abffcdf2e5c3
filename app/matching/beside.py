"""Work handed to one thread beside the caller's, so that the caller can go on meanwhile.

The batch's writes (app.matching.service._insert_proposals): on PostgreSQL most of an insert's
time is the server's, its thread waiting on the socket with the GIL free, while the caller
words the invitations and makes the answer in this one.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType


class Beside:
    """Work run in one thread beside this one, in the order given, each in a copy of the
    context it was handed over in (so that the work sees the context variables its caller
    set); or here and at once when not ``threaded``. Leaving the block waits for the work
    under way to end (and drops work not yet begun when the block is left by an exception)."""

    def __init__(self, *, threaded: bool, name: str) -> None:
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=name) if threaded else None
        )

    def __enter__(self) -> Beside:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=kind is not None)

    def run(self, work: Callable[[], object]) -> Future[object]:
        """Start ``work`` beside, and return its future (its result, or its error raised by
        ``result()``); when not threaded, do it now (its error raised here)."""
        if self._pool is not None:
            return self._pool.submit(contextvars.copy_context().run, work)
        done: Future[object] = Future()
        done.set_result(work())
        return done
