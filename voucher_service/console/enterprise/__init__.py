"""The enterprise's pages (a finance officer of an SME), at ``/console/enterprise/{uscc}``:
my program status, my usage records, applications, redemptions and API keys. Each is
guarded by ``ENTERPRISE_SELF``, the rule of its API endpoints: another company's credit code
in the URL is not found (404), as in the API."""

from voucher_service.auth.access import ENTERPRISE_SELF
from voucher_service.console.enterprise import (
    applications,
    claims,
    documents,
    materials,
    redemptions,
    selections,
    status,
    usage,
)
from voucher_service.console.people.routers import company_router

router = company_router(
    "/enterprise",
    ENTERPRISE_SELF,
    (status, usage, applications, redemptions, selections, materials, documents, claims),
)

__all__ = ["router"]
