"""Every bureau page, one router per area, gathered for the console app."""

from __future__ import annotations

from fastapi import APIRouter

from voucher_service.console.bureau import (
    applications,
    audit,
    claims,
    confirmations,
    disputes,
    districts,
    documents,
    enterprises,
    evaluation,
    grants,
    notices,
    overview,
    programs,
    providers,
    selections,
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
    disputes,
    selections,
    programs,
    districts,
    documents,
    notices,
    claims,
    grants,
)
router = APIRouter()
for area in AREAS:
    router.include_router(area.router)
