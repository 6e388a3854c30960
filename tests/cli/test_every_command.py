"""Every command of the command line, read from its own parser (tests/cli/tree.py: a new
command is covered without a line here), run against a person's mistakes: a database URL
that is not one, a SQLite file in a directory nobody made, an output file it cannot write or
names with an extension it does not write. Each ends with one line on standard error, a
documented exit code (cli/__init__.py) and no traceback (issue 26, item 6).

The commands run in this process (``main`` with captured output): each reads its settings
and makes its engine afresh, as a new process would; test_mistakes.py runs some of them in
processes of their own. Nothing may start a server or a benchmark: ``serve`` checks the
database before uvicorn starts, the witness's directory is checked before it serves, and the
benchmarks are given the same bad URL as their server."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.core import TyperGroup

from tests.cli.tree import PROGRAM, commands, usage_error
from voucher_service.cli import main
from voucher_service.config import get_settings
from voucher_service.db.session import get_engine


def options(command: Any) -> set[str]:
    return {name for param in command.params for name in param.opts}


def arguments(
    words: list[str], command: Any, *, out: Path, url: str, named: dict[str, str] | None = None
) -> list[str]:
    """A command line the parser accepts: each required option with a value (its minimum, or
    "1", which reads as a number, a string and a relative path alike), ``--out`` the file
    given, a benchmark's server the database given, and passwords read from standard input;
    or the value ``named`` gives for the option."""
    line = list(words)
    for param in command.params:
        name = param.opts[0]
        if name == "--out":
            line += [name, str(out)]
        elif name == "--server-url":
            line += [name, url]
        elif name.endswith("-stdin"):
            line.append(name)
        elif param.required:
            line += [name, (named or {}).get(name) or str(getattr(param, "min", None) or 1)]
    assert usage_error(line) is None, line
    return line


# Every command, as its words after the program's name (`settle close`), hidden ones too.
EVERY = [
    (path.removeprefix(PROGRAM).split(), command)
    for path, command in commands()
    if not isinstance(command, TyperGroup)
]
WITH_OUT = [(words, command) for words, command in EVERY if "--out" in options(command)]


def ids(cases: list[tuple[list[str], Any]]) -> list[str]:
    return [" ".join(words) for words, _ in cases]


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory of the test's own (relative paths land in it), a password on
    standard input, and nothing that could serve for ever."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long password 1\n"))

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a command started a server despite a mistake")

    import uvicorn

    from voucher_service.audit import witness

    monkeypatch.setattr(uvicorn, "run", never)
    monkeypatch.setattr(witness, "serve", never)
    yield tmp_path


def run(args: list[str], url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> tuple[int, str]:
    """Run the command line on ``args`` with ``url`` as its database; its exit code and the
    one line it said on standard error (checked: one line, no traceback)."""
    monkeypatch.setenv("VOUCHER_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    capsys.readouterr()
    try:
        code = main(args)
    finally:
        if get_engine.cache_info().currsize:
            get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
    said = capsys.readouterr()
    everything = said.out + said.err
    assert "Traceback" not in everything and "╭" not in said.err, (args, said.err)
    assert code in (0, 1, 2, 3), (args, code)
    if code == 0:
        return code, ""
    lines = said.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, code, said.err)
    return code, lines[0]


@pytest.mark.parametrize(("words", "command"), EVERY, ids=ids(EVERY))
@pytest.mark.parametrize("url", ["not a url", "mysql://someone@127.0.0.1/vouchers"])
def test_a_database_url_that_is_not_one(
    words: list[str],
    command: Any,
    url: str,
    place: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = arguments(words, command, out=place / "out.csv", url=url)
    code, line = run(args, url, monkeypatch, capsys)
    if "VOUCHER_DATABASE_URL" in line or "database URL" in line:
        assert code == 2, line


@pytest.mark.parametrize(("words", "command"), EVERY, ids=ids(EVERY))
def test_a_sqlite_file_in_a_missing_directory_is_never_made(
    words: list[str],
    command: Any,
    place: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Only ``migrate`` makes the directory (a fresh install's); any other command says to
    run it, instead of making an empty database and then finding no tables."""
    missing = place / "no-such-directory"
    url = f"sqlite:///{missing / 'voucher.db'}"
    args = arguments(words, command, out=place / "out.csv", url=url)
    code, line = run(args, url, monkeypatch, capsys)
    if words == ["migrate"]:
        assert code == 0 and (missing / "voucher.db").exists()
        return
    assert not missing.exists(), args
    if "database" in line:
        assert code == 3 and "run `voucher-service migrate` first" in line, line


