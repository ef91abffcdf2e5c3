"""Request and response shapes for accounts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from app.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from app.schemas import ONE_SPACE, SINGLE_LINE, StrictModel

Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
    ONE_SPACE,
]
# A new password: the schema states the rules' length (10-128); the service checks it, with
# the rest of the rules, and answers a clear `weak_password` 422 (accepting up to 1024 here).
NewPassword = Annotated[
    str,
    Field(
        max_length=1024,
        json_schema_extra={"minLength": MIN_LENGTH, "maxLength": MAX_LENGTH},
        description=f"{MIN_LENGTH} to {MAX_LENGTH} characters, not a common password",
    ),
]


class UserCreate(BaseModel):
    email: EmailStr = Field(max_length=320)
    password: NewPassword
    full_name: Annotated[Name, SINGLE_LINE]
    role: Literal["cook", "carer"]


class AccountNames(BaseModel):
    """An account made from the command line (staff, admin) has the names a registration must:
    one made there with "notanemail" could sign in but never reset its password (an outside
    check), and a control character in a name reached every page."""

    email: EmailStr = Field(max_length=320)
    full_name: Annotated[Name, SINGLE_LINE]


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


class TokenForm(BaseModel):
    """The OAuth2 password form (API.md: `username` is the email), with the lengths a sign-in
    takes: without them a long username answered 500 on PostgreSQL (an outside check)."""

    model_config = {"extra": "ignore"}  # scope, client_id and client_secret: not used

    grant_type: str | None = Field(default=None, pattern=r"^password$")
    username: Annotated[str, SINGLE_LINE] = Field(max_length=320, pattern=r"^[^\x00-\x1f\x7f]*$")
    password: str = Field(max_length=1024)


class SessionCreate(BaseModel):
    email: Annotated[str, SINGLE_LINE] = Field(max_length=320, pattern=r"^[^\x00-\x1f\x7f]*$")
    password: str = Field(max_length=1024)


class SessionPublic(BaseModel):
    csrf_token: str
    user: Me


# The password bodies refuse a key they do not know, as every other body does (StrictModel):
# a client's misspelt `new_Password` beside the right key went unnoticed (an outside check).
class PasswordChange(StrictModel):
    current_password: str = Field(max_length=1024)
    new_password: NewPassword


class PasswordResetRequest(StrictModel):
    email: EmailStr = Field(max_length=320)


class PasswordResetAccepted(BaseModel):
    message: str


class PasswordResetConfirm(StrictModel):
    token: str = Field(min_length=1, max_length=128)
    new_password: NewPassword
