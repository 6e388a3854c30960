"""The command line as an operator meets it: help everywhere, exit codes, a future --today
that needs --force and says what it would do, exports named by format, migrate naming its
revisions, console accounts, and the demo's keys and accounts with whom they belong to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.cli.tree import commands, usage_error
from tests.databases import backend, empty_postgres_database
from tests.factories import demo_keys
from voucher_service.accounts.passwords import verify_password
from voucher_service.cli import app, main
from voucher_service.config import get_settings
from voucher_service.db.session import get_engine, transaction
from voucher_service.db.tables.accounts import Account
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.settlement import Statement
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.errors import Unauthorized

Capture = pytest.CaptureFixture[str]


def test_every_command_and_option_says_what_it_does() -> None:
    found = dict(commands())
    assert {"voucher-service settle close", "voucher-service audit seal"} <= set(found)
    for path, command in found.items():
        assert command.help, f"{path} has no help"
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert param.help, f"{path} {param.opts[0]} has no help"


def test_the_check_of_deploy_files_and_docs_refuses_what_the_cli_refuses() -> None:
    assert usage_error(["settle", "close", "--period", "2026-05", "--today", "2026-06-01"]) is None
    assert usage_error(["seal"]) is None
    assert "No such command" in (usage_error(["sael"]) or "")
    assert "--period" in (usage_error(["settle", "close"]) or "")
    assert usage_error(["serve", "--port", "eighty"]) is not None
    assert usage_error(["settle", "export", "--statement", "1", "--format", "pdf"]) is not None


def test_help_lists_every_command_and_exits_0(capsys: Capture) -> None:
    assert main(["--help"]) == 0
    listing = capsys.readouterr().out
    for name in ("serve", "migrate", "demo", "create-key", "create-account", "expire", "verify"):
        assert name in listing
    assert " seal " not in listing.replace("audit", "")  # the old name still runs, unlisted


def test_usage_errors_exit_2(cli_database: str, capsys: Capture) -> None:
    assert main(["no-such-command"]) == 2
    assert main(["settle", "close"]) == 2  # --period is required
    assert main(["expire", "--today", "31/01/2027"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_a_refusal_of_the_service_exits_1_naming_its_code(
    cli_database: str, capsys: Capture
) -> None:
    assert main(["settle", "approve", "--statement", "99"]) == 1
    assert "error: no statement 99 (statement_not_found)" in capsys.readouterr().err


def vouchers_by_status() -> dict[str, int]:
    with transaction() as session:
        rows = session.execute(select(Voucher.status, func.count()).group_by(Voucher.status))
        return {status: count for status, count in rows}


def test_expire_in_the_future_needs_force_and_says_what_it_would_do(
    cli_database: str, capsys: Capture
) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["expire", "--today", "2027-03-01"]) == 2
    said = capsys.readouterr().err
    assert "--today 2027-03-01 is after today (2026-06-15)" in said
    assert "would expire 9 voucher(s) and return 1031968.75 yuan to their pools" in said
    assert "Nothing was changed" in said
    assert vouchers_by_status() == {VoucherStatus.ACTIVE: 9}
    assert main(["expire", "--today", "2027-03-01", "--force"]) == 0
    assert "expired 9 voucher(s); 1031968.75 yuan back to pools" in capsys.readouterr().out
    assert vouchers_by_status() == {VoucherStatus.EXPIRED: 9}
    assert main(["verify"]) == 0


def test_expire_today_or_before_needs_no_force(cli_database: str, capsys: Capture) -> None:
    assert main(["demo"]) == 0
    assert main(["expire"]) == 0
    assert main(["expire", "--today", "2026-01-01"]) == 0
    assert capsys.readouterr().out.count("expired 0 voucher(s)") == 2


def test_closing_a_month_early_needs_force(
    cli_database: str, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["demo"]) == 0
    monkeypatch.setenv("VOUCHER_AS", demo_keys(capsys.readouterr().out)["ADMIN_KEY"])
    assert main(["settle", "close", "--period", "2026-06", "--today", "2026-07-01"]) == 2
    said = capsys.readouterr().err
    assert "would close 2026-06 before it has ended in fact" in said
    assert "91420100MA4K00100E: 0 records, 0.00 yuan" in said
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(Statement)) == 0
    assert main(["settle", "close", "--period", "2026-06", "--today", "2026-07-01", "--force"]) == 0
    # (on PostgreSQL the dry run used up statement id 1: ids may skip, never repeat)
    assert re.search(r"2026-06: statement \d+ closed", capsys.readouterr().out)


def test_exports_are_named_by_format_and_say_where(
    cli_database: str, capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import load_workbook

    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    admin = demo_keys(capsys.readouterr().out)["ADMIN_KEY"]
    assert main(["settle", "close", "--period", "2026-05", "--as", admin]) == 0
    capsys.readouterr()
    assert main(["settle", "export", "--statement", "1", "--format", "xlsx"]) == 0
    assert f"wrote {tmp_path / 'statement-1.xlsx'}" in capsys.readouterr().out
    assert load_workbook(tmp_path / "statement-1.xlsx").sheetnames == ["summary", "lines"]
    assert main(["settle", "export", "--statement", "1"]) == 0
    assert (tmp_path / "statement-1.csv").read_bytes().startswith(b"\xef\xbb\xbfuscc,")
    elsewhere = tmp_path / "out" / "june.csv"
    elsewhere.parent.mkdir()
    assert main(["settle", "export", "--statement", "1", "--out", str(elsewhere)]) == 0
    assert f"wrote {elsewhere}" in capsys.readouterr().out


@pytest.fixture
def empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database with no schema at all, for the command line."""

    def use(url: str) -> None:
        monkeypatch.setenv("VOUCHER_DATABASE_URL", url)
        get_settings.cache_clear()
        get_engine.cache_clear()

    if backend() == "sqlite":
        use(f"sqlite:///{tmp_path / 'empty.db'}")
        yield str(tmp_path / "empty.db")
    else:
        import os

        with empty_postgres_database(os.environ["TEST_DATABASE_URL"]) as url:
            use(url)
            yield url
            get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_migrate_names_what_it_applied_or_the_revision_it_found(
    empty_database: str, capsys: Capture
) -> None:
    assert main(["migrate"]) == 0
    first = capsys.readouterr().out
    applied = re.findall(r"^applied (\d{4}[a-z]?): ", first, re.M)  # 0018, 0019 ...
    assert applied[:2] == ["0001", "0002"] and applied == sorted(applied)
    head = applied[-1]
    assert f"the database is at the newest revision, {head} ({len(applied)} applied)" in first
    assert main(["migrate"]) == 0
    again = capsys.readouterr().out
    assert again.startswith(f"the database was already at the newest revision, {head} (")
    assert "applied" not in again.replace("nothing to apply", "")


