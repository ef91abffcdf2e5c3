"""app.matching.beside: work handed to a thread beside the caller's, waited for on leaving."""

from __future__ import annotations

import contextvars
import threading

import pytest

from app.matching.beside import Beside

_asked_by: contextvars.ContextVar[str] = contextvars.ContextVar("asked_by", default="nobody")


class Refused(Exception):
    pass


def test_work_runs_in_order_in_a_thread_with_the_callers_context_and_is_waited_for():
    _asked_by.set("the batch")
    done: list[tuple[int, str, str]] = []

    def work(n: int) -> None:
        done.append((n, threading.current_thread().name, _asked_by.get()))

    with Beside(threaded=True, name="beside-test") as beside:
        first, second = beside.run(lambda: work(1)), beside.run(lambda: work(2))
    assert first.done() and second.done()
    assert [n for n, _, _ in done] == [1, 2]
    assert all(name.startswith("beside-test") for _, name, _ in done)
    assert {asked for _, _, asked in done} == {"the batch"}


def test_an_error_beside_is_raised_by_its_result():
    def refused() -> None:
        raise Refused

    with Beside(threaded=True, name="beside-test") as beside:
        future = beside.run(refused)
        with pytest.raises(Refused):
            future.result()


def test_leaving_by_an_error_waits_for_the_work_under_way_and_drops_the_rest():
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(5)
        done.append("slow")

    with pytest.raises(Refused), Beside(threaded=True, name="beside-test") as beside:
        beside.run(slow)
        beside.run(lambda: done.append("next"))
        started.wait(5)
        threading.Timer(0.2, release.set).start()
        raise Refused
    assert done == ["slow"]  # waited for; the work not yet begun never ran
    assert not [t for t in threading.enumerate() if t.name.startswith("beside-test")]


def test_not_threaded_it_is_done_here_and_at_once():
    with Beside(threaded=False, name="beside-test") as beside:
        future = beside.run(threading.current_thread)
        assert future.done() and future.result() is threading.current_thread()
