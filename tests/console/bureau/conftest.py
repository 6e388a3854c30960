"""The bureau's pages over a year's books (tests/aggregates), read by people of each role,
and what a page shows read back: a table's rows (by their data-key), a headline figure."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.aggregates.conftest import books  # noqa: F401 (a fixture)
from tests.conftest import KeyedClient
from tests.console.conftest import Browser, csrf_of
from voucher_service.console.formatting import fen_from_display
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import Role
from voucher_service.money import yuan_to_fen

ADMIN, REVIEWER, AUDITOR = "admin.wang", "reviewer.li", "auditor.zhao"
FINANCE = "caiwu.liu"  # role bureau, finance only (tests/accounts/conftest.py)


def section(html: str, element_id: str) -> str:
    """The HTML of the element with this id, up to the end of its section."""
    assert f'id="{element_id}"' in html, f"no #{element_id} on the page"
    return html.split(f'id="{element_id}"', 1)[1].split("</section>", 1)[0]


def keys_in(html: str, table_id: str) -> list[str]:
    """The data-keys of a table's rows, in order."""
    return [unescape(k) for k in re.findall(r'<tr data-key="([^"]*)"', section(html, table_id))]


def figure_fen(html: str, name: str) -> int:
    """A headline figure (``data-figure``) in fen, read from ``¥1,234.50``."""
    found = re.search(
        rf'data-figure="{name}">\s*<span class="figure-label">[^<]*</span>\s*'
        r'<span class="figure-value">([^<]+)</span>',
        html,
    )
    assert found, f"no figure {name}"
    return fen_from_display(found.group(1))


def fen(yuan: str | None) -> int | None:
    return None if yuan is None else yuan_to_fen(yuan, allow_negative=True)


def post_form(person: TestClient, page: str, action: str, **fields: Any) -> Any:
    """Submit a form as a person would: load the page for its token, then post."""
    token = csrf_of(person.get(page).text)
    return person.post(action, data={**fields, "csrf_token": token}, follow_redirects=False)


def as_role(client: KeyedClient, role: Role, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.key(role, subject)}"}


def audit_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def last_entry(session: Session, action: str) -> AuditEntry:
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())  # type: ignore[attr-defined]
    )
    assert entry is not None, action
    return entry


__all__ = ["Browser"]
