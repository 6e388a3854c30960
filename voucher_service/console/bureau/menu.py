"""The bureau's pages in the console's menu, each shown only to the people its own access rule
lets in (the rule object that guards the page and its API endpoint)."""

from __future__ import annotations

from voucher_service.auth.access import AUDIT_READ, BUREAU_READ, Access, Grantee
from voucher_service.console.viewer import CONSOLE

BUREAU = f"{CONSOLE}/bureau"

# (catalogue key, URL, the page's access rule), in the menu's order after the overview.
PAGES: tuple[tuple[str, str, Access], ...] = (
    ("nav.bureau.applications", f"{BUREAU}/applications", BUREAU_READ),
    ("nav.bureau.selections", f"{BUREAU}/selections", BUREAU_READ),
    ("nav.bureau.vouchers", f"{BUREAU}/vouchers", BUREAU_READ),
    ("nav.bureau.enterprises", f"{BUREAU}/enterprises", BUREAU_READ),
    ("nav.bureau.providers", f"{BUREAU}/providers", BUREAU_READ),
    ("nav.bureau.statements", f"{BUREAU}/statements", BUREAU_READ),
    ("nav.bureau.programs", f"{BUREAU}/programs", BUREAU_READ),
    ("nav.bureau.confirmations", f"{BUREAU}/confirmations", BUREAU_READ),
    ("nav.bureau.evaluation", f"{BUREAU}/evaluation", BUREAU_READ),
    ("nav.bureau.audit", f"{BUREAU}/audit", AUDIT_READ),
    ("nav.bureau.disputes", f"{BUREAU}/disputes", BUREAU_READ),
    ("nav.bureau.claims", f"{BUREAU}/claims", BUREAU_READ),
    ("nav.bureau.grants", f"{BUREAU}/grants", BUREAU_READ),
    ("objection.queue", f"{BUREAU}/objections", BUREAU_READ),
)


def bureau_pages(who: Grantee) -> list[tuple[str, str]]:
    """(label, URL) of the bureau's pages ``who`` may open."""
    return [(label, url) for label, url, access in PAGES if access.allows(who)]