def test_create_account_from_standard_input(
    cli_database: str, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("长江大桥-1957-wuhan\n"))
    assert (
        main(["create-account", "--login", "Li.Wei", "--display-name", "李伟", "--password-stdin"])
        == 0
    )
    # A fresh install's first person: a system administrator (docs/access.md).
    assert "account li.wei (bureau: sysadmin) created" in capsys.readouterr().out
    with transaction() as session:
        account = session.scalars(select(Account).where(Account.login == "li.wei")).one()
        assert verify_password(account.password_hash, "长江大桥-1957-wuhan")
        assert not account.must_change_password
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "account.create")
        ).one()
        assert entry.actor == "command line"


def test_unlock_account_lifts_the_slow_down(
    cli_database: str, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from voucher_service.accounts import signin

    monkeypatch.setattr("sys.stdin", io.StringIO("长江大桥-1957-wuhan\n"))
    args = ["create-account", "--login", "wu.fang", "--display-name", "吴芳", "--password-stdin"]
    assert main(args) == 0
    now = datetime.now(UTC)
    with transaction() as session:
        for _ in range(signin.ACCOUNT_FAILURE_LIMIT):
            with pytest.raises(Unauthorized):
                signin.check_password(
                    session, login="wu.fang", password="guess-guess", client="10.0.0.9", now=now
                )
    with transaction() as session:
        assert signin.throttled_until(session, "wu.fang", now=now) is not None
    assert main(["unlock-account", "--login", "WU.FANG"]) == 0
    assert "account wu.fang: sign-in unlocked" in capsys.readouterr().out
    with transaction() as session:
        assert signin.throttled_until(session, "wu.fang", now=now) is None
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "account.unlock"))
        assert entry.one().actor == "command line"
    assert main(["unlock-account", "--login", "nobody.here"]) == 1


