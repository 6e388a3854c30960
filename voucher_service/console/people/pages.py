"""What every page of an enterprise's or a provider's person does alike: the notice after a
redirect, and the company the page is about."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse

from voucher_service.console import pages
from voucher_service.console.pages import translator

# Notices a redirect may ask for (?done=...), by catalogue key: never text from the URL.
DONE = {
    "submitted": "apply.submitted",
    "resubmitted": "apply.resubmitted",
    "redeemed": "redeem.done",
    "ended": "redeem.ended",
    "revoked": "keys.revoked",
    "telemetry": "network.telemetry_stored",
    "selection_submitted": "my_selections.submitted",
    "webhook_deleted": "webhooks.deleted",
    "webhook_resent": "webhooks.resent",
    "material": "materials.uploaded",
    "claim_submitted": "my_claims.submitted",
}


def notice(request: Request) -> str | None:
    """The notice a redirect asked for: one of these pages', or the console's own (the
    password changed, on a landing page)."""
    key = DONE.get(request.query_params.get("done", ""))
    return translator(request)(key) if key else pages.notice(request)


def done(url: str, what: str) -> RedirectResponse:
    """Back to ``url`` after a change (POST, redirect, GET), with its notice."""
    assert what in DONE, what
    return RedirectResponse(f"{url}?done={what}", status_code=303)
