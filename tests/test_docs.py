"""README.md and docs/*.md as written: every shell example runs, as shown, against the
service as ``make run`` leaves it (migrations, the demo, ``serve``; SQLite).

The convention the pages follow (README.md, "Examples in these docs"):

* A ```` ```sh ```` block runs. A page's blocks run in order, in one bash session
  (``set -euo pipefail``), in a directory laid out like a checkout (``.venv/bin``,
  ``alembic.ini``, ``migrations/``, ``var/voucher.db``) whose database holds a fresh demo.
  The session starts with the ``export`` lines the demo printed (``ADMIN_KEY`` ...
  ``VOUCHER``), and ``B`` is the running service.
* Every command must succeed, and every ``curl`` must be answered 2xx, unless the command
  ends with a status comment (``# 401: no key``, ``# 409``): then it must get that status.
* A ```` ```sh no-run ```` block is not run: Docker, Kubernetes, PostgreSQL administration,
  the benchmark, ``make`` itself. Other fences (json, python, sql, plain) are not shell.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from tests.cli.tree import commands_in, usage_error
from tests.databases import backend
from voucher_service.accounts import passwords as accounts
from voucher_service.cli import main
from voucher_service.config import get_settings
from voucher_service.db.session import get_engine
from voucher_tools.localcluster import api_processes

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELLS = {"sh", "bash", "shell"}
NO_RUN = "no-run"
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
STATUS = re.compile(r"^(?P<command>\s*[^#\s].*?)\s#\s*(?P<status>[1-5]\d\d)\b")

pytestmark = pytest.mark.skipif(
    backend() != "sqlite",
    reason="the docs describe `make run`, on SQLite: the SQLite run checks them",
)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # the page's line number of the block's first line
    info: list[str]
    body: str

    @property
    def runs(self) -> bool:
        return bool(self.info) and self.info[0] in SHELLS and NO_RUN not in self.info[1:]


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        indent = len(match["indent"])
        body = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        line = text.count("\n", 0, match.start("body")) + 1
        found.append(Block(page, line, match["info"].split(), body))
    return found


def with_expected_statuses(body: str) -> str:
    """The block with each status comment turned into ``__expect NNN`` before its command and
    ``__expect`` after it, line numbers unchanged. A command with a status comment is one
    line, or lines joined by a trailing backslash."""
    lines = body.splitlines()
    expect: dict[int, str] = {}  # line: the status its command expects
    reset: set[int] = set()  # lines after such a command
    for end, line in enumerate(lines):
        status = STATUS.match(line)
        if status is None:
            continue
        start = end
        while start > 0 and lines[start - 1].rstrip().endswith("\\"):
            start -= 1
        expect[start] = status["status"]
        reset.add(end + 1)
    marked = [
        ("__expect; " if i in reset else "")
        + (f"__expect {expect[i]}; " if i in expect else "")
        + line
        for i, line in enumerate(lines)
    ]
    if len(lines) in reset:
        marked.append("__expect")
    return "\n".join(marked) + "\n"


PREAMBLE = r"""
set -Eeuo pipefail
trap 'echo "DOCS-TEST line $LINENO failed (exit $?): $BASH_COMMAND" >&2' ERR
__expect() { DOCS_EXPECT="${1:-}"; }
DOCS_EXPECT=
curl() {  # the real curl; then the status must be 2xx, or the one the docs announce
    local head status
    head=$(mktemp)
    command curl -D "$head" "$@" || { rm -f "$head"; return 1; }
    status=$(awk 'toupper($1) ~ /^HTTP\// { s = $2 } END { print s }' "$head")
    rm -f "$head"
    if [[ -z "$DOCS_EXPECT" && "$status" == 2?? ]] || [[ "$status" == "$DOCS_EXPECT" ]]; then
        return 0
    fi
    echo "DOCS-TEST line ${BASH_LINENO[0]}: HTTP $status, expected ${DOCS_EXPECT:-2xx}" >&2
    return 22
}
"""


@dataclass(frozen=True)
class Script:
    text: str
    starts: list[tuple[int, Block]]  # (the script's line of a block's first line, the block)

    def where(self, script_line: int) -> str:
        """The page and line a line of the script comes from."""
        for first, block in reversed(self.starts):
            if script_line >= first:
                return f"{block.page.relative_to(ROOT)}:{block.line + script_line - first}"
        return "the preamble"


def script(page: Path, demo_exports: str, base_url: str) -> Script:
    text = PREAMBLE + demo_exports + f"export B={base_url}\n"
    starts = []
    for block in blocks(page):
        if block.runs:
            text += f"# {page.name}, line {block.line}\n"
            starts.append((text.count("\n") + 1, block))
            text += with_expected_statuses(block.body)
    return Script(text, starts)


RUNNABLE = [page for page in PAGES if any(block.runs for block in blocks(page))]


def test_the_convention_is_understood() -> None:
    body = 'curl -s $B/x   # 401: no key\ncurl -s -X POST $B/y \\\n  -d "{}"   # 409\necho done\n'
    assert with_expected_statuses(body).splitlines() == [
        "__expect 401; curl -s $B/x   # 401: no key",
        "__expect; __expect 409; curl -s -X POST $B/y \\",
        '  -d "{}"   # 409',
        "__expect; echo done",
    ]
    assert with_expected_statuses("# HTTP/1.1 200 OK\n") == "# HTTP/1.1 200 OK\n"
    page = ROOT / "README.md"
    assert Block(page, 1, ["sh"], "").runs and not Block(page, 1, ["sh", "no-run"], "").runs
    assert not Block(page, 1, ["json"], "").runs and not Block(page, 1, [], "").runs


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_command_named_outside_the_examples_is_a_real_one(page: Path) -> None:
    """Commands in prose, tables and no-run blocks are not run: the command line must at least
    accept them as written."""
    text = page.read_text(encoding="utf-8")
    for block in blocks(page):
        if block.runs:
            text = text.replace(block.body, "")
    for command in commands_in(text):
        assert usage_error(command[1:]) is None, f"{page.name}: {shlex.join(command)}"


def test_every_page_with_shell_examples_is_checked() -> None:
    names = {page.name for page in RUNNABLE}
    assert {"README.md", "enterprise.md", "bureau.md", "provider.md"} <= names


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """``make run``'s first two steps, once (in this process, with cheap password hashing):
    a migrated database with the demo, and the ``export`` lines the demo printed for a
    reader to paste."""
    where = tmp_path_factory.mktemp("demo") / "voucher.db"
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOUCHER_DATABASE_URL", f"sqlite:///{where}")
        patch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
        get_settings.cache_clear()
        get_engine.cache_clear()
        with contextlib.redirect_stdout(printed):
            assert main(["migrate"]) == 0
            assert main(["demo"]) == 0
        get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    lines = printed.getvalue().splitlines()
    yield where, "".join(f"{line}\n" for line in lines if line.startswith("export "))


def checkout(directory: Path, database: Path) -> Path:
    """A directory laid out like a checkout after ``make run``, with a copy of ``database``."""
    (directory / ".venv").mkdir(parents=True)
    (directory / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    for name in ("alembic.ini", "migrations", "examples"):
        (directory / name).symlink_to(ROOT / name)
    (directory / "var").mkdir()
    with (
        contextlib.closing(sqlite3.connect(database)) as source,
        contextlib.closing(sqlite3.connect(directory / "var" / "voucher.db")) as copy,
    ):
        source.backup(copy)  # consistent, whatever the write-ahead log still holds
    return directory


@pytest.mark.slow
@pytest.mark.parametrize("page", RUNNABLE, ids=[str(p.relative_to(ROOT)) for p in RUNNABLE])
def test_the_examples_run_as_shown(
    page: Path, demo_database: tuple[Path, str], tmp_path: Path
) -> None:
    database, exports = demo_database
    here = checkout(tmp_path / "checkout", database)
    url = f"sqlite:///{here / 'var' / 'voucher.db'}"
    environment = {
        **os.environ,
        "VOUCHER_DATABASE_URL": url,
        "PATH": f"{here / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    with api_processes(url, 1, logs) as (base_url,):
        run = script(page, exports, base_url)
        done = subprocess.run(
            ["bash", "-c", run.text],
            cwd=here,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
    if done.returncode != 0:
        failures = [
            f"{run.where(int(line))}: {what}"
            for line, what in re.findall(r"DOCS-TEST line (\d+)(.*)", done.stderr)
        ]
        pytest.fail(
            "\n".join(failures or ["(no line named)"])
            + f"\n--- stderr (last 3000 characters):\n{done.stderr[-3000:]}"
            + f"\n--- stdout (last 2000 characters):\n{done.stdout[-2000:]}"
        )
