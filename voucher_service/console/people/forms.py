"""Forms read through the API's own schemas, so a page accepts exactly what its endpoint
accepts (the same money, credit-code and length checks), and refuses in the page language;
and acted on in a savepoint, the page shown again with the refusal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from voucher_service import validation_language
from voucher_service.console.i18n import Translator
from voucher_service.console.pages import attempt, describe

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


def as_sent(schema: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """A form's values as a JSON body would carry them: a whole number typed into a field the
    schema takes as an integer is that integer (the API takes JSON integers only, never
    ``"45"``); anything else is left for the schema to judge."""
    typed = dict(data)
    integers = _integer_fields(schema)
    for name, field in schema.model_fields.items():
        value = typed.get(name)
        inner = get_args(field.annotation)
        if name in integers and isinstance(value, str) and value.strip().isdigit():
            typed[name] = int(value.strip())
        elif get_origin(field.annotation) is list and inner and isinstance(value, list):
            item = inner[0]
            if isinstance(item, type) and issubclass(item, BaseModel):
                typed[name] = [as_sent(item, v) if isinstance(v, dict) else v for v in value]
    return typed


@cache
def _integer_fields(schema: type[BaseModel]) -> frozenset[str]:
    """The fields the schema publishes as JSON integers (a yuan amount is a string, though
    it is held as an int of fen)."""
    properties = schema.model_json_schema().get("properties", {})
    return frozenset(name for name, spec in properties.items() if spec.get("type") == "integer")


def read_form(schema: type[M], data: dict[str, Any], t: Translator, labels: dict[str, str]) -> M:
    """``data`` as ``schema`` reads it, or FormRefused naming each field (its label, from
    ``labels``: field -> catalogue key) with the schema's own reason."""
    try:
        return schema.model_validate(as_sent(schema, data))
    except ValidationError as exc:
        parts = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            name = t(labels[field]) if field in labels else field
            reason = validation_language.reason(error, t.language)
            parts.append(f"{name}: {reason}")
        raise FormRefused(t("code.invalid_input", detail="; ".join(parts))) from exc


T = TypeVar("T")


@dataclass(frozen=True)
class Refused:
    """Why a form was not acted on, as its page shows it again: the reason in the page's
    language and the status the API would answer."""

    error: str
    status_code: int

    def shown(self) -> dict[str, Any]:
        """The page's ``error`` and ``status_code``."""
        return {"error": self.error, "status_code": self.status_code}


def act_on(session: Session, t: Translator, action: Callable[[], T]) -> T | Refused:
    """Run ``action`` (it may read a form through its API schema, then call the service) in a
    savepoint: what it returned, or why not (a form its schema refuses: 422; a refusal of
    the service: its status; nothing of it is kept)."""
    made: list[T] = []
    try:
        refused = attempt(session, lambda: made.append(action()))
    except FormRefused as exc:
        return Refused(exc.message, 422)
    if refused is not None:
        return Refused(describe(refused, t), refused.status)
    return made[0]
