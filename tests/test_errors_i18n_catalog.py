"""Every message a client or a person can be refused with has its Chinese in the catalog.

The messages are found in the source with ``ast``: the first argument of every call of an
error class (``ServiceError`` and its subclasses, ``RefusedValue`` and its subclasses: the
money, credit code, voucher code, rules and date parsers), the ``ValueError``s of the API
schemas' validators, and a few forwarding places named below. A message must be a literal
template (``"no program {program_code}", program_code=code``), never an f-string: an
f-string's text differs on every call, so no catalog can hold it. Each template must have
a Chinese translation in ``locale/zh_CN/LC_MESSAGES/errors.po`` that uses the same
placeholders.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import voucher_service.api  # noqa: F401  (every module with an error class, imported)
from voucher_service.domain.messages import RefusedValue
from voucher_service.error_language import CHINESE, catalog, catalog_path
from voucher_service.errors import ServiceError
from voucher_service.fields import INSTANT_MESSAGE
from voucher_service.validation_language import COMMON_TYPES

PACKAGE = Path(voucher_service.api.__file__).parent

# Functions that take a message (at this position) and raise it: their callers' literals.
FORWARDERS = {"_fail": 5}
# Functions whose returned strings are raised as messages.
RETURNED = {("auth/duties.py", "conflict")}
# Said by the API's own handlers (FastAPI's HTTPException details).
HANDLER_MESSAGES = ("Not Found", "Method Not Allowed")


def _subclasses(cls: type) -> set[str]:
    found: set[str] = set()
    subclass: type
    for subclass in cls.__subclasses__():
        found |= {subclass.__name__} | _subclasses(subclass)
    return found


ERROR_CLASSES = {"ServiceError", "RefusedValue"} | _subclasses(ServiceError)
ERROR_CLASSES |= _subclasses(RefusedValue)


def _name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _literals(node: ast.expr) -> Iterator[str | None]:
    """The templates an argument can be: None for what is not a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)
    else:
        yield None


def _forwarded(call: ast.Call) -> bool:
    """``InvalidInput(exc.template, ..., **exc.params)``: a refused value's own template,
    or a forwarder's ``message`` parameter (its callers' literals are collected)."""
    first = call.args[0]
    if isinstance(first, ast.Attribute) and first.attr == "template":
        return any(k.arg is None for k in call.keywords)
    return isinstance(first, ast.Name) and first.id in {"message", "why"}


def collect() -> tuple[dict[str, list[str]], list[str]]:
    """Template -> where it is raised; and the places a message is not a literal."""
    templates: dict[str, list[str]] = {}
    bad: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and (relative, node.name) in RETURNED:
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and ret.value is not None:
                        for text in _literals(ret.value):
                            if text is not None:
                                templates.setdefault(text, []).append(relative)
            if not isinstance(node, ast.Call):
                continue
            name = _name(node)
            if name in FORWARDERS and len(node.args) > FORWARDERS[name]:
                argument: ast.expr | None = node.args[FORWARDERS[name]]
            elif name in ERROR_CLASSES and node.args:
                argument = node.args[0]
                if _forwarded(node):
                    continue
            elif name == "ValueError" and relative.endswith("schemas.py") and node.args:
                argument = node.args[0]
            elif name in ("say", "_said") and node.args:
                argument = node.args[0]
                if not isinstance(argument, ast.Constant):
                    continue  # the handlers' own forwarding of a template
            else:
                continue
            for text in _literals(argument):
                where = f"{relative}:{node.lineno}"
                if text is None:
                    bad.append(where)
                else:
                    templates.setdefault(text, []).append(where)
    for text in (*HANDLER_MESSAGES, INSTANT_MESSAGE):
        templates.setdefault(text, []).append("handlers")
    return templates, bad


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_message_is_a_literal_template() -> None:
    _, bad = collect()
    assert bad == [], "an error raised with an f-string or a computed message: use a template"


def test_the_scan_finds_the_service_s_messages() -> None:
    templates, _ = collect()
    assert len(templates) > 150
    assert "application {application_id} is still open: resubmit or wait for it" in templates
    assert "no voucher {voucher_code}" in templates  # a 404
    assert "wrong login name or password" in templates  # an IfExp's branch
    assert "unknown API key" in templates  # a forwarder's literal


def test_every_message_has_its_chinese_with_the_same_placeholders() -> None:
    templates, _ = collect()
    chinese = catalog(CHINESE)
    missing = {t: where for t, where in templates.items() if t not in chinese}
    assert missing == {}, f"add these to {catalog_path()}"
    mismatched = {t: chinese[t] for t in templates if _placeholders(t) != _placeholders(chinese[t])}
    assert mismatched == {}


def test_pydantic_s_common_errors_have_their_chinese() -> None:
    from pydantic_core import PydanticKnownError

    chinese = catalog(CHINESE)
    missing = [
        kind
        for kind in COMMON_TYPES
        if PydanticKnownError(kind, _CONTEXT).message_template not in chinese
    ]
    assert missing == []


_CONTEXT = {
    "max_length": 1,
    "min_length": 1,
    "pattern": "x",
    "gt": 0,
    "ge": 0,
    "lt": 0,
    "le": 0,
    "expected": "x",
    "error": "x",
    "field_type": "x",
    "actual_length": 1,
    "reason": "x",
    "expected_schemes": "x",
    "class_name": "x",
}
