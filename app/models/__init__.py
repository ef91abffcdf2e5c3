"""All tables, in one package so domains can share them without import cycles."""

from app.models.audit import AuditEntry, AuditReason
from app.models.concern import Concern
from app.models.council import Council, Neighbourhood
from app.models.draft import FormDraft
from app.models.meal import CookAway, Meal, MealFeedback, OutcomeAnswer
from app.models.notification import Notification
from app.models.pairing import OPEN_STATUSES, PairExclusion, Pairing
from app.models.people import AreaDemand, Cook, Diner
from app.models.postcode import PostcodeUnit
from app.models.user import (
    AuthSession,
    EmailChange,
    LoginFailure,
    PasswordReset,
    RegistrationAttempt,
    ResetRequest,
    User,
)

__all__ = [
    "OPEN_STATUSES",
    "AreaDemand",
    "AuditEntry",
    "AuditReason",
    "AuthSession",
    "Concern",
    "Cook",
    "CookAway",
    "Council",
    "Diner",
    "EmailChange",
    "FormDraft",
    "LoginFailure",
    "Meal",
    "MealFeedback",
    "Neighbourhood",
    "Notification",
    "OutcomeAnswer",
    "PairExclusion",
    "Pairing",
    "PasswordReset",
    "PostcodeUnit",
    "RegistrationAttempt",
    "ResetRequest",
    "User",
]
