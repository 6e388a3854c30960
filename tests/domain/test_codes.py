import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_service.domain.codes import (
    ALPHABET,
    VoucherCodeError,
    format_code,
    luhn_check_character,
    new_voucher_code,
    parse_voucher_code,
)


def test_codes_are_readable_and_unique() -> None:
    codes = {new_voucher_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert len(code) == 19 and code.count("-") == 3
        assert not set(code) & set("01OI")
        assert parse_voucher_code(code) == code


def test_parse_accepts_lower_case_and_spaces() -> None:
    code = new_voucher_code()
    assert parse_voucher_code(code.lower().replace("-", " ")) == code


def test_refuses_confusable_characters_with_a_hint() -> None:
    with pytest.raises(VoucherCodeError, match="never contain 0, O, 1 or I"):
        parse_voucher_code("0AAA-AAAA-AAAA-AAAA")


bodies = st.text(ALPHABET, min_size=15, max_size=15)


@given(bodies, st.integers(0, 15), st.sampled_from(ALPHABET))
def test_single_substitution_is_detected(body: str, position: int, ch: str) -> None:
    compact = body + luhn_check_character(body)
    typo = compact[:position] + ch + compact[position + 1 :]
    if typo != compact:
        with pytest.raises(VoucherCodeError):
            parse_voucher_code(format_code(typo))


@given(bodies, st.integers(0, 14))
def test_adjacent_swap_is_detected(body: str, position: int) -> None:
    compact = body + luhn_check_character(body)
    a, b = compact[position], compact[position + 1]
    swapped = compact[:position] + b + a + compact[position + 2 :]
    # Luhn mod N catches every adjacent swap except that of the characters worth 0 and N-1.
    if swapped != compact:
        try:
            parse_voucher_code(format_code(swapped))
        except VoucherCodeError:
            return
        assert {ALPHABET.index(a), ALPHABET.index(b)} == {0, len(ALPHABET) - 1}


def test_every_code_shown_as_an_example_passes_its_own_check() -> None:
    """The docs' and the API's sample codes are real codes: pasted into a request, they are
    refused for being unknown (404), never for being malformed (422)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = [root / "README.md", *(root / "docs").glob("*.md")]
    sources += (root / "voucher_service").rglob("*.py")
    shown = {
        code
        for path in sources
        for code in re.findall(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}\b", path.read_text("utf-8"))
    }
    assert "7KQ3-MZ8D-R2XW-HT4T" in shown
    for code in shown:
        assert parse_voucher_code(code) == code
