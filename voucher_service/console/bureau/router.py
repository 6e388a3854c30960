"""Every bureau page, one router per area, gathered for the console app."""

from __future__ import annotations

from fastapi import APIRouter

from voucher_service.console.bureau import (
    applications,
    audit,
    confirmations,
    enterprises,
    evaluation,
    notices,
    overview,
    providers,
    statements,
    vouchers,
)

AREAS = (
    overview,
    applications,
    vouchers,
    enterprises,
    providers,
    statements,
    confirmations,
    audit,
    evaluation,
    notices,
)
router = APIRouter()
for area in AREAS:
    router.include_router(area.router)
