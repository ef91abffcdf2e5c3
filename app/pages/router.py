"""Every page route (included in the app before the static frontend)."""

from __future__ import annotations

from fastapi import APIRouter

from app.pages.account import router as account_router
from app.pages.carer_home import router as carer_home_router
from app.pages.carer_register import router as carer_register_router
from app.pages.carer_signup import router as carer_signup_router
from app.pages.concern_pages import router as concern_router
from app.pages.cook_home import router as cook_home_router
from app.pages.cook_profile import router as cook_profile_router
from app.pages.cook_signup import router as cook_signup_router
from app.pages.public import router as public_router
from app.pages.staff_audit import router as staff_audit_router
from app.pages.staff_concerns import router as staff_concerns_router
from app.pages.staff_cooks import router as staff_cooks_router
from app.pages.staff_diners import router as staff_diners_router
from app.pages.staff_home import router as staff_home_router
from app.pages.staff_matching import router as staff_matching_router
from app.pages.staff_reports import router as staff_reports_router

router = APIRouter(include_in_schema=False)
router.include_router(public_router)
router.include_router(account_router)
router.include_router(cook_signup_router)
router.include_router(cook_profile_router)
router.include_router(cook_home_router)
router.include_router(carer_signup_router)
router.include_router(carer_register_router)
router.include_router(carer_home_router)
router.include_router(concern_router)
for staff_router in (
    staff_home_router,
    staff_cooks_router,
    staff_diners_router,
    staff_matching_router,
    staff_concerns_router,
    staff_reports_router,
    staff_audit_router,
):
    router.include_router(staff_router)
