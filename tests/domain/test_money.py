import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_service.money import MAX_FEN, MoneyError, fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [("0", 0), ("0.5", 50), ("0.05", 5), ("1234.50", 123450), ("200000", 20_000_000), ("7.1", 710)],
)
def test_parses_yuan_to_fen(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "1e3",
        "1E3",
        "1.234",
        ".5",
        "5.",
        "+5",
        " 5",
        "5 ",
        "1,000",
        "01",
        "0x10",
        "NaN",
        "inf",
        "",
        "¥5",
        "５",
    ],
)
def test_refuses_malformed_amounts(text: str) -> None:
    with pytest.raises(MoneyError):
        yuan_to_fen(text)


def test_refuses_negative_unless_allowed() -> None:
    with pytest.raises(MoneyError, match="negative"):
        yuan_to_fen("-1.00")
    assert yuan_to_fen("-1.05", allow_negative=True) == -105


def test_refuses_zero_when_asked() -> None:
    with pytest.raises(MoneyError, match="greater than zero"):
        yuan_to_fen("0.00", allow_zero=False)


def test_refuses_absurd_sizes_and_non_strings() -> None:
    with pytest.raises(MoneyError, match="maximum"):
        yuan_to_fen("100000000001")
    with pytest.raises(MoneyError):
        yuan_to_fen("9" * 40)
    for value in (1000, 10.5, None):
        with pytest.raises(MoneyError, match="decimal string"):
            yuan_to_fen(value)  # type: ignore[arg-type]


@given(st.integers(min_value=-MAX_FEN, max_value=MAX_FEN))
def test_format_then_parse_round_trips(fen: int) -> None:
    text = fen_to_yuan(fen)
    assert text.split(".")[1].__len__() == 2
    assert yuan_to_fen(text, allow_negative=True) == fen


def test_formats_with_two_places() -> None:
    assert fen_to_yuan(5) == "0.05"
    assert fen_to_yuan(-123450) == "-1234.50"
    with pytest.raises(TypeError):
        fen_to_yuan(1.5)  # type: ignore[arg-type]
