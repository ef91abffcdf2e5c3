"""Modules imported on first use, so that start-up does not pay for what only some requests need.

numpy takes a noticeable share of the app's import time, and only matching uses it (phonenumbers
a smaller one, and only a phone number's check). A module that wants it lazily writes::

    if TYPE_CHECKING:
        import numpy as np
    else:
        np = LazyModule("numpy", globals(), "np")

The first attribute read (``np.zeros``) imports numpy and puts the real module in the stand-in's
place in that module's globals, so every later read is an ordinary global lookup.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands in for module ``name`` under ``alias`` in ``namespace`` until first used."""

    def __init__(self, name: str, namespace: dict[str, Any], alias: str) -> None:
        self._name, self._namespace, self._alias = name, namespace, alias

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        self._namespace[self._alias] = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
