"""A user's mistake on the command line is one line with its fix and a stable exit code, never
a traceback (issue 26): a database URL that is not one, a driver the service has not, a server
that does not answer, a database nobody migrated. Each command runs as people run it, in a
process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

COMMANDS = [
    ["verify"],
    ["expire"],
    ["audit", "seal"],
    ["create-key", "--role", "auditor", "--name", "a mistake"],
    ["settle", "close", "--period", "2026-06", "--as", "vsk_nobody_nothing"],
]


def run(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VOUCHER_DATABASE_URL": url}
    command = [sys.executable, "-c", "import sys; from voucher_service.cli import main; "
               "sys.exit(main(sys.argv[1:]))", *args]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("url", "code", "says"),
    [
        ("", 2, "VOUCHER_DATABASE_URL is not a database URL"),
        ("not a url", 2, "VOUCHER_DATABASE_URL is not a database URL"),
        ("mysql://someone@127.0.0.1/vouchers", 2, "names a driver this service has not"),
        ("postgresql://postgres@127.0.0.1:1/nothing", 3, "the database cannot be reached"),
        ("sqlite:///{tmp}/never-migrated.db", 3, "run `voucher-service migrate` first"),
        ("sqlite:///{tmp}/no-such-directory/v.db", 3, "run `voucher-service migrate` first"),
    ],
)
def test_a_wrong_database_is_one_line_with_its_fix(
    url: str, code: int, says: str, tmp_path: Path
) -> None:
    url = url.format(tmp=tmp_path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        finished = list(pool.map(lambda args: run(args, url), COMMANDS))
    for args, done in zip(COMMANDS, finished, strict=True):
        assert "Traceback" not in done.stderr and "╭" not in done.stderr, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert (done.returncode, len(lines)) == (code, 1), (args, done.stderr)
        assert lines[0].startswith("error: ") and says in lines[0], (args, lines)


def test_a_defect_keeps_its_traceback() -> None:
    """Only a user's mistake is shortened: anything else is a defect and says where it is."""
    from voucher_service.cli import user_mistake

    assert user_mistake(ZeroDivisionError("division by zero")) is None
    assert user_mistake(OSError("no file")) is None  # names no file of the user's
    written = user_mistake(PermissionError(13, "Permission denied", "/root/statement.csv"))
    assert written == ("cannot use /root/statement.csv: Permission denied", 1)
