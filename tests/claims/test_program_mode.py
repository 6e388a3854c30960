"""A program's mode as program data: a program file says ``mode = "reimbursement"``, applying
it (confirmed by a second program administrator) makes a program that takes claims, and a
file that differs only in its mode is a settings change to propose."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.programs.test_files import load
from voucher_service.db.tables.confirmations import ConfirmationKind
from voucher_service.domain.rules import ProgramMode
from voucher_service.programs import files
from voucher_service.programs.settings import settings_of

CLAIMS_FILE = """
code = "YZ-AI-CLAIM"
name = "扬州式算力补助（事后申报）"
valid_from = 2026-01-01
valid_to = 2027-12-31
region_prefix = ""
mode = "reimbursement"

[[rules]]
effective_from = 2026-01-01
rate_bp = 3000
cap_yuan = "8000000.00"
cap_scope = "per_year"
window_months = 24
pool_minimum_yuan = "0.00"

[[pools]]
year = 2026
total_yuan = "20000000.00"
"""


def test_a_program_file_makes_a_reimbursement_program(session: Session) -> None:
    program = load(session, files.read(CLAIMS_FILE))
    assert settings_of(program).mode is ProgramMode.REIMBURSEMENT
    assert files.plan(session, files.read(CLAIMS_FILE)).settled
    point_of_sale = files.read(CLAIMS_FILE.replace('mode = "reimbursement"', ""))
    plan = files.plan(session, point_of_sale)
    assert [c.kind for c in plan.changes] == [ConfirmationKind.SET_PROGRAM_SETTINGS]
