"""Fixtures for the geo tests only: a guard that keeps the suite off the network."""

import socket
from collections.abc import Iterator
from typing import Any

import pytest

_LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse, and then fail the test on, any connection that is not to this machine.

    The refusal alone is not enough: the geocoders under test turn connection errors into a
    quiet fallback, so the attempt is also recorded and checked after the test.
    """
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOCAL_HOSTS:
            attempts.append(address)
            raise RuntimeError(f"geo tests must not use the network (tried {address[0]})")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield
    assert not attempts, f"network access attempted: {attempts}"
