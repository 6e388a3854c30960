"""The OpenAPI document describes the API as it behaves (issue 11): a bearer scheme, the
error responses of every operation in the one error shape, and every value a client sends
bounded by a rule that the service applies exactly as published."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from tests.fuzz.hooks import USCCS, VOUCHER_CODES
from voucher_service.api import create_app
from voucher_service.fields import (
    MAX_ID,
    NAME_PATTERN,
    POSITIVE_YUAN_PATTERN,
    TEXT_PATTERN,
    USCC,
    USCC_PATTERN,
    VOUCHER_CODE_PATTERN,
    YUAN_PATTERN,
    Name,
    NonNegativeYuan,
    PositiveYuan,
    Text,
    VoucherCode,
)
from voucher_service.pagination import CURSOR_PATTERN, Cursor

DOC = create_app().openapi()
SCHEMAS = DOC["components"]["schemas"]
OPERATIONS = [
    (method, path, op)
    for path, ops in DOC["paths"].items()
    for method, op in ops.items()
    if path.startswith("/v1/")
]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].split("/")[-1]]
    return schema


def unbounded(schema: dict[str, Any], where: str) -> list[str]:
    """Every string without a rule and every integer without both bounds, anywhere in a
    request schema."""
    schema = resolve(schema)
    found = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += unbounded(sub, where)
    kind = schema.get("type")
    if kind == "string" and not (
        schema.get("pattern")
        or schema.get("enum")
        or schema.get("format") in ("date", "date-time")
        # an uploaded file (format binary; contentMediaType in OpenAPI 3.1): the gate bounds it
        or schema.get("format") == "binary"
        or "contentMediaType" in schema
    ):
        found.append(f"{where}: a string without a pattern")
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if not (
            isinstance(low, int) and isinstance(high, int) and -MAX_ID <= low <= high <= MAX_ID
        ):
            found.append(f"{where}: an integer without integral bounds within ±{MAX_ID}")
    for name, sub in schema.get("properties", {}).items():
        found += unbounded(sub, f"{where}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        found += unbounded(schema["additionalProperties"], f"{where}.*")
    if kind == "array":
        found += unbounded(schema.get("items", {}), f"{where}[]")
    return found


def test_every_value_a_client_sends_is_bounded() -> None:
    found = []
    for method, path, op in OPERATIONS:
        for parameter in op.get("parameters", []):
            found += unbounded(parameter["schema"], f"{method} {path} {parameter['name']}")
        for content in op.get("requestBody", {}).get("content", {}).values():
            found += unbounded(content["schema"], f"{method} {path} body")
    assert found == []


def test_every_operation_has_the_bearer_scheme_and_its_errors_in_the_one_shape() -> None:
    assert DOC["components"]["securitySchemes"] == {
        "apiKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key, `vsk_<prefix>_<secret>` (see docs/access.md).",
        }
    }
    assert "HTTPValidationError" not in SCHEMAS
    for method, path, op in OPERATIONS:
        assert op["security"] == [{"apiKey": []}], f"{method} {path}"
        statuses = {int(s) for s in op["responses"] if int(s) >= 400}
        assert {401, 403, 429, 500, 503} <= statuses, f"{method} {path}: {statuses}"
        if "requestBody" in op:
            assert {400, 413, 422} <= statuses, f"{method} {path}"
        if method != "get":
            assert 409 in statuses, f"{method} {path}"
        if "{" in path:
            assert 404 in statuses, f"{method} {path}"
        for status in statuses:
            content = op["responses"][str(status)]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}
            assert set(content["example"]["error"]) == {"code", "message"}


def test_the_documented_error_codes_are_the_services() -> None:
    codes = SCHEMAS["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert "internal" in codes and "too_many_failures" in codes and "invalid_time" in codes


def accepted(annotation: Any, value: Any) -> bool:
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("pattern", "annotation"),
    [
        (YUAN_PATTERN, NonNegativeYuan),
        (POSITIVE_YUAN_PATTERN, PositiveYuan),
        (CURSOR_PATTERN, Cursor),
        (NAME_PATTERN, Name),
        (TEXT_PATTERN, Text),
    ],
)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_pattern_is_the_whole_rule(pattern: str, annotation: Any, data: st.DataObject) -> None:
    """What the pattern allows is taken, and what it refuses is refused (anything at all,
    from the pattern or not): the document and the service never disagree."""
    value = data.draw(st.one_of(st.from_regex(pattern, fullmatch=True), st.text(max_size=20)))
    assert accepted(annotation, value) == (re.fullmatch(pattern, value) is not None), value


@settings(max_examples=300, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize(
    ("pattern", "annotation", "valid"),
    [(USCC_PATTERN, USCC, USCCS), (VOUCHER_CODE_PATTERN, VoucherCode, VOUCHER_CODES)],
)
def test_a_code_is_its_pattern_and_its_check_character(
    pattern: str, annotation: Any, valid: st.SearchStrategy[str], data: st.DataObject
) -> None:
    """A code the service takes matches its pattern; the fuzzer's format gives codes the
    service takes (the check character is the one rule a pattern cannot hold)."""
    value = data.draw(st.one_of(st.from_regex(pattern, fullmatch=True), st.text(max_size=24)))
    if accepted(annotation, value):
        assert re.fullmatch(pattern, value), value
    assert accepted(annotation, data.draw(valid))
