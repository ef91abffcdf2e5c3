"""A vocabulary column: VARCHAR in the database (no native enum type), a StrEnum in Python."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import AutoString

E = TypeVar("E", bound=StrEnum)


class VocabString(TypeDecorator[E], Generic[E]):
    """Stores an enum member's value as VARCHAR(length); reads it back as the member.

    The column's type is the same ``AutoString(length)`` a ``str`` field with ``max_length``
    gets, so the migrations need no change. A value outside the vocabulary is refused on write.
    """

    impl = AutoString
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length=length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(self.enum(value).value)

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        if value is None:
            return None
        return self.enum(value)

    @property
    def python_type(self) -> type[E]:
        return self.enum
