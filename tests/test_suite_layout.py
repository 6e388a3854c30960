"""The test suite shares builders through one module, never through a conftest.py.

The source is read with ``ast`` (nothing is imported). pytest hands a conftest's fixtures to
the tests below it; importing from a conftest instead ties a folder to another folder's
set-up (and registers its fixtures twice). Builders that more than one folder uses live in
``tests/factories.py``; a fixture that several folders share is a thin wrapper over a factory
in ``tests/conftest.py``. The rules:

1. no module under tests/ imports from a conftest (its own folder's, another's, the root's);
2. every conftest.py defines something (a fixture or a hook): none only re-exports.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _modules() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def _conftest_imports(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[-1] == "conftest"]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if module.split(".")[-1] == "conftest":
                found.append(module)
            found += [f"{module}.{a.name}" for a in node.names if a.name == "conftest"]
    return found


def test_no_module_imports_from_a_conftest() -> None:
    offenders = {
        str(path.relative_to(TESTS.parent)): imported
        for path in _modules()
        if (imported := _conftest_imports(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}, "import from tests/factories.py instead"


def test_every_conftest_defines_a_fixture_or_a_hook() -> None:
    empty = [
        str(path.relative_to(TESTS.parent))
        for path in _modules()
        if path.name == "conftest.py"
        and not any(
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.parse(path.read_text(encoding="utf-8")).body
        )
    ]
    assert empty == [], "a conftest that only re-exports: remove it"


def test_the_checks_see_an_import_from_a_conftest() -> None:
    tree = ast.parse(
        "from tests.usage.conftest import Scene\n"
        "import tests.conftest\n"
        "from .conftest import NOW\n"
        "from tests.console import conftest\n"
        "from tests.factories import Scene\n"
    )
    assert _conftest_imports(tree) == [
        "tests.usage.conftest",
        "tests.conftest",
        ".conftest",
        "tests.console.conftest",
    ]
