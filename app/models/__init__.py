"""All tables, in one package so domains can share them without import cycles."""

from app.models.audit import AuditEntry
from app.models.council import Council, Neighbourhood
from app.models.postcode import PostcodeUnit
from app.models.user import LoginFailure, User

__all__ = ["AuditEntry", "Council", "LoginFailure", "Neighbourhood", "PostcodeUnit", "User"]
