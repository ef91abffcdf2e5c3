"""app/group_commit.py: the rows requests keep apart at the same moment go in one transaction,
each request returns only once its own rows are written, and one bad row costs no one else
theirs."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from app.group_commit import GroupCommit


class Database:
    """Stands in for a transaction: records each call's rows; the first waits for `opened`;
    a row named "bad" makes the whole call fail, as a constraint would."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.written: list[str] = []
        self.opened = asyncio.Event()

    async def write_rows(self, rows: Sequence[str]) -> None:
        self.calls.append(list(rows))
        if len(self.calls) == 1:
            await self.opened.wait()
        await asyncio.sleep(0)
        if "bad" in rows:
            raise ValueError("a bad row")
        self.written.extend(rows)


async def settle(tasks: list[asyncio.Task[None]]) -> list[BaseException | None]:
    return list(await asyncio.gather(*tasks, return_exceptions=True))


def test_rows_that_come_while_a_transaction_is_written_go_together_in_the_next():
    async def scenario() -> Database:
        database = Database()
        group = GroupCommit(database.write_rows)
        first = asyncio.create_task(group.write(["a"]))
        await asyncio.sleep(0.01)  # "a" is being written, and its transaction is held open
        later = [asyncio.create_task(group.write([row])) for row in ("b", "c", "d")]
        await asyncio.sleep(0.01)
        assert not first.done() and not any(t.done() for t in later)  # nothing answered early
        assert database.written == []
        database.opened.set()
        assert await settle([first, *later]) == [None] * 4
        return database

    database = asyncio.run(scenario())
    assert database.calls == [["a"], ["b", "c", "d"]]
    assert database.written == ["a", "b", "c", "d"]


def test_a_request_alone_is_written_at_once():
    async def scenario() -> Database:
        database = Database()
        database.opened.set()
        group = GroupCommit(database.write_rows)
        await group.write(["a", "b"])  # two rows of one request
        assert database.written == ["a", "b"]
        await group.write(["c"])
        return database

    assert asyncio.run(scenario()).calls == [["a", "b"], ["c"]]


def test_a_batch_that_fails_is_written_again_one_request_at_a_time():
    async def scenario() -> tuple[Database, list[BaseException | None]]:
        database = Database()
        group = GroupCommit(database.write_rows)
        first = asyncio.create_task(group.write(["a"]))
        await asyncio.sleep(0.01)
        later = [asyncio.create_task(group.write(rows)) for rows in (["b"], ["bad", "x"], ["c"])]
        await asyncio.sleep(0.01)
        database.opened.set()
        return database, await settle([first, *later])

    database, outcomes = asyncio.run(scenario())
    assert outcomes[:2] == [None, None] and outcomes[3] is None
    assert isinstance(outcomes[2], ValueError)  # only the request whose row was bad fails
    assert database.written == ["a", "b", "c"]  # "x" went with "bad": one request, one transaction
    assert database.calls == [["a"], ["b", "bad", "x", "c"], ["b"], ["bad", "x"], ["c"]]


def test_a_request_cancelled_while_it_waits_still_has_its_rows_written():
    async def scenario() -> Database:
        database = Database()
        group = GroupCommit(database.write_rows)
        first = asyncio.create_task(group.write(["a"]))
        await asyncio.sleep(0.01)
        gone = asyncio.create_task(group.write(["b"]))
        await asyncio.sleep(0.01)
        gone.cancel()  # the client went away
        database.opened.set()
        await first
        with pytest.raises(asyncio.CancelledError):
            await gone
        for _ in range(5):
            await asyncio.sleep(0)
        return database

    assert asyncio.run(scenario()).written == ["a", "b"]


def test_no_request_waits_for_ever_when_the_writer_stops_while_it_writes_them_one_by_one():
    """The writer cancelled (the server stopping) after a batch failed and while its requests
    are written one at a time: every request of that batch ends, none waits for ever."""

    async def scenario() -> list[BaseException | None]:
        opened, stuck = asyncio.Event(), asyncio.Event()

        async def write_rows(rows: Sequence[str]) -> None:
            if rows == ["a"]:  # the first batch, held open while the others come
                await opened.wait()
            if "bad" in rows:
                raise ValueError("a bad row")
            if rows == ["b"]:  # the second request alone: its transaction never ends
                await stuck.wait()

        group = GroupCommit(write_rows)
        first = asyncio.create_task(group.write(["a"]))
        await asyncio.sleep(0.01)
        later = [asyncio.create_task(group.write(rows)) for rows in (["bad"], ["b"], ["c"])]
        await asyncio.sleep(0.01)
        opened.set()
        await asyncio.sleep(0.01)  # the batch of three failed; "b" is being written alone
        assert group._writer is not None
        group._writer.cancel()
        return await asyncio.wait_for(settle([first, *later]), timeout=5)

    outcomes = asyncio.run(scenario())
    assert outcomes[0] is None and isinstance(outcomes[1], ValueError)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes[2:]), outcomes
