"""Every page route, as the routers the app includes one by one before the static frontend.

Each router's routes are added to the app itself (app/routing.py), not through a router of
routers: FastAPI analyses a route again for each inclusion it sits under, and including a router
of routers with no prefix made it do that for every page route while the app was being built.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.pages.account import router as account_router
from app.pages.admin_home import router as admin_home_router
from app.pages.carer_home import router as carer_home_router
from app.pages.carer_register import router as carer_register_router
from app.pages.carer_signup import router as carer_signup_router
from app.pages.concern_pages import router as concern_router
from app.pages.cook_home import router as cook_home_router
from app.pages.cook_profile import router as cook_profile_router
from app.pages.cook_signup import router as cook_signup_router
from app.pages.cook_stop import router as cook_stop_router
from app.pages.public import router as public_router
from app.pages.staff_audit import router as staff_audit_router
from app.pages.staff_concerns import router as staff_concerns_router
from app.pages.staff_cooks import router as staff_cooks_router
from app.pages.staff_cover import router as staff_cover_router
from app.pages.staff_diners import router as staff_diners_router
from app.pages.staff_home import router as staff_home_router
from app.pages.staff_matching import router as staff_matching_router
from app.pages.staff_reports import router as staff_reports_router

# In this order: a request is matched against the routes in order. None is in the API schema.
ROUTERS: tuple[APIRouter, ...] = (
    public_router,
    account_router,
    cook_signup_router,
    cook_profile_router,
    cook_home_router,
    cook_stop_router,
    carer_signup_router,
    carer_register_router,
    carer_home_router,
    concern_router,
    staff_home_router,
    staff_cooks_router,
    staff_diners_router,
    staff_matching_router,
    staff_cover_router,
    staff_concerns_router,
    staff_reports_router,
    staff_audit_router,
    admin_home_router,
)
