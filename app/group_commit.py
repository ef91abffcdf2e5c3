"""Group commit: what many requests keep apart at the same moment, written in one transaction.

Why: a GET that shows an address audits the view in a transaction of its own
(`db.own_transaction`). The writers of a database take turns, and each turn costs a commit
(an fsync on SQLite) and, in a busy process, the writer thread's wait for the GIL when it
wakes. Under 32 connections the cook's list of pairings, which audits every answer, answered
119 requests a second while the process used 0.66 of a CPU: each request waited for a turn of
its own, holding one of the few database slots meanwhile (bench/README.md).

Here a request gives its rows once it has let go of its slot, and waits on the event loop
(no thread, no connection) while one task per event loop writes whatever rows are waiting, all
in one transaction, then the rows that came meanwhile in the next. A turn per batch, not per
request. Nothing is acknowledged earlier than before: a request answers only once its own rows
are committed, or fails with the error its rows met. A batch that fails is written again one
request at a time, so that one request's bad row never costs the others theirs.

No SQL here: the caller gives the coroutine that writes a list of rows in one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

WriteRows = Callable[[Sequence[Any]], Awaitable[None]]


@dataclass(eq=False, slots=True)
class _Entry:
    rows: Sequence[Any]
    written: asyncio.Future[None]


class GroupCommit:
    """Batches the rows given to `write` on one event loop into calls of `write_rows`."""

    def __init__(self, write_rows: WriteRows) -> None:
        self._write_rows = write_rows
        self._waiting: list[_Entry] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, rows: Sequence[Any]) -> None:
        """Return once `rows` are committed; raise what writing them raised."""
        entry = _Entry(rows, asyncio.get_running_loop().create_future())
        self._waiting.append(entry)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_waiting())
        # Shielded: a request cancelled while it waits leaves its rows to be written all the same.
        await asyncio.shield(entry.written)

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._write_batch(batch)
        finally:
            self._writer = None
            for entry in self._waiting:  # only when the task itself was cancelled
                _settle(entry, asyncio.CancelledError())
            self._waiting = []

    async def _write_batch(self, batch: list[_Entry]) -> None:
        try:
            try:
                await self._write_rows([row for entry in batch for row in entry.rows])
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0], exc)
                else:  # which of them failed: each alone
                    for entry in batch:
                        await self._write_alone(entry)
            else:
                for entry in batch:
                    _settle(entry, None)
        except BaseException as exc:  # cancelled: what of the batch is not known written fails
            for entry in batch:
                _settle(entry, exc)
            raise

    async def _write_alone(self, entry: _Entry) -> None:
        try:
            await self._write_rows(entry.rows)
        except Exception as exc:
            _settle(entry, exc)
        else:
            _settle(entry, None)


def _settle(entry: _Entry, error: BaseException | None) -> None:
    if entry.written.done():
        return
    if error is None:
        entry.written.set_result(None)
    elif isinstance(error, asyncio.CancelledError):
        entry.written.cancel()
    else:
        entry.written.set_exception(error)
