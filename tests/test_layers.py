"""The packages depend one way: foundation below, capabilities above it, tools on top.

The source is read with ``ast`` (nothing is imported). Every import inside voucher_service is
an edge between packages; a top-level module (``cli``, ``api``, ``audit_log`` ...) counts as a
package of its own. The rules:

1. no cycle among packages (two that import each other, or a longer ring);
2. the foundation (settings, money, errors, API edge types, paging, the database and its
   tables, the pure rules, the audit writer) imports nothing above it;
3. the service never imports ``tools/``: only the command line does.
4. inside the console, its modules and sub-packages depend one way too (``CONSOLE_LAYERS``,
   bottom first: no cycle, no import of a higher layer), and no console module imports an
   API router (``*.router`` of a capability): a page and an endpoint call the same service.
3. the service never imports the tooling (``voucher_tools``, the repository's tools/:
   benchmarks, local clusters, scratch databases), nor names it for a dynamic import: the
   benchmark commands find it through the entry points it declares.

``PENDING`` lists the imports still allowed to break a rule, each with the change that removes
it. Empty it as those land: a test fails when an entry names an import that no longer exists.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

import voucher_service

SOURCE = Path(voucher_service.__file__).parent
ROOT = SOURCE.name

# (importing module, imported module): why it may still break a rule.
PENDING: dict[tuple[str, str], str] = {}

FOUNDATION = {
    "config",
    "money",
    "errors",
    "fields",
    "pagination",
    "deps",
    "routing",
    "metrics",
    "db",
    "domain",
    "audit_log",
}

# The console's modules and sub-packages, bottom first: each imports only the layers below it
# (or its own layer's other members when they are listed in that order). The menu sits above
# the pages it lists and is handed to templating by the app.
CONSOLE_LAYERS: tuple[tuple[str, ...], ...] = (
    ("viewer", "formatting", "assets", "queries", "tables"),
    ("i18n",),
    ("auth", "table_files"),
    ("templating",),
    ("pages", "docs", "history"),
    ("inbox",),
    ("people",),
    ("bureau", "enterprise", "provider", "public"),
    ("menu",),
    ("app",),
)
CONSOLE = f"{ROOT}.console"


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = SOURCE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The voucher_service modules an import statement names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == ROOT]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: from the importing module's package upwards
        package = module.split(".")[: len(module.split(".")) - node.level + is_package]
        base = ".".join([*package, base] if base else package)
    if base.split(".")[0] != ROOT:
        return []
    # ``from package import module`` names the module; ``from module import name``, the module.
    return [f"{base}.{a.name}" if is_module(f"{base}.{a.name}") else base for a in node.names]


@functools.cache
def imports() -> frozenset[tuple[str, str]]:
    """Every (importing module, imported module) pair inside voucher_service, function-level
    imports included (read once: each check of this file walks the same source)."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            for target in imported(node, module, path.name == "__init__.py"):
                found.add((module, target))
    return frozenset(found)


def package(module: str) -> str | None:
    """The first name below voucher_service (None for voucher_service itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def package_edges() -> dict[tuple[str, str], list[str]]:
    """(package, package it imports) -> the module imports behind it, PENDING left out."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for source, target in sorted(imports()):
        a, b = package(source), package(target)
        if a and b and a != b and (source, target) not in PENDING:
            edges[(a, b)].append(f"{source} imports {target}")
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan)."""
    graph: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        graph[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in list(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycle_between_packages() -> None:
    edges = package_edges()
    report = [
        f"{a} -> {b}: {'; '.join(why)}"
        for group in cycles(edges)
        for (a, b), why in sorted(edges.items())
        if a in group and b in group
    ]
    assert report == [], "packages importing each other:\n" + "\n".join(report)


def test_the_foundation_imports_nothing_above_it() -> None:
    upward = [
        why
        for (a, b), whys in sorted(package_edges().items())
        if a in FOUNDATION and b not in FOUNDATION
        for why in whys
    ]
    assert upward == [], "the foundation imports a capability:\n" + "\n".join(upward)


TOOLING = "voucher_tools"


def tooling_uses(source: str) -> list[str]:
    """Where a module's source imports the tooling, or names it in a string (an
    ``importlib.import_module("voucher_tools...")``, a ``"voucher_tools.x:app"``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]
        else:
            continue
        if any(n == TOOLING or n.startswith((f"{TOOLING}.", f"{TOOLING}:")) for n in names):
            found.append(f"line {node.lineno}: {', '.join(names)}")
    return found


