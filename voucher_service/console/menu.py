"""The console's menu for a signed-in person: their company's pages or the bureau's, each
shown only where the page's own rule lets the role in (the same Access objects guard the
pages), then the pages everyone has.

It sits above the pages it lists; the app hands it to ``templating.render`` (through the
console app's state), so rendering knows nothing of the bureau's or a company's pages.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from voucher_service.applications.service import waiting_count
from voucher_service.auth.access import AUDIT_READ
from voucher_service.console.bureau.menu import bureau_pages
from voucher_service.console.people.navigation import company_pages
from voucher_service.console.templating import NavItem
from voucher_service.console.viewer import CONSOLE, Viewer

QUEUE = "nav.bureau.applications"


def navigation(viewer: Viewer, session: Session | None = None) -> list[NavItem]:
    """The menu for a person's role; with the page's ``session``, the number of applications
    waiting for review beside the queue (one count query a page)."""
    company = company_pages(viewer.role, viewer.overview_path)
    items = [NavItem(label, url) for label, url in company] or [
        NavItem("nav.overview", viewer.overview_path)
    ]
    items += [
        NavItem(label, url, waiting_count(session) if label == QUEUE and session else None)
        for label, url in bureau_pages(viewer)
    ]
    if AUDIT_READ.allows(viewer):
        items.append(NavItem("nav.accounts", f"{CONSOLE}/admin/accounts"))
    items.append(
        NavItem("nav.inbox", f"{CONSOLE}/inbox", viewer.unread, count_label="inbox.unread_count")
    )
    items.append(NavItem("nav.password", f"{CONSOLE}/password"))
    items.append(NavItem("nav.second_factor", f"{CONSOLE}/second-factor"))
    items.append(NavItem("nav.api_docs", "/docs"))
    return items
