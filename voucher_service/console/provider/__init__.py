"""The provider's pages (a compute provider's staff), at ``/console/provider/{uscc}``: the
vouchers redeemed with me, my posted records and refusals, my statements, my telemetry and
health, my API keys, my webhook endpoints and their delivery log. Each is guarded by
``PROVIDER_SELF``, the rule of its API endpoints: another provider's credit code in the URL
is not found (404), as in the API."""

from voucher_service.auth.access import PROVIDER_SELF
from voucher_service.console.people.routers import company_router
from voucher_service.console.provider import (
    disputes,
    documents,
    network,
    records,
    redemptions,
    statements,
    webhooks,
)

router = company_router(
    "/provider",
    PROVIDER_SELF,
    (redemptions, records, disputes, statements, network, webhooks, documents),
)

__all__ = ["router"]
