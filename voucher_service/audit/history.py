"""An object's history, readable: the audit log's entries about one application, voucher,
statement, enterprise, provider, selection or program, each as a typed row.

The audit log records codes (``application.approve``), the actor as the access check named
them (``bureau_reviewer:demo.reviewer``), before/after as JSON with amounts in fen. A row
here says instead who the person is (their display name from the accounts table, their role
and organisation: never a login), and what changed, field by field (old -> new), with each
value's kind (``money`` in fen, ``status``, ``text`` ...), so the API shows yuan strings and
the console ¥ amounts and Chinese names (``console/i18n_history.py`` names every action and
field). ``object_history`` is the one call the API (``GET /v1/admin/audit/history``) and the
console's history sections share.

An object's history includes the entries of what belongs to it: an application's or a
voucher's proposals awaiting a second person (``confirmation``), a voucher's redemptions, a
program's pools. A provider's ``usage.post`` and ``telemetry.post`` entries (one per batch,
thousands a day) are left out of its history: the audit log lists them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service.audit_log import ENTRIES
from voucher_service.db.tables.accounts import Account
from voucher_service.db.tables.auth import Principal, Role
from voucher_service.db.tables.confirmations import Confirmation, ConfirmationKind
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.redemptions import Redemption
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.errors import InvalidInput
from voucher_service.ledger import accounts as ledger_accounts
from voucher_service.pagination import PageParams, paginate_table

# The kinds of object with a history page, as ``<kind>:<id>`` names them (the audit log's
# target types).
OBJECT_KINDS = (
    "application",
    "voucher",
    "statement",
    "enterprise",
    "provider",
    "model_selection",
    "program",
)
# Entries too many to read as an object's history (one per batch of usage or telemetry).
NOT_HISTORY = ("usage.post", "telemetry.post")
BUREAU_ROLES = frozenset({Role.BUREAU, Role.BUREAU_ADMIN, Role.BUREAU_REVIEWER, Role.AUDITOR})


@dataclass(frozen=True)
class ObjectRef:
    """An object of the audit log: ``application:6``, ``voucher:V-2026-...``."""

    kind: str
    id: str

    @classmethod
    def parse(cls, text: str) -> ObjectRef:
        """``kind:id``; InvalidInput naming the kinds for anything else."""
        kind, _, ident = text.partition(":")
        if kind not in OBJECT_KINDS or not ident.strip() or len(ident) > 200:
            raise InvalidInput(
                "object must be <kind>:<id>, the kind one of {kinds}"
                " (e.g. application:6); got {text!r}",
                kinds=", ".join(OBJECT_KINDS),
                text=text[:80],
            )
        return cls(kind, ident.strip())

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


class PersonKind(StrEnum):
    BUREAU = "bureau"  # a person (or key) of the bureau: role and name
    ENTERPRISE = "enterprise"  # someone acting for an enterprise
    PROVIDER = "provider"  # someone (or a system) acting for a provider
    COMMAND_LINE = "command_line"  # an operator on the server's command line
    SYSTEM = "system"  # the service itself (expiry, automatic checks)
    ANONYMOUS = "anonymous"  # before sign-in (a failed sign-in)


@dataclass(frozen=True)
class Person:
    """Who acted, as a person reads it: ``role`` (a Role value) for bureau people,
    ``organisation`` the enterprise's or provider's name, ``name`` the account's display
    name (None for a key acting without an account: then the organisation speaks)."""

    kind: PersonKind
    role: str | None = None
    organisation: str | None = None
    name: str | None = None


class ValueKind(StrEnum):
    MONEY = "money"  # integer fen
    BASIS_POINTS = "bp"  # a share in basis points (5000: 50%)
    STATUS = "status"  # a coded status (status.<value> in the console)
    FLAG = "flag"  # yes / no
    TEXT = "text"  # as it is


@dataclass(frozen=True)
class Change:
    """One field of an entry: ``before`` -> ``after`` (None: the entry did not say)."""

    field: str
    kind: ValueKind
    before: Any
    after: Any
    # The values as recorded, lists and objects kept (the console names their parts).
    recorded_before: Any = dataclass_field(default=None, compare=False, repr=False)
    recorded_after: Any = dataclass_field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class HistoryRow:
    id: int
    occurred_at: datetime
    action: str
    target_type: str
    target_id: str
    person: Person
    changes: list[Change]


def value_kind(field: str, value: Any) -> ValueKind:
    """What a field holds, by its name (money is suffixed ``_fen``) or its value."""
    if isinstance(value, int) and not isinstance(value, bool):
        if field.endswith("_fen"):
            return ValueKind.MONEY
        if field.endswith("_bp"):
            return ValueKind.BASIS_POINTS
    if field == "status":
        return ValueKind.STATUS
    if isinstance(value, bool):
        return ValueKind.FLAG
    return ValueKind.TEXT


def _plain(value: Any) -> Any:
    """A value a person can read: lists as comma-separated text, objects as compact JSON."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _flat(values: dict[str, Any] | None) -> dict[str, Any]:
    """An entry's half with a nested object's fields brought up (a program's ``rules``:
    its ``rate_bp``, ``cap_fen`` ...), so each reads as a field of its own."""
    flat: dict[str, Any] = {}
    for field, value in (values or {}).items():
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            flat.update({k: v for k, v in value.items() if k not in flat})
        else:
            flat[field] = value
    return flat