def test_the_commands_of_the_books_say_what_to_do_about_the_database(
    place: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tests above check what a command says when it speaks of the database: these
    commands must (they all open it)."""
    missing = place / "no-such-directory"
    for words in (["verify"], ["expire"], ["audit", "seal"], ["demo"], ["serve"],
                  ["settle", "export", "--statement", "1"]):  # fmt: skip
        for url, code in (("not a url", 2), (f"sqlite:///{missing / 'v.db'}", 3)):
            assert run(words, url, monkeypatch, capsys)[0] == code, (words, url)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A database with the demo's books and a closed month (statement 1), and a checkpoint
    key, shared by the module: a command with a file to write gets that far. Yields its URL
    and the values that name what it holds."""
    from argon2 import PasswordHasher

    from tests.databases import fresh_database
    from tests.factories import demo_keys
    from voucher_service.accounts import passwords

    where = tmp_path_factory.mktemp("books")
    with fresh_database(where) as url, pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "PASSWORD_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
        patch.setenv("VOUCHER_DATABASE_URL", url)
        get_settings.cache_clear()
        get_engine.cache_clear()
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert main(["demo", "--today", "2026-06-15"]) == 0
            admin = demo_keys(printed.getvalue())["ADMIN_KEY"]
            assert main(["settle", "close", "--period", "2026-05", "--as", admin]) == 0
            assert main(["audit", "keygen", "--out", str(where / "checkpoint.key")]) == 0
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
        named = {"--program": "WH-AI-M2", "--year": "2026", "--statement": "1", "--seed": "7"}
        yield url, named | {"VOUCHER_CHECKPOINT_KEY": str(where / "checkpoint.key")}


@pytest.mark.parametrize(("words", "command"), WITH_OUT, ids=ids(WITH_OUT))
@pytest.mark.parametrize("out", ["a-file/under-a-file.csv", "no-directory/out.csv"])
def test_an_output_file_it_cannot_write(
    words: list[str],
    command: Any,
    out: str,
    place: Path,
    books: tuple[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A path under a file, or in a directory that does not exist (root may write anywhere
    else): exit 1, naming the file, and nothing made."""
    url, named = books
    monkeypatch.setenv("VOUCHER_CHECKPOINT_KEY", named["VOUCHER_CHECKPOINT_KEY"])
    (place / "a-file").write_text("a file, not a directory\n")
    args = arguments(words, command, out=Path(out), url=url, named=named)
    code, line = run(args, url, monkeypatch, capsys)
    assert code == 1 and out in line, (args, line)
    assert not (place / out).exists() and not (place / "no-directory").exists()


@pytest.mark.parametrize(("words", "command"), WITH_OUT, ids=ids(WITH_OUT))
def test_an_output_file_named_for_no_format(
    words: list[str],
    command: Any,
    place: Path,
    books: tuple[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An extension that is none of the command's formats: the command says so (exit 2)
    and writes nothing, or its help says which format any other name gets (a key or a
    checkpoint has no format to choose)."""
    url, named = books
    monkeypatch.setenv("VOUCHER_CHECKPOINT_KEY", named["VOUCHER_CHECKPOINT_KEY"])
    args = arguments(words, command, out=Path("out.wrong"), url=url, named=named)
    code, line = run(args, url, monkeypatch, capsys)
    out_help = next(param.help for param in command.params if param.opts[0] == "--out")
    if code == 2:
        assert "out.wrong" in line and not (place / "out.wrong").exists(), line
    else:
        assert code == 0 and (place / "out.wrong").exists(), (args, line)
        names_formats = any(kind in out_help for kind in (".csv", ".xlsx", ".json"))
        assert not names_formats or "any other name" in out_help, out_help


@pytest.mark.parametrize(
    ("given", "out", "said"),
    [
        (["--format", "xlsx"], "st.csv", "--format xlsx but --out st.csv is a .csv file"),
        (["--format", "csv"], "st.xlsx", "--format csv but --out st.xlsx is a .xlsx file"),
        ([], "st.txt", "--out st.txt is not named .csv or .xlsx"),
        (["--format", "xlsx"], "st", "--out st is not named .xlsx"),
    ],
)
def test_a_statement_s_format_and_file_name_agree(
    given: list[str],
    out: str,
    said: str,
    place: Path,
    cli_database: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``settle export --format xlsx --out st.csv`` wrote an XLSX named .csv: now the two
    agree, or nothing is written (a usage error, before the database is asked)."""
    args = ["settle", "export", "--statement", "1", *given, "--out", out]
    assert run(args, cli_database, monkeypatch, capsys) == (2, f"error: {said}: " + (
        f"name it .{given[1]}, or leave --format out" if "but" in said else "name the file so"
    ))  # fmt: skip
    assert not (place / out).exists()


def test_without_format_the_extension_chooses(
    place: Path, cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    from tests.factories import demo_keys

    assert main(["demo"]) == 0
    admin = demo_keys(capsys.readouterr().out)["ADMIN_KEY"]
    assert main(["settle", "close", "--period", "2026-05", "--as", admin]) == 0
    assert main(["settle", "export", "--statement", "1", "--out", "may.xlsx"]) == 0
    assert load_workbook(place / "may.xlsx").sheetnames == ["summary", "lines"]
    assert main(["settle", "export", "--statement", "1", "--out", "may.CSV"]) == 0
    assert (place / "may.CSV").read_bytes().startswith(b"\xef\xbb\xbfuscc,")
