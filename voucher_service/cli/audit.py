"""``audit``: the hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from voucher_service.cli.common import cli_session, err, fail, out

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
    public key to whoever runs `verify --checkpoint`. An existing file is never overwritten."""
    from voucher_service.audit.signing import KeyFileError, generate_key_pair, public_path

    try:
        made = generate_key_pair(out_path)
    except (KeyFileError, OSError) as error:
        raise fail(str(error)) from error
    out.print(f"{made}: private key {out_path}, public key {public_path(out_path)}", markup=False)


@app.command()
def checkpoint(
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            help="The file to write, or a directory to write it into (named by its time and "
            "chain position).",
        ),
    ] = Path("."),
    key: Annotated[
        Path | None,
        typer.Option(help="The private key.", show_default="VOUCHER_CHECKPOINT_KEY"),
    ] = None,
) -> None:
    """Write a signed checkpoint of the audit chain's head and of the ledger's postings and
    usage records, for `verify --checkpoint` to prove the books still extend it.

    Seals the audit log first. A checkpoint is written only if the audit chain holds and,
    into a directory that holds checkpoints already, the books still extend the newest (exit
    1, naming what differs, if not): a checkpoint never vouches for a broken chain or for
    history rewritten since the one before it. Keep them away
    from the database (another host, write-once storage): they are evidence only where its
    administrators cannot reach."""
    from voucher_service.audit import checkpoint as checkpoints
    from voucher_service.audit.service import seal, verify_chain
    from voucher_service.audit.signing import KeyFileError, load_private_key
    from voucher_service.config import get_settings
    from voucher_service.db.session import transaction
    from voucher_service.db.types import utcnow

    path = key or get_settings().checkpoint_key
    if path is None:
        raise fail("no checkpoint key: give --key or set VOUCHER_CHECKPOINT_KEY", code=2)
    try:
        signing = load_private_key(path)
        previous = checkpoints.newest(out_path) if out_path.is_dir() else None
        with transaction() as session:
            seal(session)
            problems = verify_chain(session)
            if previous is not None:
                problems += checkpoints.verify(session, previous, signing.public_key())
        for line in problems:
            err.print(f"VIOLATION {line}", markup=False)
        if problems:
            since = f"no longer extend {previous.name}" if previous else "do not hold"
            raise fail(f"the audit chain or the books {since}: no new checkpoint")
        document = checkpoints.take(transaction, signing, now=utcnow())
        written = checkpoints.write(document, out_path)
    except (checkpoints.CheckpointError, KeyFileError) as error:
        raise fail(str(error)) from error
    except OSError as error:
        raise fail(f"cannot write {out_path}: {error.strerror}") from error
    seq = document["audit"]["seq"]
    out.print(f"checkpoint {written}: audit chain at seq {seq}, signed by {document['key_id']}")


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
