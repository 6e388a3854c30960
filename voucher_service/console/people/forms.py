"""Forms read through the API's own schemas, so a page accepts exactly what its endpoint
accepts (the same money, credit-code and length checks), and refuses in the page language."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from voucher_service.console.i18n import Translator

M = TypeVar("M", bound=BaseModel)


class FormRefused(Exception):
    """A form that its API schema refuses; ``message`` says why, in the page language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def plain_yuan(text: str) -> str:
    """An amount as people type it (``¥80,000``, ``80，000.5``) as the API writes it
    (``80000.5``): the symbol, spaces and thousands separators dropped, nothing guessed. The
    schema's money parser then decides (two decimal places at most, no exponent)."""
    return text.strip().removeprefix("¥").removeprefix("￥").replace(",", "").replace("，", "")


def read_form(schema: type[M], data: dict[str, Any], t: Translator, labels: dict[str, str]) -> M:
    """``data`` as ``schema`` reads it, or FormRefused naming each field (its label, from
    ``labels``: field -> catalogue key) with the schema's own reason."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        parts = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            name = t(labels[field]) if field in labels else field
            reason = str(error["msg"]).removeprefix("Value error, ")
            parts.append(f"{name}: {reason}")
        raise FormRefused(t("code.invalid_input", detail="; ".join(parts))) from exc
