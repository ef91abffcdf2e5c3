"""Request and response shapes for accounts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]


class UserCreate(BaseModel):
    email: EmailStr = Field(max_length=320)
    password: str = Field(max_length=1024)  # the rules (10-128) are checked with a clear message
    full_name: Name
    role: Literal["cook", "carer"]


class UserPublic(BaseModel):
    id: int
    email: str
    role: str


class Me(BaseModel):
    id: int
    email: str
    full_name: str
    role: str
    council: str | None


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class SessionCreate(BaseModel):
    email: str = Field(max_length=320, pattern=r"^[^\x00-\x1f\x7f]*$")
    password: str = Field(max_length=1024)


class SessionPublic(BaseModel):
    csrf_token: str
    user: Me
