import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_service.domain.uscc import (
    ALPHABET,
    USCCError,
    check_character,
    division_code,
    validate_uscc,
)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "914403001922038216", "91440300708461136T"])
def test_known_good_codes(code: str) -> None:
    assert validate_uscc(code) == code


def test_normalises_case_and_whitespace() -> None:
    assert validate_uscc(" 91440300708461136t ") == "91440300708461136T"


def test_names_the_failing_position() -> None:
    with pytest.raises(USCCError, match="position 18"):
        validate_uscc("91350100M000100Y44")
    with pytest.raises(USCCError, match="'I' at position 9"):
        validate_uscc("91350100I000100Y43")
    with pytest.raises(USCCError, match="position 5 must be a digit"):
        validate_uscc("9135A100M000100Y43")
    with pytest.raises(USCCError, match="18 characters"):
        validate_uscc("91350100M000100Y4")


def test_division_code() -> None:
    assert division_code("91440300708461136T") == "440300"


body = st.tuples(
    st.text(ALPHABET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(body)
def test_computed_check_character_validates(first17: str) -> None:
    assert validate_uscc(first17 + check_character(first17))


@given(body, st.integers(0, 16), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_caught(first17: str, position: int, ch: str) -> None:
    code = first17 + check_character(first17)
    typo = code[:position] + ch + code[position + 1 :]
    if typo != code and typo[2:8].isdigit():
        with pytest.raises(USCCError):
            validate_uscc(typo)
