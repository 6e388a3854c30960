"""The menus of the people who act for a company: an enterprise's finance officer, a
provider's staff. Each entry is a catalogue key and a path under the company's own pages
(``/console/enterprise/{uscc}``); the first is their landing page."""

from __future__ import annotations

from voucher_service.db.tables.auth import Role

PAGES: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.ENTERPRISE: (
        ("nav.my_status", ""),
        ("nav.my_usage", "/usage"),
        ("nav.my_apply", "/applications"),
        ("nav.my_redemptions", "/redemptions"),
        ("nav.my_selections", "/selections"),
        ("nav.my_claims", "/claims"),
        ("nav.my_keys", "/keys"),
    ),
    Role.PROVIDER: (
        ("nav.my_redeemed", ""),
        ("nav.my_records", "/records"),
        ("nav.my_statements", "/statements"),
        ("nav.my_network", "/network"),
        ("nav.my_disputes", "/disputes"),
        ("nav.my_keys", "/keys"),
        ("nav.my_webhooks", "/webhooks"),
    ),
}


def company_pages(role: Role, home: str) -> list[tuple[str, str]]:
    """(label, URL) of each page of a company's person, ``home`` being their landing page;
    nothing for bureau roles."""
    return [(label, home + suffix) for label, suffix in PAGES.get(role, ())]
