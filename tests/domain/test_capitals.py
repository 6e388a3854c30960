"""Amounts in Chinese capitals (大写金额): known examples from the rules for payment
documents, and properties over every amount: the capitals read back to the same fen, use
only the allowed characters, never double a 零, and end in 整 exactly when there is no 分."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_service.domain.capitals import DIGITS, LIMIT_FEN, amount_in_capitals

KNOWN = [
    (12345678, "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
    (12345600, "壹拾贰万叁仟肆佰伍拾陆元整"),
    (0, "零元整"),
    (1, "壹分"),
    (50, "伍角整"),
    (55, "伍角伍分"),
    (100, "壹元整"),
    (1000, "壹拾元整"),
    (1500, "壹拾伍元整"),
    (100500, "壹仟零伍元整"),
    (168032, "壹仟陆佰捌拾元零叁角贰分"),
    (32504, "叁佰贰拾伍元零肆分"),
    (10700053, "壹拾万柒仟元零伍角叁分"),
    (1000000000, "壹仟万元整"),
    (1000050000, "壹仟万零伍佰元整"),
    (20000000000, "贰亿元整"),
    (10001000000, "壹亿零壹万元整"),
    (10100000000, "壹亿零壹佰万元整"),
    (20000000, "贰拾万元整"),  # measure 2's cap
    (500000000, "伍佰万元整"),  # measure 3's cap
    (1000000000 * 1, "壹仟万元整"),  # the pool's minimum
    (1010000000, "壹仟零壹拾万元整"),
    (1500010, "壹万伍仟元零壹角整"),
    (-6000, "负陆拾元整"),
]


@pytest.mark.parametrize(("fen", "capitals"), KNOWN)
def test_known_amounts(fen: int, capitals: str) -> None:
    assert amount_in_capitals(fen) == capitals


def test_refused() -> None:
    for wrong in (1.5, "100", True):
        with pytest.raises(TypeError):
            amount_in_capitals(wrong)  # type: ignore[arg-type]
    for far in (LIMIT_FEN, -LIMIT_FEN):
        with pytest.raises(ValueError):
            amount_in_capitals(far)


_VALUE = {d: i for i, d in enumerate(DIGITS)}
_PLACE = {"拾": 10, "佰": 100, "仟": 1000}


def _read_group(text: str) -> int:
    """The inverse of a group: digits with 拾佰仟 places (and 零 as a gap)."""
    total, digit = 0, 0
    for ch in text:
        if ch == "零":
            continue
        if ch in _PLACE:
            total += digit * _PLACE[ch]
            digit = 0
        else:
            digit = _VALUE[ch]
    return total + digit


def read_back(capitals: str) -> int:
    """Capitals back to fen, written independently of the function under test."""
    sign = -1 if capitals.startswith("负") else 1
    text = capitals.removeprefix("负").removesuffix("整")
    yuan_text, _, cents_text = text.rpartition("元") if "元" in text else ("", "", text)
    yuan = 0
    rest = yuan_text
    if "亿" in rest:
        high, rest = rest.split("亿")
        yuan += _read_group(high) * 10**8
    if "万" in rest:
        high, rest = rest.split("万")
        yuan += _read_group(high) * 10**4
    yuan += _read_group(rest)
    cents = 0
    if m := re.search("(.)角", cents_text):
        cents += _VALUE[m.group(1)] * 10
    if m := re.search("(.)分", cents_text):
        cents += _VALUE[m.group(1)]
    return sign * (yuan * 100 + cents)


AMOUNTS = st.integers(min_value=-LIMIT_FEN + 1, max_value=LIMIT_FEN - 1)


@given(AMOUNTS)
def test_capitals_read_back_to_the_amount(fen: int) -> None:
    assert read_back(amount_in_capitals(fen)) == fen


@given(AMOUNTS)
def test_capitals_are_well_formed(fen: int) -> None:
    text = amount_in_capitals(fen)
    assert set(text) <= set(DIGITS) | set("拾佰仟万亿元角分整负")
    assert "零零" not in text
    assert fen == 0 or not re.search("零[万亿元]", text)  # 零元整 only for nothing
    assert text.endswith("整") == (abs(fen) % 10 == 0)
    assert text.startswith("零") == (fen == 0)
    assert text.startswith("负") == (fen < 0)
    if abs(fen) >= 100:
        assert "元" in text
    # Every place a digit stands in is named: no bare 一 to 九 or Arabic figures.
    assert not re.search(r"[0-9一二三四五六七八九十百千]", text)


@given(st.integers(min_value=1, max_value=10**11 - 1))
def test_whole_yuan_end_in_yuan_zheng(yuan: int) -> None:
    assert amount_in_capitals(yuan * 100).endswith("元整")
