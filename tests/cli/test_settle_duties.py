"""The command line moves money only as a named person (``--as``: a key, or a login and its
password), refused where the API would refuse them (docs/access.md)."""

from __future__ import annotations

import re

import pytest

from tests.cli.test_commands import Capture
from tests.factories import demo_keys
from voucher_service.cli import main

PROVIDER = "91420100MA4K00100E"  # the demo's provider


def test_two_people_close_approve_and_pay_on_the_command_line(
    cli_database: str, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    keys = demo_keys(out)
    finance = re.search(r"^  bureau +demo\.finance +(\S+)", out, re.M)
    assert finance is not None

    def run(*args: str) -> tuple[int, str]:
        code = main(["settle", *args])
        said = capsys.readouterr()
        return code, said.out + said.err

    close = ("close", "--period", "2026-05", "--provider", PROVIDER)
    assert run(*close)[1].count("needs a named person (on the command line: --as") == 1
    assert run(*close, "--as", keys["SYSADMIN_KEY"])[0] == 1  # system administration: no money
    code, said = run(*close, "--as", keys["ADMIN_KEY"])
    assert code == 0, said
    statement = re.search(r"statement (\d+) closed", said)
    assert statement is not None
    which = ("--statement", statement[1])

    for who, refusal in (
        (None, "(actor_required)"),
        (keys["ADMIN_KEY"], "(same_person)"),  # the closer never approves
        (keys["SYSADMIN_KEY"], "(forbidden)"),
        (keys["AUDITOR_KEY"], "(forbidden)"),
        ("vsk_nosuchkey_" + "x" * 40, "(unauthorized)"),
    ):
        code, said = run("approve", *which, *(("--as", who) if who else ()))
        assert (code, refusal in said) == (1, True), said
    monkeypatch.setenv("VOUCHER_PASSWORD", finance[1])
    code, said = run("approve", *which, "--as", "demo.finance")  # a console login
    assert (code, said) == (0, f"statement {statement[1]} (2026-05): approved\n")
    pay = ("pay", *which, "--reference", "WH-TREAS-CLI-1")
    code, said = run(*pay, "--as", keys["FINANCE_KEY"])  # the same person as the login
    assert (code, "(same_person)" in said) == (1, True), said
    code, said = run(*pay, "--as", keys["ADMIN_KEY"])
    assert (code, said) == (0, f"statement {statement[1]} (2026-05): paid\n")
    assert main(["verify"]) == 0
