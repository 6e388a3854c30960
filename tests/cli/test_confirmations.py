"""The checker's queue on the command line (``confirmations list|confirm|reject|withdraw
--as``): a program administrator's pool waits for a second one, refused exactly where
``/v1/admin/confirmations`` refuses (docs/access.md)."""

from __future__ import annotations

from sqlalchemy import select

from tests.cli.test_commands import Capture
from tests.factories import acting_as, demo_keys
from voucher_service.cli import main
from voucher_service.db.session import transaction
from voucher_service.db.tables.auth import Principal
from voucher_service.db.tables.programs import Pool
from voucher_service.db.types import utcnow
from voucher_service.demo import PROGRAM_CODE
from voucher_service.programs.proposals import propose_pool
from voucher_service.programs.service import get_program


def propose(year: int) -> int:
    """A pool proposed by demo.program (the demo's program administrator)."""
    with transaction() as session:
        maker = session.scalar(select(Principal).where(Principal.name == "demo.program"))
        assert maker is not None
        acting_as(session, maker)
        program = get_program(session, PROGRAM_CODE)
        row = propose_pool(
            session,
            program,
            year=year,
            total_fen=10_000_000_00,
            today=program.valid_from,
            now=utcnow(),
        )
        assert row.id is not None
        return row.id


def pools() -> list[int]:
    with transaction() as session:
        program = get_program(session, PROGRAM_CODE)
        return sorted(session.scalars(select(Pool.year).where(Pool.program_id == program.id)))


def test_a_second_program_administrator_confirms_on_the_command_line(
    cli_database: str, capsys: Capture
) -> None:
    assert main(["demo"]) == 0
    keys = demo_keys(capsys.readouterr().out)

    def run(*args: str) -> tuple[int, str]:
        code = main(["confirmations", *args])
        said = capsys.readouterr()
        return code, said.out + said.err

    assert run("list", "--as", keys["ADMIN_KEY"]) == (0, "nothing waits for a second person\n")
    proposal = propose(2027)
    line = f"pool.create {PROGRAM_CODE}/2027: open the 2027 pool"
    for who, shown in (
        (keys["PROGRAM_KEY"], False),  # their own
        (keys["REVIEWER_KEY"], False),  # review checks no pool
        (keys["ADMIN_KEY"], True),  # a second program administrator
    ):
        code, said = run("list", "--as", who)
        assert (code, line in said) == (0, shown), said
    assert line in run("list")[1]  # no --as: every pending proposal
    assert run("withdraw", "--id", str(proposal), "--as", keys["ADMIN_KEY"])[0] == 1  # not theirs
    code, said = run("withdraw", "--id", str(proposal), "--as", keys["PROGRAM_KEY"])
    assert (code, "withdrawn by demo.program" in said) == (0, True), said
    proposal = propose(2027)
    code, said = run("reject", "--id", str(proposal), "--as", keys["ADMIN_KEY"])
    assert (code, "rejected by demo admin" in said) == (0, True), said
    proposal = propose(2027)

    which = ("--id", str(proposal))
    for who, refusal in (
        (None, "(actor_required)"),
        (keys["PROGRAM_KEY"], "(same_person)"),  # the proposer never confirms
        (keys["REVIEWER_KEY"], "(forbidden)"),  # review is not program administration
        (keys["SYSADMIN_KEY"], "(forbidden)"),
        (keys["AUDITOR_KEY"], "(forbidden)"),
        ("vsk_nosuchkey_" + "x" * 40, "(unauthorized)"),
    ):
        code, said = run("confirm", *which, *(("--as", who) if who else ()))
        assert (code, refusal in said) == (1, True), said
        assert said.count("\n") == 1 and "Traceback" not in said  # one line
    assert run("confirm", "--id", "999", "--as", keys["ADMIN_KEY"])[0] == 1
    assert pools() == [2025, 2026]

    code, said = run("confirm", *which, "--as", keys["ADMIN_KEY"])
    assert (code, "(proposed by demo.program, confirmed by demo admin)" in said) == (0, True), said
    assert pools() == [2025, 2026, 2027]
    assert run("withdraw", *which, "--as", keys["PROGRAM_KEY"])[0] == 1  # no longer pending
    assert main(["verify"]) == 0
