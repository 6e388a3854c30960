"""Program files (issue 25): a whole program as a TOML file, diffed against the service and
applied as proposals a second program administrator confirms; the example files (Wuhan's
measures 2 and 3, a district top-up, another city's large-cap program) load and price."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.applications.test_selection import apply as apply_for_selection
from tests.cli.test_commands import Capture
from tests.factories import (
    KeyedClient,
    Scene,
    attach_proof,
    bureau_person,
    by_two_program_admins,
    demo_keys,
    make_enterprise,
    post_provider,
    post_redemption,
    post_voucher,
    uscc,
)
from voucher_service.cli import main
from voucher_service.confirmations import service as confirmations
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.errors import InvalidInput, PoolAboveMaximum
from voucher_service.programs import files
from voucher_service.programs.service import get_program


def program_pools(session: Session, program: Program) -> list[Pool]:
    return list(session.scalars(select(Pool).where(Pool.program_id == program.id)))


EXAMPLES = Path(__file__).parents[2] / "examples" / "programs"
DAY = date(2026, 6, 15)


def example(name: str) -> files.ProgramFile:
    return files.read((EXAMPLES / name).read_text(encoding="utf-8"))


def load(session: Session, program_file: files.ProgramFile) -> Program:
    """Apply the file as one program administrator and confirm as a second, round after
    round (a new program first, then its pools and layer), until the service holds it."""
    for _ in range(5):
        plan = files.plan(session, program_file)
        if plan.settled:
            return get_program(session, program_file.code)
        assert not plan.conflicts, plan.conflicts
        pending = [*plan.changes]
        for change in pending:
            by_two_program_admins(
                session,
                lambda now, change=change: files._propose_one(  # noqa: SLF001
                    session, program_file, change, DAY, now
                ),
                today=DAY,
            )
    raise AssertionError("the file never settled")


def test_every_example_is_valid_and_described_by_the_schema() -> None:
    names = sorted(path.name for path in EXAMPLES.glob("*.toml"))
    assert names == [
        "hongshan-top-up.toml",
        "large-cap-training.toml",
        "reimbursement-per-year.toml",
        "wuhan-measure-2.toml",
        "wuhan-measure-3.toml",
        "wuhan-monitoring.toml",
    ]
    schema = files.ProgramFile.model_json_schema()
    for name in names:
        program_file = example(name)
        assert set(program_file.model_fields_set) <= set(schema["properties"])


@pytest.mark.parametrize(
    ("name", "division", "subsidy"),
    [
        ("wuhan-measure-2.toml", "420106", "50.00"),
        ("large-cap-training.toml", "110105", "50.00"),  # anywhere: a Beijing company
    ],
)
def test_a_loaded_program_prices_a_fee(
    client: TestClient, session: Session, name: str, division: str, subsidy: str
) -> None:
    program = load(session, example(name))
    enterprise = make_enterprise(session, division=division).uscc
    session.commit()
    provider = post_provider(client)
    voucher = post_voucher(client, program.code, enterprise, "1000.00")
    post_redemption(client, enterprise, voucher, provider)
    priced = Scene(client, program.code, enterprise, provider, voucher).post("f-1").json()
    assert (priced["fee_yuan"], priced["subsidy_yuan"]) == ("100.00", subsidy), priced
    # Applying the file again proposes nothing: the service holds it as written.
    assert files.plan(session, example(name)).settled


def test_the_reimbursement_example_prices_a_claim_within_its_year_cap(
    client: KeyedClient, session: Session
) -> None:
    """The claims program with a cap per year beside the window's: a claim of two invoices
    is paid 20% of each, the second held at the year's 1,000,000."""
    program = load(session, example("reimbursement-per-year.toml"))
    assert (program.mode, program.funding) == ("reimbursement", "vouchers")
    enterprise = make_enterprise(session, division="410105").uscc  # a Zhengzhou company
    session.commit()
    invoices = [
        {
            "invoice_number": number,
            "invoice_date": "2026-05-20",
            "amount_yuan": amount,
            "seller_name": "河南算力服务有限公司",
            "seller_uscc": uscc(division="410100"),
        }
        for number, amount in (("HN-1", "10000.00"), ("HN-2", "5000000.00"))
    ]
    claim = client.post(
        f"/v1/enterprise/{enterprise}/claims",
        json={
            "program_code": program.code,
            "period_start": "2026-05-01",
            "period_end": "2026-05-31",
            "contract_reference": "HN-HT-7",
            "payment_proof": "bank transfer 0520",
            "invoices": invoices,
        },
    )
    assert claim.status_code == 201, claim.text
    attach_proof(client, enterprise, claim.json()["id"])
    approved = client.post(
        f"/v1/admin/claims/{claim.json()['id']}/approve",
        json={"invoices": []},
        headers=bureau_person(client, Duty.REVIEW, name="reviewer he"),
    )
    assert approved.status_code == 200, approved.text
    assert [i["subsidy_yuan"] for i in approved.json()["invoices"]] == ["2000.00", "998000.00"]
    assert files.plan(session, example("reimbursement-per-year.toml")).settled


