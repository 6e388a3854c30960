"""A log of checkpoints for the tests: signed with a test key, written into a directory, and
cosigned by a witness of its own, all inside the test's transaction."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from tests.databases import unprotect
from tests.factories import NOW
from voucher_service.audit import checkpoint, witness
from voucher_service.audit.checkpoint import Stored, Trust
from voucher_service.audit.commands import WitnessSite, cosign_pending
from voucher_service.audit.service import GENESIS, entry_hash, seal
from voucher_service.audit.signing import Note, Verifier, parse_note, sign_note
from voucher_service.audit_log import ENTRIES
from voucher_service.books import verify_ledger

ORIGIN = "test.example/audit"


def signed(made: checkpoint.Checkpoint, key: Ed25519PrivateKey) -> Note:
    """A checkpoint signed as the log signs it (the stolen key signs the same way)."""
    text = made.text()
    return parse_note(text + "\n" + sign_note(text, made.origin, key))


@dataclass
class Log:
    key: Ed25519PrivateKey
    directory: Path
    witness: witness.Witness | None = None
    taken: int = field(default=0)

    @property
    def verifier(self) -> Verifier:
        return Verifier(ORIGIN, self.key.public_key())

    @property
    def trust(self) -> Trust:
        return Trust(self.verifier, self.witness.verifier if self.witness else None)

    def chain(self) -> list[Stored]:
        walked, problems = checkpoint.walk(self.directory)
        assert problems == []
        return walked

    def take(self, session: Session, *, cosign: bool = True) -> Stored:
        """Seal, checkpoint the books as the session sees them (naming the newest
        checkpoint), and have the witness cosign it."""
        seal(session)
        walked = self.chain()
        self.taken += 1
        made = checkpoint.state(
            session,
            checkpoint.allocated(session),
            taken_at=NOW + timedelta(minutes=self.taken),
            origin=ORIGIN,
            previous=walked[-1].note if walked else None,
        )
        path = checkpoint.write(signed(made, self.key), self.directory)
        if cosign and self.witness is not None:
            self.cosign(session, [checkpoint.read(path)])
        return checkpoint.read(path)

    def cosign(self, session: Session, stored: list[Stored]) -> list[Path]:
        assert self.witness is not None
        site = WitnessSite(str(self.witness.directory), self.witness.verifier)
        return cosign_pending(lambda: nullcontext(session), stored, site)

    def latest(self) -> Note | None:
        assert self.witness is not None
        return witness.latest(self.witness.directory)


def caught(session: Session, log: Log, chain: list[Stored] | None = None) -> list[str]:
    """Tampering that fools ``verify`` on its own; what the checkpoints find."""
    assert verify_ledger(session) == [], "the tampering should fool verify on its own"
    latest = log.latest() if log.witness is not None else None
    found = checkpoint.check(
        session, log.chain() if chain is None else chain, log.trust, witness_latest=latest
    )
    assert found, "the checkpoints did not catch it"
    return found


def rechain(session: Session, from_seq: int) -> None:
    """What an attacker with the database does after an edit: recompute every hash from
    the edited entry on with the project's own ``entry_hash``, and move the head."""
    previous = session.scalar(select(ENTRIES.c.hash).where(ENTRIES.c.seq == from_seq - 1))
    previous = previous or GENESIS
    rows = session.execute(
        select(ENTRIES).where(ENTRIES.c.seq >= from_seq).order_by(ENTRIES.c.seq)
    ).all()
    for row in rows:
        digest = entry_hash(previous, row.seq, row)
        session.execute(
            update(ENTRIES).where(ENTRIES.c.id == row.id).values(prev_hash=previous, hash=digest)
        )
        previous = digest
    session.execute(text("UPDATE audit_chain_head SET hash = :h"), {"h": previous})


def rewrite_history(session: Session) -> None:
    """An issuance's audit entry edited and the chain re-hashed after it, as whoever holds
    the database (and can switch its triggers off) would."""
    unprotect(session, "audit_entry", "audit_chain_head")
    target = session.execute(
        select(ENTRIES.c.id, ENTRIES.c.seq).where(ENTRIES.c.action == "voucher.issue")
    ).one()
    session.execute(
        update(ENTRIES).where(ENTRIES.c.id == target.id).values(after='{"face_value_fen": 1}')
    )
    rechain(session, target.seq)
