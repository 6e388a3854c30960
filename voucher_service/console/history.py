"""History sections as a person reads them: ``audit.history`` gives an object's entries as
typed rows; this puts them in the page's language — the action's name, the person (``武汉市
经信局 审核人员 张三``, an enterprise's name and its user's), each change as ``field: old →
new`` with money in ¥ and statuses by name. The template is ``history.html``
(``history_section``); the bureau's audit page shows the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from voucher_service.audit import history
from voucher_service.audit.history import (
    AccountName,
    Change,
    HistoryRow,
    ObjectRef,
    Person,
    PersonKind,
    ValueKind,
)
from voucher_service.console.formatting import yuan
from voucher_service.console.i18n import DEFAULT_LANGUAGE, Translator, messages
from voucher_service.pagination import PageParams

# What a history section shows at most (the API pages through all of it).
SECTION_ROWS = 200
# Fields left out of a change list: a proposal's ``summary`` is the API's English sentence
# made of the other fields, which the list shows one by one; the ``..._by`` fields and a key's
# ``holder`` name people as the log keeps them (a login), while each entry already names who
# acted, by name (the proposer on the proposal's own entry).
HIDDEN_FIELDS = frozenset(
    {"summary", "proposed_by", "decided_by", "closed_by", "approved_by", "paid_by", "holder"}
)


@dataclass(frozen=True)
class ShownChange:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class ShownEntry:
    id: int
    occurred_at: datetime
    action_code: str
    action: str
    person: str
    target: str
    changes: list[ShownChange]


ACTION_PREFIX = "history.action."


def action_codes() -> tuple[str, ...]:
    """Every action the catalogs name (``history.action.<code>``), in order: the audit
    page's action filter."""
    return tuple(
        sorted(
            key.removeprefix(ACTION_PREFIX)
            for key in messages(DEFAULT_LANGUAGE)
            if key.startswith(ACTION_PREFIX)
        )
    )


def named(t: Translator, key: str, fallback: str) -> str:
    """``t(key)`` if the catalogue has it, else ``fallback`` (a code shown as it is)."""
    return t(key) if key in t else fallback


def action_name(t: Translator, action: str) -> str:
    return named(t, f"history.action.{action}", action)


def person_name(t: Translator, person: Person) -> str:
    """Who acted, never a login: the bureau, the role and the person's name; an enterprise or
    provider and its user's name."""
    if person.kind is PersonKind.BUREAU:
        role = named(t, f"history.role.{person.role}", "")
        return " ".join(p for p in (t("history.bureau"), role, person.name) if p)
    if person.kind in (PersonKind.ENTERPRISE, PersonKind.PROVIDER):
        return " ".join(p for p in (person.organisation, person.name) if p)
    return t(f"history.person.{person.kind.value}")


def value_text(t: Translator, change: Change, value: Any) -> str:
    if value is None or value == "":
        return t("history.empty_value")
    if change.kind is ValueKind.MONEY:
        return yuan(int(value))
    if change.kind is ValueKind.BASIS_POINTS:
        return f"{int(value) / 100:.2f}%"
    if change.kind is ValueKind.FLAG:
        return t("filter.yes") if value else t("filter.no")
    if change.kind is ValueKind.STATUS:
        return named(t, f"status.{value}", named(t, f"history.status.{value}", str(value)))
    if isinstance(value, str):
        return coded(t, change.field, value)
    if isinstance(value, list):
        return "、".join(value_text(t, change, item) for item in value)
    if isinstance(value, dict) and "name" in value:  # a named object (a selection field)
        return str(value["name"])
    if isinstance(value, dict):  # one of a list's objects (a provider's price list's line)
        return " ".join(
            f"{named(t, f'history.field.{key}', key)} "
            f"{yuan(int(item)) if key.endswith('_fen') else coded(t, key, str(item))}"
            for key, item in value.items()
        )
    return str(value)


def _structured(recorded: Any, plain: Any) -> Any:
    """A list or an object as recorded (its parts named one by one), else the plain value."""
    return recorded if isinstance(recorded, list | dict) else plain


# Where the catalogs name a field's coded values, by the field.
CODED = {"unit": "usage.unit.", "resource_kind": "resource_kind.", "sector": "sector."}


def coded(t: Translator, field: str, value: str) -> str:
    """A coded value in the reader's language: by the catalogs' prefix for its field
    (``CODED``), or ``history.value.<field>.<code>`` (a voucher validity, a proposal's
    kind), else as it is (a name, a number, a code that is a code)."""
    key = f"{CODED[field]}{value}" if field in CODED else f"history.value.{field}.{value}"
    return named(t, key, value)


def target_name(t: Translator, target_type: str, target_id: str) -> str:
    return f"{named(t, f'history.object.{target_type}', target_type)} {target_id}"


def shown(t: Translator, rows: Sequence[HistoryRow]) -> list[ShownEntry]:
    """History rows in ``t``'s language."""
    return [
        ShownEntry(
            id=row.id,
            occurred_at=row.occurred_at,
            action_code=row.action,
            action=action_name(t, row.action),
            person=person_name(t, row.person),
            target=target_name(t, row.target_type, row.target_id),
            changes=[
                ShownChange(
                    named(t, f"history.field.{c.field}", c.field),
                    value_text(t, c, _structured(c.recorded_before, c.before)),
                    value_text(t, c, _structured(c.recorded_after, c.after)),
                )
                for c in row.changes
                if c.field not in HIDDEN_FIELDS
            ],
        )
        for row in rows
    ]


def section(session: Session, t: Translator, kind: str, object_id: object) -> list[ShownEntry]:
    """The history of one object (``kind``, its id) for a page's history section."""
    ref = ObjectRef(kind, str(object_id))
    rows, _ = history.object_history(session, ref, PageParams(limit=SECTION_ROWS))
    return shown(t, rows)


def account_label(t: Translator, account: AccountName) -> str:
    """``pool:2`` as ``2026 年度资金池（M2）``; an account of no known owner as it is."""
    if account.kind in ("pool", "budget"):
        return t(f"history.account.{account.kind}", year=account.year, program=account.program_code)
    if account.kind == "voucher":
        return t("history.account.voucher", code=account.voucher_code)
    if account.kind in ("payable", "paid"):
        return t(f"history.account.{account.kind}", provider=account.provider_name)
    return account.account


def name_accounts(
    session: Session, t: Translator, rows: list[dict[str, Any]], *columns: str
) -> list[dict[str, Any]]:
    """``rows`` with their account ``columns`` (``from_account``, ``to_account``) named."""
    names = history.name_accounts(session, [row[c] for row in rows for c in columns])
    return [row | {c: account_label(t, names[row[c]]) for c in columns} for row in rows]


def decided_by(entries: Sequence[ShownEntry], t: Translator, *, decided: bool) -> str | None:
    """Who decided an application or selection, by name (its last decision in ``entries``);
    a decision without one was the automatic checks'."""
    decisions = [e for e in entries if e.action_code.rpartition(".")[2] in DECISIONS]
    if decisions:
        return decisions[-1].person
    return t("history.person.system") if decided else None


# The last word of the actions that decide an application or a selection.
DECISIONS = frozenset({"approve", "return", "reject", "select", "decline"})