def test_the_monitoring_grants_load_with_their_ceiling(session: Session) -> None:
    program = load(session, example("wuhan-monitoring.toml"))
    assert program.funding == "grants"
    [pool] = program_pools(session, program)
    assert (pool.year, pool.total_fen, pool.available_fen) == (2026, 3_000_000_00, 3_000_000_00)
    above = example("wuhan-monitoring.toml").model_copy(
        update={"pools": [files.PoolEntry(year=2027, total_yuan="3000000.01")]}
    )
    with pytest.raises(PoolAboveMaximum):
        load(session, above)


def test_the_district_layer_stacks_on_the_city_and_measure_3_selects(
    client: TestClient, session: Session
) -> None:
    for name in ("wuhan-measure-2.toml", "hongshan-top-up.toml", "wuhan-measure-3.toml"):
        load(session, example(name))
    hongshan = make_enterprise(session, division="420111").uscc
    session.commit()
    provider = post_provider(client)
    city = post_voucher(client, "WH-AI-M2", hongshan, "1000.00")
    district = post_voucher(client, "WH-HS-TOPUP", hongshan, "500.00")
    for code in (city, district):
        post_redemption(client, hongshan, code, provider)
    priced = Scene(client, "WH-AI-M2", hongshan, provider, city).post("s-1").json()
    assert priced["subsidy_yuan"] == "50.00"
    assert [layer["subsidy_yuan"] for layer in priced["top_ups"]] == ["20.00"]
    assert priced["enterprise_pays_yuan"] == "30.00"
    # Measure 3 from its file: 教育 is one of its fields.
    selected = apply_for_selection(client, hongshan, "WH-AI-M3", sector="education")
    assert selected.status_code == 201, selected.text


def test_a_new_version_in_the_file_is_one_proposal_and_conflicts_propose_nothing(
    session: Session,
) -> None:
    program_file = example("large-cap-training.toml")
    load(session, program_file)
    raised = program_file.model_copy(
        update={
            "rules": [
                *program_file.rules,
                program_file.rules[0].model_copy(
                    update={"effective_from": date(2027, 1, 1), "rate_bp": 4000}
                ),
            ]
        }
    )
    plan = files.plan(session, raised)
    assert [(c.kind.value, c.target) for c in plan.changes] == [("rules.add", "CITY-TRAIN")]
    load(session, raised)
    assert files.plan(session, raised).settled
    # What no proposal changes is a conflict, and nothing at all is proposed.
    renamed = raised.model_copy(
        update={"name": "another name", "second_review_above_yuan": 5_000_00}
    )
    plan = files.plan(session, renamed)
    assert plan.conflicts == [
        "name: the service holds '模型训练算力券（大额示例）', the file 'another name'"
    ]
    with pytest.raises(InvalidInput):
        files.propose(session, renamed, today=DAY, now=confirmations_now())
    assert confirmations.waiting(session, None) == []


def confirmations_now():  # type: ignore[no-untyped-def]
    from voucher_service.db.types import utcnow

    return utcnow()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("code = ", "not TOML"),
        ('code = "X"', "code: String should match pattern"),
        (
            (EXAMPLES / "wuhan-measure-2.toml").read_text().replace('"200000.00"', '"-1"'),
            "rules.0.cap_yuan",
        ),
        (
            (EXAMPLES / "wuhan-measure-2.toml").read_text() + '\nsurprise = "field"\n',
            "surprise: Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_file_says_what_is_wrong_where(text: str, said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        files.read(text)
    assert said in refused.value.message


def test_the_demo_is_its_example_files_on_the_command_line(
    cli_database: str, capsys: Capture
) -> None:
    assert main(["demo"]) == 0
    keys = demo_keys(capsys.readouterr().out)
    for name in ("wuhan-measure-2.toml", "wuhan-measure-3.toml", "hongshan-top-up.toml"):
        code = main(["programs", "diff", "--file", str(EXAMPLES / name)])
        said = capsys.readouterr().out
        assert (code, said) == (0, "the service holds this program as the file says\n"), said
    other = str(EXAMPLES / "large-cap-training.toml")
    assert main(["programs", "diff", "--file", other]) == 1
    assert "propose program.create CITY-TRAIN" in capsys.readouterr().out
    assert main(["programs", "apply", "--file", other]) == 1  # nobody named: refused
    assert "(actor_required)" in capsys.readouterr().err
    assert main(["programs", "apply", "--file", other, "--as", keys["PROGRAM_KEY"]]) == 0
    proposed = re.search(
        r"^proposed (\d+) program.create CITY-TRAIN", capsys.readouterr().out, re.M
    )
    assert proposed is not None
    number = proposed[1]
    assert main(["programs", "diff", "--file", other]) == 1
    assert f"waiting program.create CITY-TRAIN: proposal {number}" in capsys.readouterr().out
    assert main(["confirmations", "confirm", "--id", number, "--as", keys["ADMIN_KEY"]]) == 0
    capsys.readouterr()
    assert main(["programs", "apply", "--file", other, "--as", keys["PROGRAM_KEY"]]) == 0
    assert "pool.create CITY-TRAIN/2026" in capsys.readouterr().out
    assert main(["programs", "diff", "--file", "/nonexistent.toml"]) == 2
    capsys.readouterr()
    assert main(["programs", "schema"]) == 0
    assert '"voucher_validity"' in capsys.readouterr().out
