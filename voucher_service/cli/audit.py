"""``audit``: the hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voucher_service.cli.common import cli_session, err, fail, out
from voucher_service.config import get_settings

if TYPE_CHECKING:
    from voucher_service.audit.commands import WitnessSite

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.command()
def seal() -> None:
    """Chain the audit entries written since the last seal.

    Each API process also does it every VOUCHER_AUDIT_SEAL_SECONDS."""
    from voucher_service.audit.service import seal as chain
    from voucher_service.db.session import transaction

    with transaction() as session:
        sealed = chain(session)
    out.print(f"sealed {sealed} audit entr{'y' if sealed == 1 else 'ies'} into the chain")


@app.command()
def keygen(
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            help="The private key's file (made mode 0600); the public key goes beside "
            "it, with .pub added.",
        ),
    ],
) -> None:
    """Make the Ed25519 key pair that signs audit checkpoints.

    Keep the private key off the database host (the checkpoint job mounts it); give the
    public key to whoever runs `verify --checkpoint`, and the log's verifier key (printed)
    to the witness (`witness init --log`). An existing file is never overwritten."""
    from voucher_service.audit.signing import (
        KeyFileError,
        Verifier,
        generate_key_pair,
        load_public_key,
        public_path,
    )

    try:
        made = generate_key_pair(out_path)
        public = load_public_key(public_path(out_path))
    except KeyFileError as error:
        raise fail(str(error)) from error
    except OSError as error:
        raise fail(f"cannot write {error.filename or out_path}: {error.strerror}") from error
    out.print(f"{made}: private key {out_path}, public key {public_path(out_path)}", markup=False)
    vkey = Verifier(get_settings().checkpoint_origin, public).vkey()
    out.print(f"the log's verifier key, for the witness: {vkey}", markup=False)


CheckpointsOut = Annotated[
    Path,
    typer.Option(
        "--out",
        help="The directory of checkpoints (each new one names the newest there), or a "
        "file to write a lone checkpoint to.",
    ),
]
PrivateKey = Annotated[
    Path | None,
    typer.Option(help="The private key.", show_default="VOUCHER_CHECKPOINT_KEY"),
]
Every = Annotated[
    float,
    typer.Option(min=0, help="Seconds between checkpoints (0: take one and stop)."),
]


@app.command()
def checkpoint(
    out_path: CheckpointsOut = Path("."), key: PrivateKey = None, every: Every = 0
) -> None:
    """Write a signed checkpoint of the audit chain's head and of the ledger's postings and
    usage records, naming the one before it, and have the witness cosign it.

    Seals the audit log first. A checkpoint is written only if the audit chain holds, the
    checkpoints in the directory form one chain, and the books still extend the newest
    (exit 1, naming what differs, if not). With a witness (VOUCHER_WITNESS_URL and
    VOUCHER_WITNESS_VKEY), every checkpoint it has not cosigned yet is sent to it with the
    audit entries since its latest, and its cosignature added to the file; a refusal is
    exit 1 (with --every, the error is said and the next round tries again). Keep the
    checkpoints away from the database (another host, write-once storage): they are
    evidence only where its administrators cannot reach."""
    import time

    path = key or get_settings().checkpoint_key
    if path is None:
        raise fail("no checkpoint key: give --key or set VOUCHER_CHECKPOINT_KEY", code=2)
    site = _witness_site()
    while True:
        ended = _take_checkpoint(out_path, path, site)
        # Repeating (a container's loop), a failure is said and the next round tries again:
        # an uncosigned checkpoint is sent to the witness again then.
        if not every:
            if ended is not None:
                raise ended
            return
        time.sleep(every)


def _take_checkpoint(out_path: Path, key: Path, site: WitnessSite | None) -> typer.Exit | None:
    """One round: write the checkpoint and have it cosigned, saying what was done on standard
    output; or say why not on standard error and return the exit that ends the command (if
    it takes only this one)."""
    from voucher_service.audit import commands
    from voucher_service.audit.checkpoint import CheckpointError
    from voucher_service.audit.signing import KeyFileError, load_private_key
    from voucher_service.audit.witness import WitnessError
    from voucher_service.db.session import transaction
    from voucher_service.db.types import utcnow

    try:
        run = commands.take_checkpoint(
            transaction,
            out_path,
            load_private_key(key),
            origin=get_settings().checkpoint_origin,
            now=utcnow(),
            site=site,
        )
    except commands.Refused as refused:
        for line in refused.problems:
            err.print(f"VIOLATION {line}", markup=False)
        return fail(f"the audit chain or the books {refused}: no new checkpoint")
    except (CheckpointError, KeyFileError, WitnessError) as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot write {out_path}: {error.strerror}")
    said = run.stored.checkpoint.label
    out.print(f"checkpoint {run.written}: audit chain at {said}, signed", markup=False)
    for cosigned in run.cosigned:
        out.print(f"cosigned by the witness: {cosigned.name}", markup=False)
    out.file.flush()
    return None


def _witness_site() -> WitnessSite | None:
    """The witness the settings name (both its address and its key, or neither)."""
    from voucher_service.audit.commands import WitnessSite
    from voucher_service.audit.signing import NoteError, Verifier

    settings = get_settings()
    if bool(settings.witness_url) != bool(settings.witness_vkey):
        raise fail("a witness needs both VOUCHER_WITNESS_URL and VOUCHER_WITNESS_VKEY", code=2)
    if not settings.witness_url:
        return None
    try:
        return WitnessSite(settings.witness_url, Verifier.parse(settings.witness_vkey))
    except NoteError as error:
        raise fail(f"VOUCHER_WITNESS_VKEY: {error}", code=2) from error


@app.command()
def sample(
    seed: Annotated[int, typer.Option(help="The draw's seed: the same seed, the same sample.")],
    n: Annotated[int, typer.Option(min=1, max=100_000, help="How many priced records to draw.")],
    out_path: Annotated[
        Path, typer.Option("--out", help="The file to write: .xlsx, or CSV for any other name.")
    ],
    program: Annotated[str | None, typer.Option(help="Only this program's records.")] = None,
    date_from: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First service date (YYYY-MM-DD)."),
    ] = None,
    date_to: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="Last service date (YYYY-MM-DD)."),
    ] = None,
) -> None:
    """Draw a reproducible random sample of priced usage records for a third-party audit.

    Each record comes with its voucher, redemption, rule version, postings and audit
    entries; the same seed on the same books draws the same records."""
    from voucher_service.audit.commands import sample as draw

    with cli_session() as session:
        said = draw(
            session,
            seed=seed,
            n=n,
            out_path=out_path,
            program=program,
            date_from=date_from.date() if date_from else None,
            date_to=date_to.date() if date_to else None,
        )
    out.print(said, markup=False)