def test_the_service_never_imports_the_tooling() -> None:
    users = [
        f"{module_name(path)} {use}"
        for path in sorted(SOURCE.rglob("*.py"))
        for use in tooling_uses(path.read_text(encoding="utf-8"))
    ]
    assert users == [], "the service imports the tooling (tools/):\n" + "\n".join(users)


def test_the_tooling_check_sees_an_import() -> None:
    """A guard for rule 3 itself: an import of the benchmark, at module or function level,
    or its name handed to importlib, is found; the service's own imports are not."""
    assert tooling_uses("from voucher_tools.bench import run") == ["line 1: voucher_tools.bench"]
    assert tooling_uses("def f():\n    import voucher_tools.scratch\n") == [
        "line 2: voucher_tools.scratch"
    ]
    assert tooling_uses("importlib.import_module('voucher_tools.bench')") != []
    assert tooling_uses("from voucher_service.demo import load_demo") == []
    assert tooling_uses("import voucher_toolsmith") == []


def child_edges(parent: str) -> dict[tuple[str, str], list[str]]:
    """(module or sub-package, one it imports) directly below ``parent`` (``voucher_service.
    console``), ``parent`` itself (its ``__init__``) left out, PENDING too."""
    depth = len(parent.split("."))
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for source, target in sorted(imports()):
        if not (source.startswith(parent + ".") and target.startswith(parent + ".")):
            continue
        a, b = source.split(".")[depth], target.split(".")[depth]
        if a != b and (source, target) not in PENDING:
            edges[(a, b)].append(f"{source} imports {target}")
    return edges


def sub_packages(parent: str) -> list[str]:
    """``parent`` and every package below it (``voucher_service.console.bureau`` ...)."""
    root = SOURCE.parent.joinpath(*parent.split("."))
    return [module_name(init.parent / "__init__.py") for init in sorted(root.rglob("__init__.py"))]


def test_no_import_cycle_inside_the_console() -> None:
    report = [
        f"{package}: {a} -> {b}: {'; '.join(why)}"
        for package in sub_packages(CONSOLE)
        for edges in [child_edges(package)]
        for group in cycles(edges)
        for (a, b), why in sorted(edges.items())
        if a in group and b in group
    ]
    assert report == [], "console modules importing each other:\n" + "\n".join(report)


def test_the_console_imports_only_downwards() -> None:
    layer = {name: i for i, names in enumerate(CONSOLE_LAYERS) for name in names}
    order = {name: i for names in CONSOLE_LAYERS for i, name in enumerate(names)}
    children = {
        module_name(p).split(".")[2]
        for p in (SOURCE / "console").iterdir()
        if p.suffix == ".py" and p.name != "__init__.py" or (p / "__init__.py").is_file()
    }
    assert children - set(layer) == set(), "place these in CONSOLE_LAYERS"
    upward = [
        why
        for (a, b), whys in sorted(child_edges(CONSOLE).items())
        if (layer[b], order[b]) >= (layer[a], order[a])
        for why in whys
    ]
    assert upward == [], "the console imports a layer above:\n" + "\n".join(upward)


def test_the_console_never_imports_a_router() -> None:
    routers = sorted(
        f"{source} imports {target}"
        for source, target in imports()
        if source.startswith(CONSOLE + ".")
        and not target.startswith(CONSOLE + ".")
        and target.split(".")[-1] == "router"
        and (source, target) not in PENDING
    )
    assert routers == [], "the console calls services, not the API's routers:\n" + "\n".join(
        routers
    )


def test_pending_exceptions_still_exist() -> None:
    stale = sorted(f"{a} -> {b}" for a, b in set(PENDING) - imports())
    assert stale == [], "gone: remove from PENDING in tests/test_layers.py:\n" + "\n".join(stale)


def test_the_walk_sees_the_imports() -> None:
    """A guard for the walk itself: a known import, and a function-level one, are found."""
    found = imports()
    assert ("voucher_service.api", "voucher_service.auth.router") in found
    assert ("voucher_service.cli.people", "voucher_service.demo") in found
    assert cycles({("a", "b"): [], ("b", "c"): [], ("c", "a"): [], ("c", "d"): []}) == [
        ["a", "b", "c"]
    ]
