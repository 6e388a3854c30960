"""Schemathesis hooks (``SCHEMATHESIS_HOOKS=tests.fuzz.hooks``): strategies for the formats
the OpenAPI document names whose rule a pattern cannot hold (a check character), so that
schema-valid data is valid."""

from __future__ import annotations

import os
from typing import Any

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


@schemathesis.hook
def before_load_schema(context: schemathesis.HookContext, raw_schema: dict[str, Any]) -> None:
    """With an enterprise's or a provider's key (``FUZZ_OWN_USCC``), its own paths name its
    own credit code in positive cases (so they get past 404), any other in negative ones."""
    own = os.environ.get("FUZZ_OWN_USCC")
    if not own:
        return
    for path, operations in raw_schema.get("paths", {}).items():
        if not path.startswith(("/v1/enterprise/{uscc}", "/v1/provider/{uscc}")):
            continue
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("name") == "uscc":
                    parameter["schema"] = {"type": "string", "enum": [own]}
