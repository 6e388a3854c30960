"""Chinese names of the coded values that exports show, so that a file with Chinese headers
reads in Chinese throughout (类型 计量, not ``usage``; 迟报 否, not ``False``).

One table per column that holds a code, its names read from the zh_CN gettext catalog (the
msgids the console shows the same codes with, so a page and its download say the same thing);
``in_chinese`` leaves any other value as it is.
The API and the English exports keep the codes, which clients program against.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from voucher_service.db.tables.applications import UNDECLARED, SizeClass
from voucher_service.db.tables.settlement import StatementStatus
from voucher_service.db.tables.usage import RecordKind
from voucher_service.domain.pricing import Shortfall
from voucher_service.domain.usage import Outcome, Refusal, ResourceKind, Unit
from voucher_service.locale import messages


def _named(prefix: str, *codes: type[StrEnum] | str) -> dict[str, str]:
    """The Chinese names of coded values: msgids ``<prefix><code>`` of the zh_CN catalog."""
    values = [c for c in codes if isinstance(c, str)]
    values += [m.value for e in codes if not isinstance(e, str) for m in e]
    return {value: _ZH[f"{prefix}{value}"] for value in values}


_ZH = messages("zh-CN")
KIND = _named("usage.kind.", RecordKind)
OUTCOME = _named("usage.outcome.", Outcome)
REASON = _named("usage.reason.", Refusal, Shortfall)
RESOURCE_KIND = _named("resource_kind.", ResourceKind)
UNIT = _named("usage.unit.", Unit)
STATUS = _named("statement.status.", StatementStatus)
SIZE_CLASS = _named("size_class.", SizeClass, UNDECLARED)
YES_NO = {True: _ZH["export.yes"], False: _ZH["export.no"]}

COLUMNS: dict[str, dict[Any, str]] = {
    "kind": KIND,
    "outcome": OUTCOME,
    "reason": REASON,
    "resource_kind": RESOURCE_KIND,
    "unit": UNIT,
    "status": STATUS,
    "late": YES_NO,
    "size_class": SIZE_CLASS,
}


def in_chinese(column: str, value: Any) -> Any:
    """``value`` of ``column`` as a Chinese reader should see it: coded values by name,
    booleans as 是/否, anything else unchanged."""
    names = COLUMNS.get(column)
    if names is None or value is None:
        return value
    return names.get(value, value)
