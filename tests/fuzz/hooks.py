"""Schemathesis hooks (``SCHEMATHESIS_HOOKS=tests.fuzz.hooks``): strategies for the formats
the OpenAPI document names whose rule a pattern cannot hold (a check character), so that
schema-valid data is valid."""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from voucher_service.domain.codes import ALPHABET as VOUCHER_ALPHABET
from voucher_service.domain.codes import format_code, luhn_check_character
from voucher_service.domain.uscc import ALPHABET as USCC_ALPHABET
from voucher_service.domain.uscc import check_character


def _uscc(head: str, division: str, tail: str) -> str:
    first17 = head + division + tail
    return first17 + check_character(first17)


USCCS = st.builds(
    _uscc,
    st.text(USCC_ALPHABET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_ALPHABET, min_size=9, max_size=9),
)
VOUCHER_CODES = st.text(VOUCHER_ALPHABET, min_size=15, max_size=15).map(
    lambda body: format_code(body + luhn_check_character(body))
)

schemathesis.openapi.format("uscc", USCCS)
schemathesis.openapi.format("voucher-code", VOUCHER_CODES)
