"""Validation errors (pydantic's, for a malformed request) said per field in the request's
language: ``amount_yuan: '八万' is not an amount in yuan ...`` in English, as before, and
``字段 amount_yuan：“八万”不是以元为单位的金额……`` in Chinese.

Our own types (money, credit codes, voucher codes, dates and instants, cursors) refuse a
value with a ``RefusedValue`` (an English template and its parameters), said from the
``errors`` catalog like every other error. Pydantic's own errors (``missing``,
``string_too_long``, ``int_parsing``, ...) are said from the same catalog, whose msgids
are pydantic's own English templates (``String should have at most {max_length}
character{expected_plural}``); one the catalog lacks stays in pydantic's English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic_core import PydanticKnownError

from voucher_service.domain.messages import RefusedValue
from voucher_service.error_language import CHINESE, ENGLISH, catalog, say

# The pydantic error types a client meets most often: each has its Chinese in the catalog
# (tests/test_errors_i18n.py checks it).
COMMON_TYPES = (
    "missing",
    "extra_forbidden",
    "string_type",
    "string_too_short",
    "string_too_long",
    "string_pattern_mismatch",
    "int_type",
    "int_parsing",
    "int_from_float",
    "float_parsing",
    "bool_type",
    "bool_parsing",
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "too_short",
    "too_long",
    "list_type",
    "dict_type",
    "model_type",
    "model_attributes_type",
    "enum",
    "literal_error",
    "date_type",
    "date_parsing",
    "date_from_datetime_parsing",
    "datetime_type",
    "datetime_parsing",
    "timezone_aware",
    "json_invalid",
    "json_type",
    "uuid_parsing",
    "url_parsing",
    "url_scheme",
)


class _Blank(dict[str, Any]):
    """Format values for a template: a placeholder without a value (pydantic computes some,
    such as ``expected_plural``) is left empty."""

    def __missing__(self, key: str) -> str:
        return ""


def _where(err: Mapping[str, Any]) -> str:
    return ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"


def _english(err: Mapping[str, Any]) -> str:
    return str(err.get("msg", "invalid")).removeprefix("Value error, ")


def reason(err: Mapping[str, Any], language: str) -> str:
    """Why one value was refused, in ``language``."""
    refused = (err.get("ctx") or {}).get("error")
    if isinstance(refused, RefusedValue):
        return say(refused.template, refused.params, language)
    if language == ENGLISH:
        return _english(err)
    translations = catalog(language)
    if isinstance(refused, ValueError):  # a model's own rule, raised with a fixed message
        return translations.get(str(refused), _english(err))
    if str(err.get("msg")) in translations:  # a custom error type (``invalid_time``)
        return translations[str(err["msg"])]
    try:
        template = PydanticKnownError(err["type"], err.get("ctx")).message_template
    except (KeyError, TypeError):
        return _english(err)
    if template not in translations:
        return _english(err)
    return translations[template].format_map(_Blank(err.get("ctx") or {}))


def describe(errors: Iterable[Mapping[str, Any]], language: str) -> str:
    """Every refused value, field by field, in ``language``."""
    if language == CHINESE:
        return "；".join(
            f"{'请求体' if _where(e) == 'body' else '字段 ' + _where(e)}：{reason(e, language)}"
            for e in errors
        )
    return "; ".join(f"{_where(e)}: {reason(e, language)}" for e in errors)
