"""Every bureau page, one router per area, gathered for the console app."""

from __future__ import annotations

from fastapi import APIRouter

from voucher_service.console.bureau import (
    applications,
    audit,
    enterprises,
    evaluation,
    overview,
    providers,
    statements,
    vouchers,
)

router = APIRouter()
for area in (
    overview,
    applications,
    vouchers,
    enterprises,
    providers,
    statements,
    audit,
    evaluation,
):
    router.include_router(area.router)