def test_create_account_asks_twice_and_refuses_a_weak_password(cli_database: str) -> None:
    runner = CliRunner()
    args = ["create-account", "--login", "zhang.san", "--display-name", "张三"]
    asked = runner.invoke(app, args, input="short\nshort\n")
    assert asked.exit_code == 1
    assert "at least 10 characters (weak_password)" in asked.output
    mismatch = runner.invoke(app, args, input="长江大桥-1957-wuhan\nsomething else\n")
    assert mismatch.exit_code == 1


def test_demo_names_the_company_behind_each_key_and_account(
    cli_database: str, capsys: Capture
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    lines = {m[0]: m[2] for m in re.findall(r"^export (\w+)=(\S+) +# (.+)$", out, re.M)}
    assert set(lines) >= {
        "B",
        "ADMIN_KEY",
        "SYSADMIN_KEY",
        "PROGRAM_KEY",
        "REVIEWER_KEY",
        "FINANCE_KEY",
        "AUDITOR_KEY",
        "ENTERPRISE_KEY",
        "PROVIDER_KEY",
        "VOUCHER",
    }
    assert "export ENTERPRISE_KEY=vsk_" in out
    assert (
        lines["ENTERPRISE_KEY"] == "enterprise: 武汉江岸智算数据科技有限公司 (91420102MA4K00001Q)"
    )
    assert lines["PROVIDER_KEY"] == "provider: 武汉人工智能计算中心 (91420100MA4K00100E)"
    assert lines["ADMIN_KEY"].startswith("bureau_admin: demo admin, the bureau")
    assert lines["FINANCE_KEY"].startswith("bureau (finance): demo.finance, the bureau")
    assert lines["SYSADMIN_KEY"].startswith("bureau (sysadmin): demo.it, the bureau")
    accounts = re.findall(r"^  (\w+) +(demo\.\w+) +(\S+) +(.+)$", out, re.M)
    assert [a[1] for a in accounts] == [
        "demo.admin",
        "demo.it",
        "demo.program",
        "demo.reviewer",
        "demo.finance",
        "demo.auditor",
        "demo.enterprise",
        "demo.provider",
    ]
    assert accounts[0][3].endswith("(finance, program, review)")  # the legacy admin's duties
    assert accounts[6][3] == "武汉江岸智算数据科技有限公司 (91420102MA4K00001Q)"
    with transaction() as session:
        for _, login, password, _ in accounts:
            account = session.scalars(select(Account).where(Account.login == login)).one()
            assert verify_password(account.password_hash, password)
    assert main(["demo"]) == 0
    assert "already loaded" in capsys.readouterr().out


def test_the_evaluation_and_an_audit_sample_are_written_where_asked(
    cli_database: str, tmp_path: Path, capsys: Capture
) -> None:
    from openpyxl import load_workbook

    assert main(["demo", "--today", "2026-06-15"]) == 0
    report = tmp_path / "evaluation-2026.xlsx"
    assert main(["evaluate", "--program", "WH-AI-M2", "--year", "2026", "--out", str(report)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {report}" in said and "recommended 2027 pool" in said
    sheets = load_workbook(report).sheetnames
    assert sheets[:2] == ["概览", "按区"]  # Chinese headers, by district
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (first, second):
        assert main(["audit", "sample", "--seed", "7", "--n", "5", "--out", str(path)]) == 0
    assert "5 of" in capsys.readouterr().out
    assert first.read_bytes() == second.read_bytes()  # the same seed draws the same records
    assert main(["evaluate", "--program", "NO-SUCH", "--year", "2026", "--out", str(report)]) == 1


def test_the_demo_on_a_later_day_needs_force(cli_database: str, capsys: Capture) -> None:
    """Its --today says so, as every --today does: a later date only with --force."""
    assert main(["demo", "--today", "2026-07-01"]) == 2
    said = capsys.readouterr().err
    assert "As of 2026-07-01, this would load the demo data with" in said
    assert "Run it again with --force" in said
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(Voucher)) == 0
    assert main(["demo", "--today", "2026-07-01", "--force"]) == 0
    assert "loaded program" in capsys.readouterr().out


@pytest.mark.parametrize("role", ["bureau", "bureau_admin", "bureau_reviewer", "auditor"])
def test_a_key_without_a_company_refuses_a_credit_code(
    role: str, cli_database: str, capsys: Capture
) -> None:
    """--uscc names an enterprise's or a provider's key holder: for any other role it was
    ignored silently; now it is a usage error and no key is made."""
    args = ["create-key", "--role", role, "--uscc", "91420100MA4K00100E"]
    assert main(args) == 2
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.startswith("error: --uscc is for the enterprise and provider roles")
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
