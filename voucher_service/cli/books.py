"""The books: checking them, and the daily expiry that returns unspent balances to pools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.orm import Session

from voucher_service.cli.common import (
    BOOKS,
    Day,
    Force,
    as_of,
    cli_session,
    err,
    fail,
    out,
    progress_bar,
    working,
)
from voucher_service.config import get_settings
from voucher_service.money import fen_to_yuan

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from voucher_service.audit.checkpoint import Stored, Trust
    from voucher_service.audit.signing import Verifier

app = typer.Typer()


Checkpoints = Annotated[
    list[Path] | None,
    typer.Option(
        "--checkpoint",
        metavar="PATH",
        help="A directory of signed checkpoints (`audit checkpoint`), every one walked "
        "in chain order, or one checkpoint file; may be given more than once.",
    ),
]
PublicKey = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help="The key checkpoints are signed with.",
        show_default="VOUCHER_CHECKPOINT_PUBLIC_KEY, else that of VOUCHER_CHECKPOINT_KEY",
    ),
]
WitnessKey = Annotated[
    str | None,
    typer.Option(
        metavar="VKEY",
        help="The witness's verifier key: every checkpoint must carry its cosignature.",
        show_default="VOUCHER_WITNESS_VKEY, none",
    ),
]
WitnessSource = Annotated[
    str | None,
    typer.Option(
        metavar="URL|DIR",
        help="Where the witness answers (or its directory): the newest checkpoint must "
        "be the latest it cosigned.",
        show_default="VOUCHER_WITNESS_URL, none",
    ),
]


@dataclass(frozen=True)
class Evidence:
    """What verify compares the books with besides the ledger: the checkpoints (if any), the
    trust that checks them (the log's key and the witness's), and where the witness answers."""

    checkpoints: list[Path]
    trust: Trust | None
    cosigner: Verifier | None
    witness_source: str


@app.command(rich_help_panel=BOOKS)
def verify(
    checkpoints: Checkpoints = None,
    public_key: PublicKey = None,
    witness_key: WitnessKey = None,
    witness: WitnessSource = None,
) -> None:
    """Check the books: every balance against the ledger, every posting against what it
    records, the audit chain, and any signed checkpoints.

    Seals the audit log first, then re-derives every balance from the ledger's postings and
    walks the audit chain; with --checkpoint, walks every checkpoint in order (each names
    the one before it), proves the books still extend each one and, with a witness, that
    each is cosigned by it and the newest is the latest it holds. Exit 1, naming each
    violation, if the books do not hold."""
    evidence = _evidence(checkpoints or [], public_key, witness_key, witness)
    violations, walked = _check_the_books(evidence)
    for line in violations:
        err.print(f"VIOLATION {line}", markup=False)
    if violations:
        err.print(f"verify: {len(violations)} violation(s)")
        raise typer.Exit(1)
    out.print(f"verify: {_consistent(evidence, walked)}", markup=False)


def _evidence(
    checkpoints: list[Path], public_key: Path | None, witness_key: str | None, witness: str | None
) -> Evidence:
    """The checkpoints and the keys to check them with, from the options or the settings;
    a usage error (exit 2) where they do not fit together."""
    from voucher_service.audit.checkpoint import Trust
    from voucher_service.audit.signing import NoteError, Verifier

    settings = get_settings()
    vkey = witness_key if witness_key is not None else settings.witness_vkey
    source = witness if witness is not None else settings.witness_url
    if source and not vkey:
        raise fail(
            "--witness needs the witness's key: --witness-key or VOUCHER_WITNESS_VKEY", code=2
        )
    try:
        cosigner = Verifier.parse(vkey) if vkey else None
    except NoteError as error:
        raise fail(f"the witness's key: {error}", code=2) from error
    trust = None
    if checkpoints:
        log = Verifier(settings.checkpoint_origin, _checkpoint_public_key(public_key))
        trust = Trust(log, cosigner)
    return Evidence(checkpoints, trust, cosigner, source or "")


def _check_the_books(evidence: Evidence) -> tuple[list[str], list[Stored]]:
    """Seal the audit log, then check the ledger and the audit chain and walk the
    checkpoints: the violations found, and the checkpoints walked (oldest first)."""
    from voucher_service.audit.commands import verify_checkpoints
    from voucher_service.audit.service import seal
    from voucher_service.audit.witness import WitnessError
    from voucher_service.books import verify_ledger
    from voucher_service.db.session import transaction

    walked: list[Stored] = []
    with working("sealing the audit log") as step:
        with transaction() as session:
            seal(session)  # chain what is not chained yet, so the walk covers everything
        step("checking the ledger and walking the audit chain")
        with transaction() as session:
            violations = verify_ledger(session)
            if evidence.trust is not None and evidence.checkpoints:
                step("comparing with the checkpoints")
                try:
                    found, walked = verify_checkpoints(
                        session,
                        evidence.checkpoints,
                        evidence.trust,
                        witness_source=evidence.witness_source or None,
                    )
                except WitnessError as error:
                    found = [f"the witness: {error}"]
                violations.extend(found)
    return violations, walked


def _consistent(evidence: Evidence, walked: list[Stored]) -> str:
    """What verify found to hold, in one line."""
    said = "ledger consistent (conservation, counters, postings, caps, audit chain)"
    if walked:
        newest = walked[-1].path.name
        said += f"; extends {len(walked)} checkpoint(s) in one chain, the newest {newest}"
        if evidence.cosigner is not None:
            said += f", each cosigned by {evidence.cosigner.name}"
        if evidence.witness_source:
            said += ", the latest the witness holds"
    elif evidence.checkpoints:
        said += "; no checkpoint yet"
    return said


def _checkpoint_public_key(given: Path | None) -> Ed25519PublicKey:
    """The key checkpoints are verified with: the option, the setting, or the signing key's."""
    from voucher_service.audit.signing import KeyFileError, load_public_key

    settings = get_settings()
    path = given or settings.checkpoint_public_key or settings.checkpoint_key
    if path is None:
        raise fail(
            "--checkpoint needs the public key: give --public-key or set "
            "VOUCHER_CHECKPOINT_PUBLIC_KEY",
            code=2,
        )
    try:
        return load_public_key(path)
    except KeyFileError as error:
        raise fail(str(error), code=2) from error


