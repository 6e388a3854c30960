"""``witness``: the independent cosigner of audit checkpoints, run by the third-party auditor
with its own key and its own storage (audit/witness.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voucher_service.cli.common import fail, out

if TYPE_CHECKING:
    from voucher_service.audit.witness import Witness

app = typer.Typer(
    help="The witness that cosigns audit checkpoints (run by the auditor, not the operator).",
    no_args_is_help=True,
)

State = Annotated[
    Path,
    typer.Option(
        "--state",
        metavar="DIR",
        help="The witness's own directory: its key and every checkpoint it cosigned. Keep "
        "it where the service's operators cannot write.",
    ),
]


def _open(state: Path) -> Witness:
    from voucher_service.audit.witness import WitnessError, open_witness

    try:
        return open_witness(state)
    except WitnessError as error:
        raise fail(str(error), code=2) from error


@app.command()
def init(
    state: State,
    name: Annotated[
        str,
        typer.Option(help="The witness's name on its cosignatures, e.g. auditor.example/witness."),
    ],
    log: Annotated[
        str,
        typer.Option(
            metavar="VKEY",
            help="The log's verifier key, as `audit keygen` prints it: only checkpoints "
            "signed by it are cosigned.",
        ),
    ],
) -> None:
    """Make the witness: a new Ed25519 key in DIR, and the log it follows.

    Prints the witness's verifier key: the operator sets it as VOUCHER_WITNESS_VKEY, and
    whoever runs `verify` trusts it. A witness is never made twice in one directory."""
    from voucher_service.audit.signing import KeyFileError, NoteError, Verifier
    from voucher_service.audit.witness import WitnessError
    from voucher_service.audit.witness import init as make

    try:
        made = make(state, name=name, log=Verifier.parse(log))
    except (WitnessError, NoteError, KeyFileError, OSError) as error:
        raise fail(str(error)) from error
    out.print(f"witness {name} in {state}; its verifier key: {made.vkey()}", markup=False)


@app.command()
def show(state: State) -> None:
    """Say who the witness is, which log it follows and the latest checkpoint it cosigned
    (printed whole: compare it with the operator's newest)."""
    from voucher_service.audit.checkpoint import Checkpoint
    from voucher_service.audit.witness import latest

    witness = _open(state)
    out.print(f"witness {witness.name}: {witness.verifier.vkey()}", markup=False)
    out.print(f"follows the log {witness.log.vkey()}", markup=False)
    held = latest(state)
    if held is None:
        out.print("no checkpoint cosigned yet", markup=False)
        return
    out.print(f"latest cosigned: {Checkpoint.from_text(held.text).label}", markup=False)
    out.print(held.render(), markup=False, end="")


@app.command()
def cosign(
    state: State,
    request: Annotated[
        Path,
        typer.Option(
            metavar="FILE",
            help="The request: 'old <size>', the audit entries since, a blank line, the "
            "checkpoint ('-': standard input).",
        ),
    ],
) -> None:
    """Cosign a checkpoint if the audit chain grew by appending since the latest one the
    witness cosigned: recompute the chain from that head over the entries given, which
    must end at the new checkpoint's head. Prints the cosignature line; exit 1 and why if
    it is refused (history rewritten, not signed by the log, another starting size)."""
    from voucher_service.audit.witness import WitnessError, add_checkpoint

    witness = _open(state)
    text = sys.stdin.read() if str(request) == "-" else request.read_text()
    try:
        line = add_checkpoint(witness, text)
    except WitnessError as error:
        raise fail(f"refused: {error}") from error
    out.print(line, markup=False, end="")


@app.command()
def serve(
    state: State,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    name: Annotated[
        str | None,
        typer.Option(help="The witness's name, for --log."),
    ] = None,
    log: Annotated[
        str | None,
        typer.Option(
            metavar="VKEY",
            help="Make the witness first if DIR holds none (as `init`, with --name), following "
            "this log; if it holds one, check it follows this log.",
        ),
    ] = None,
) -> None:
    """Serve the witness over HTTP: POST /add-checkpoint (a request as for `cosign`; the
    answer is the cosignature), GET /latest, GET /healthz.

    One request at a time, each read cut off after 30 s. With --name and --log, a
    container makes its witness at the first start and checks it is the same at the next."""
    from voucher_service.audit.witness import serve as run

    if log:  # empty: a witness made before (a container's unset variable)
        if not name:
            raise fail("--log needs --name", code=2)
        init(state, name=name, log=log)
    witness = _open(state)
    out.print(f"witness {witness.name} on http://{host}:{port}", markup=False)
    out.file.flush()
    run(witness, host, port)
