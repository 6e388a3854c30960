"""The signed-in person as the pages show them."""

from __future__ import annotations

from dataclasses import dataclass

from voucher_service.accounts.service import Person
from voucher_service.db.tables.auth import Duty, Role

CONSOLE = "/console"


@dataclass(frozen=True)
class Viewer:
    """Plain values, read when the session is resolved: an error page can still show them
    after the request's transaction has rolled back (which expires the database rows)."""

    login: str
    display_name: str
    role: Role
    holder: str  # the principal acted as: the enterprise's or provider's name, or the login
    subject_uscc: str | None  # the enterprise's or provider's credit code
    must_change_password: bool
    duties: frozenset[Duty] = frozenset()  # a bureau person's (the access rules read them)
    account_id: int = 0
    unread: int = 0  # unread inbox messages (the menu's count)

    @classmethod
    def of(cls, person: Person, *, unread: int = 0) -> Viewer:
        return cls(
            login=person.account.login,
            display_name=person.account.display_name,
            role=person.role,
            holder=person.principal.name,
            subject_uscc=person.enterprise_uscc or person.provider_uscc,
            must_change_password=person.account.must_change_password,
            duties=person.caller().duties,
            account_id=person.account.id or 0,
            unread=unread,
        )

    @property
    def overview_path(self) -> str:
        """Each role's landing page: the bureau's, or the enterprise's or provider's own."""
        if self.role is Role.ENTERPRISE:
            return f"{CONSOLE}/enterprise/{self.subject_uscc}"
        if self.role is Role.PROVIDER:
            return f"{CONSOLE}/provider/{self.subject_uscc}"
        return f"{CONSOLE}/bureau"
