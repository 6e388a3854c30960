"""The audit commands' work (the command line parses the arguments and opens sessions; this
does the rest): samples for a third-party audit, checkpoints and their witness, and the
checkpoints' part of ``verify``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from voucher_service.audit import checkpoint as checkpoints
from voucher_service.audit import sampling, witness
from voucher_service.audit.checkpoint import Stored, Transaction, Trust
from voucher_service.audit.sample_export import sample_csv, sample_xlsx
from voucher_service.audit.service import seal, verify_chain
from voucher_service.audit.signing import Verifier
from voucher_service.monitoring import jobs
from voucher_service.monitoring.jobs import Job


def sample(
    session: Session,
    *,
    seed: int,
    n: int,
    out_path: Path,
    program: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> str:
    """Draw the sample and write it to ``out_path`` (``.xlsx``, else CSV); say what was drawn."""
    found = sampling.sample(session, sampling.SampleSpec(seed, n, program, date_from, date_to))
    as_xlsx = out_path.suffix.lower() == ".xlsx"
    out_path.write_bytes(sample_xlsx(found) if as_xlsx else sample_csv(found))
    return f"wrote {out_path}: {len(found.items)} of {found.population} priced records, seed {seed}"


@dataclass(frozen=True)
class WitnessSite:
    """A witness as the log sees it: where it answers, and the key it cosigns with."""

    source: str
    verifier: Verifier


class Refused(Exception):
    """The books or the checkpoints do not hold: no new checkpoint vouches for them."""

    def __init__(self, problems: list[str], since: str) -> None:
        super().__init__(since)
        self.problems = problems


@dataclass
class CheckpointRun:
    written: Path
    stored: Stored
    cosigned: list[Path] = field(default_factory=list)


def take_checkpoint(
    transaction: Transaction,
    out: Path,
    key: Ed25519PrivateKey,
    *,
    origin: str,
    now: datetime,
    site: WitnessSite | None = None,
) -> CheckpointRun:
    """Seal; check that the chain holds, that the checkpoints in ``out`` (a directory) form
    one chain and that the books still extend the newest; write a new checkpoint naming it;
    then ask the witness to cosign every checkpoint it has not cosigned yet, in order.

    ``Refused`` when the books or the checkpoints do not hold (nothing is written);
    ``witness.WitnessError`` when the witness refuses or cannot be reached (the checkpoint
    is written, uncosigned: the next run asks again)."""
    chain, problems = checkpoints.walk(out) if out.is_dir() else ([], [])
    trust = Trust(Verifier(origin, key.public_key()))
    with transaction() as session:
        seal(session)
        problems += verify_chain(session)
        problems += checkpoints.check(session, chain[-1:], trust)
    if problems:
        with transaction() as session:
            jobs.record(session, Job.CHECKPOINT, ok=False, now=now)
        since = f"no longer extend {chain[-1].path.name}" if chain else "do not hold"
        raise Refused(problems, since)
    previous = chain[-1].note if chain else None
    note = checkpoints.take(transaction, key, now=now, origin=origin, previous=previous)
    written = checkpoints.write(note, out)
    stored = checkpoints.read(written)
    with transaction() as session:  # for /metrics: the checkpoint alert watches its age
        jobs.record(session, Job.CHECKPOINT, ok=True, now=now)
    run = CheckpointRun(written, stored)
    if site is not None:
        run.cosigned = cosign_pending(transaction, [*chain, stored], site)
    return run


def cosign_pending(transaction: Transaction, chain: list[Stored], site: WitnessSite) -> list[Path]:
    """Send the witness each checkpoint of ``chain`` it has not cosigned, oldest first, with
    the audit entries between its latest and that one; add each cosignature to its file."""
    held = witness.fetch_latest(site.source)
    size = checkpoints.Checkpoint.from_text(held.text).size if held is not None else 0
    done = []
    for stored in chain:
        if witness.cosigned_by(stored.note, site.verifier) or stored.checkpoint.size < size:
            continue
        with transaction() as session:
            entries = list(checkpoints.chain_entries(session, size, stored.checkpoint.size))
        line = witness.submit(site.source, witness.request_body(size, entries, stored.note))
        checkpoints.replace(stored.path, stored.note.with_signature(line))
        size = stored.checkpoint.size
        done.append(stored.path)
    return done


def verify_checkpoints(
    session: Session, given: list[Path], trust: Trust, *, witness_source: str | None
) -> tuple[list[str], list[Stored]]:
    """Every checkpoint of each directory in ``given`` (in chain order) or each file: signed
    by the log, cosigned by the witness when one is trusted, extended by the books; and the
    witness's latest among them. Returns the problems and the checkpoints walked."""
    problems: list[str] = []
    chain: list[Stored] = []
    for path in given:
        try:
            if path.is_dir():
                walked, broken = checkpoints.walk(path)
                chain += walked
                problems += broken
            else:
                chain.append(checkpoints.read(path))
        except checkpoints.CheckpointError as error:
            problems.append(f"checkpoint {error}")
    latest = witness.fetch_latest(witness_source) if witness_source else None
    if witness_source and latest is None and chain:
        problems.append(f"the witness at {witness_source} holds no checkpoint of this log")
    problems += checkpoints.check(session, chain, trust, witness_latest=latest)
    return problems, chain
