"""Every request's turn to hash a password taken (app/accounts/hash_turns.py), as a burst of
sign-ins would take them, for tests of what a request refused one is answered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from fastapi.testclient import TestClient

from app.accounts.hash_turns import _turns as turns
from app.accounts.passwords import HASH_SLOTS


@contextmanager
def every_hashing_turn_taken(client: TestClient) -> Iterator[None]:
    """Every request's turn to hash (hash_turns) taken, on the test client's event loop."""
    assert client.portal is not None
    with ExitStack() as taken:
        for _ in range(HASH_SLOTS):
            taken.enter_context(client.portal.wrap_async_context_manager(turns.held()))
        yield
