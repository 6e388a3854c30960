"""Every coded value an export shows has a Chinese name."""

from __future__ import annotations

from enum import StrEnum

import pytest

from voucher_service.db.tables.applications import UNDECLARED, SizeClass
from voucher_service.db.tables.settlement import StatementStatus
from voucher_service.db.tables.usage import RecordKind
from voucher_service.domain.pricing import Shortfall
from voucher_service.domain.usage import Outcome, Refusal, ResourceKind, Unit
from voucher_service.labels_zh import COLUMNS, in_chinese


@pytest.mark.parametrize(
    ("column", "codes"),
    [
        ("kind", [RecordKind]),
        ("outcome", [Outcome]),
        ("reason", [Refusal, Shortfall]),
        ("resource_kind", [ResourceKind]),
        ("unit", [Unit]),
        ("status", [StatementStatus]),
    ],
)
def test_every_code_has_a_chinese_name(column: str, codes: list[type[StrEnum]]) -> None:
    every = {member.value for enum in codes for member in enum}
    assert set(COLUMNS[column]) == every
    assert all(in_chinese(column, code) != code for code in every)


def test_every_size_class_has_a_chinese_name() -> None:
    assert set(COLUMNS["size_class"]) == {s.value for s in SizeClass} | {UNDECLARED}
    assert in_chinese("size_class", "micro") == "微型"


def test_other_values_pass_unchanged() -> None:
    assert (in_chinese("late", False), in_chinese("late", True)) == ("否", "是")
    assert in_chinese("uscc", "91420100MA4K00100E") == "91420100MA4K00100E"
    assert in_chinese("reason", None) is None
    assert in_chinese("kind", "") == ""