def changes_of(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The fields an entry records, each once, in the order the entry names them: a field
    in both halves that did not change is left out (it says nothing)."""
    before, after = _flat(before), _flat(after)
    fields = [*before, *(k for k in after if k not in before)]
    found = []
    for field in fields:
        old, new = _plain(before.get(field)), _plain(after.get(field))
        if field in before and field in after and old == new:
            continue
        kind = value_kind(field, new if new is not None else old)
        found.append(Change(field, kind, old, new, before.get(field), after.get(field)))
    return found


def _json(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) else {"value": value}


def _related(session: Session, ref: ObjectRef) -> Any:
    """The condition selecting the entries of ``ref`` and of what belongs to it."""
    t, i = ENTRIES.c.target_type, ENTRIES.c.target_id
    own = and_(t == ref.kind, i == ref.id)
    kinds = {
        "application": (ConfirmationKind.APPROVE_APPLICATION,),
        "voucher": (ConfirmationKind.REVOKE_VOUCHER,),
        "program": tuple(
            k
            for k in ConfirmationKind
            if k not in (ConfirmationKind.APPROVE_APPLICATION, ConfirmationKind.REVOKE_VOUCHER)
        ),
    }.get(ref.kind, ())
    parts = [own]
    if kinds:
        proposals = select(Confirmation.id).where(
            Confirmation.target_id == ref.id, col(Confirmation.kind).in_([k.value for k in kinds])
        )
        ids = [str(n) for n in session.scalars(proposals)]
        if ids:
            parts.append(and_(t == "confirmation", i.in_(ids)))
    if ref.kind == "voucher":
        redemptions = (
            select(Redemption.id)
            .join(Voucher, Voucher.id == Redemption.voucher_id)
            .where(Voucher.code == ref.id)
        )
        ids = [str(n) for n in session.scalars(redemptions)]
        if ids:
            parts.append(and_(t == "redemption", i.in_(ids)))
    if ref.kind == "program":
        parts.append(and_(t == "pool", i.like(ref.id.replace("%", "").replace("_", "") + "/%")))
    condition = or_(*parts)
    if ref.kind == "provider":
        condition = and_(condition, ENTRIES.c.action.not_in(NOT_HISTORY))
    return condition


def object_history(
    session: Session, ref: ObjectRef, params: PageParams
) -> tuple[list[HistoryRow], str | None]:
    """The history of ``ref``, oldest first, one page of it (an object with none: an
    empty page, not an error: a caller showing the object has already found it)."""
    query = select(ENTRIES).where(_related(session, ref))
    rows, cursor = paginate_table(session, query, ENTRIES.c.id, params)
    return readable(session, rows), cursor


def readable(session: Session, rows: Sequence[dict[str, Any]]) -> list[HistoryRow]:
    """Audit entry rows (``audit.service.list_entries``) as history rows."""
    people = _people(session, rows)
    return [
        HistoryRow(
            id=row["id"],
            occurred_at=row["occurred_at"],
            action=row["action"],
            target_type=row["target_type"],
            target_id=row["target_id"],
            person=people[(row["principal_id"], row["actor"])],
            changes=changes_of(_json(row["before"]), _json(row["after"])),
        )
        for row in rows
    ]


def _people(
    session: Session, rows: Sequence[dict[str, Any]]
) -> dict[tuple[int | None, str], Person]:
    """Each (principal, actor) of ``rows`` as a person, with a few queries for them all."""
    pairs = {(row["principal_id"], row["actor"]) for row in rows}
    principal_ids = {p for p, _ in pairs if p is not None}
    principals = {
        p.id: p
        for p in session.scalars(select(Principal).where(col(Principal.id).in_(principal_ids)))
    }
    # A bureau principal is one person: their account. An enterprise's or provider's
    # principal has several accounts: the actor names the login after "/".
    logins = {actor.rpartition("/")[2] for _, actor in pairs if "/" in actor}
    accounts = list(
        session.scalars(
            select(Account).where(
                or_(col(Account.principal_id).in_(principal_ids), col(Account.login).in_(logins))
            )
        )
    )
    by_principal: dict[int, str] = {}
    for a in sorted(accounts, key=lambda a: a.id or 0):
        by_principal.setdefault(a.principal_id, a.display_name)
    known = _Directory(
        principals,
        by_login={a.login: a.display_name for a in accounts},
        by_principal=by_principal,
        enterprises=_names(
            session, Enterprise, {p.enterprise_id for p in principals.values() if p.enterprise_id}
        ),
        providers=_names(
            session, Provider, {p.provider_id for p in principals.values() if p.provider_id}
        ),
    )
    return {pair: known.person(*pair) for pair in pairs}


def _names(
    session: Session, model: type[Enterprise] | type[Provider], ids: set[int]
) -> dict[int, str]:
    """The names of the enterprises (or providers) of ``ids``, by id."""
    query = select(model.id, model.name).where(col(model.id).in_(ids))
    return {row_id: name for row_id, name in session.execute(query).all()}


@dataclass(frozen=True)
class _Directory:
    """What ``_people`` read: the principals, the accounts' names (by login, and the first
    of each principal) and the names of the enterprises and providers."""

    principals: dict[int | None, Principal]
    by_login: dict[str, str]
    by_principal: dict[int, str]
    enterprises: dict[int, str]
    providers: dict[int, str]

    def person(self, principal_id: int | None, actor: str) -> Person:
        principal = self.principals.get(principal_id) if principal_id is not None else None
        if principal is None:
            if actor == "command line":
                return Person(PersonKind.COMMAND_LINE)
            if actor.startswith("anonymous@"):
                return Person(PersonKind.ANONYMOUS)
            return Person(PersonKind.SYSTEM)
        login = actor.rpartition("/")[2] if "/" in actor else None
        name = self.by_login.get(login) if login else None
        if principal.enterprise_id is not None:
            company = self.enterprises.get(principal.enterprise_id)
            return Person(PersonKind.ENTERPRISE, principal.role, company, name)
        if principal.provider_id is not None:
            company = self.providers.get(principal.provider_id)
            return Person(PersonKind.PROVIDER, principal.role, company, name)
        assert principal.id is not None
        return Person(
            PersonKind.BUREAU,
            principal.role,
            None,
            self.by_principal.get(principal.id, principal.name),
        )


@dataclass(frozen=True)
class AccountName:
    """A ledger account (``pool:2``) as a person reads it: its kind and what it is of (the
    program and year of a pool or budget, a voucher's code, a provider's name)."""

    account: str
    kind: str
    program_code: str | None = None
    year: int | None = None
    voucher_code: str | None = None
    provider_name: str | None = None


def name_accounts(session: Session, names: Sequence[str]) -> dict[str, AccountName]:
    """Each ledger account of ``names`` (``kind:id``) by what it belongs to; a name that is
    no account, or whose owner is gone, stays as it is (kind ``""``)."""
    parsed: dict[str, ledger_accounts.Account] = {}
    for name in set(names):
        try:
            parsed[name] = ledger_accounts.Account.parse(name)
        except ValueError:
            continue
    ids: dict[str, set[int]] = {}
    for account in parsed.values():
        kind = "pool" if account.kind.value in ("pool", "budget") else account.kind.value
        ids.setdefault(kind, set()).add(account.owner_id)
    pools = {
        row.id: (row.code, row.year)
        for row in session.execute(
            select(Pool.id, Program.code, Pool.year)
            .join(Program, Program.id == Pool.program_id)
            .where(col(Pool.id).in_(ids.get("pool", set())))
        )
    }
    vouchers: dict[int, str] = dict(
        session.execute(
            select(Voucher.id, Voucher.code).where(col(Voucher.id).in_(ids.get("voucher", set())))
        ).all()
    )
    providers: dict[int, str] = dict(
        session.execute(
            select(Provider.id, Provider.name).where(
                col(Provider.id).in_(ids.get("payable", set()) | ids.get("paid", set()))
            )
        ).all()
    )
    named: dict[str, AccountName] = {}
    for name in names:
        found = parsed.get(name)
        owner = found.owner_id if found else None
        kind = found.kind.value if found else ""
        if kind in ("pool", "budget") and owner in pools:
            code, year = pools[owner]
            named[name] = AccountName(name, kind, program_code=code, year=year)
        elif kind == "voucher" and owner in vouchers:
            named[name] = AccountName(name, kind, voucher_code=vouchers[owner])
        elif kind in ("payable", "paid") and owner in providers:
            named[name] = AccountName(name, kind, provider_name=providers[owner])
        else:
            named[name] = AccountName(name, "")
    return named