@app.command(rich_help_panel=BOOKS)
def expire(today: Day = None, force: Force = False) -> None:
    """Expire vouchers past their last day plus the grace period; balances return to pools.

    The grace period (VOUCHER_GRACE_DAYS) leaves time for late usage reports. Run it daily:
    a second run the same day changes nothing."""
    from voucher_service.vouchers.service import expire_vouchers

    grace_days = get_settings().grace_days

    def preview(session: Session, day: date) -> str:
        run = expire_vouchers(session, today=day, grace_days=grace_days)
        return (
            f"would expire {run.expired} voucher(s) and return "
            f"{fen_to_yuan(run.released_fen)} yuan to their pools"
        )

    day = as_of(today, force=force, preview=preview)
    with progress_bar("expiring vouchers") as update, cli_session() as session:
        run = expire_vouchers(session, today=day, grace_days=grace_days, progress=update)
    released = fen_to_yuan(run.released_fen)
    out.print(f"expired {run.expired} voucher(s); {released} yuan back to pools")


@app.command(rich_help_panel=BOOKS)
def evaluate(
    program: Annotated[str, typer.Option(help="The program's code, e.g. WH-AI-M2.")],
    year: Annotated[int, typer.Option(min=2000, max=2100, help="The year evaluated.")],
    out_path: Annotated[
        Path, typer.Option("--out", help="The file to write: .xlsx, or JSON for any other name.")
    ],
) -> None:
    """The yearly evaluation (动态评估) of a program, with next year's recommended pool.

    Applications and approvals, vouchers, the pool's use, subsidies by district, provider,
    size class and month, enterprises at their cap, time to first usage."""
    from voucher_service.evaluation.commands import evaluate as write

    settings = get_settings()
    with cli_session() as session:
        said = write(
            session,
            program=program,
            year=year,
            out_path=out_path,
            today=settings.today(),
            tz=settings.tz,
        )
    out.print(said, markup=False)
