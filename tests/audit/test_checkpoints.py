"""Signed checkpoints catch what the database alone cannot: a chain re-hashed after an edit,
an emptied audit log, a head set back, rows of the ledger or of usage removed or changed
consistently. Each tampering here is first shown to fool ``verify_ledger`` on its own."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from tests.conftest import NOW
from tests.databases import backend, unprotect
from tests.usage.conftest import Scene
from voucher_service.audit import checkpoint
from voucher_service.audit.service import GENESIS, entry_hash, seal
from voucher_service.audit.signing import (
    canonical,
    generate_key_pair,
    load_private_key,
    load_public_key,
    public_path,
    sign,
)
from voucher_service.audit_log import ENTRIES
from voucher_service.cli import main
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.ledger.verify import verify_ledger


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoint.key"
    generate_key_pair(path)
    return path


@pytest.fixture
def public(key_file: Path) -> Ed25519PublicKey:
    return load_public_key(public_path(key_file))


def take(session: Session, key_file: Path, out: Path) -> dict[str, Any]:
    """Seal, then write a signed checkpoint of the books as the session sees them."""
    seal(session)
    state = checkpoint.state(session, checkpoint.allocated(session), taken_at=NOW)
    document = sign(state, load_private_key(key_file))
    checkpoint.write(document, out)
    return document


def busy_books(scene: Scene, session: Session) -> None:
    for n in range(3):
        assert scene.post(f"c-{n}").status_code == 201
    refused = scene.post("refused", fee_yuan="100.01")
    assert (refused.status_code, refused.json()["outcome"]) == (201, "refused")
    seal(session)


@pytest.fixture
def taken(
    scene: Scene, session: Session, key_file: Path, tmp_path: Path
) -> tuple[Path, dict[str, Any]]:
    """Books with a checkpoint of them, and more activity after it."""
    busy_books(scene, session)
    path = tmp_path / "checkpoint.json"
    document = take(session, key_file, path)
    assert document["audit"]["seq"] > 5 and document["ledger_posting"]["count"] > 0
    assert scene.post("after-1").status_code == 201
    seal(session)
    return path, document


def caught(session: Session, path: Path, public: Ed25519PublicKey) -> list[str]:
    """Tampering that fools ``verify`` on its own; the checkpoint's findings."""
    assert verify_ledger(session) == [], "the tampering should fool verify on its own"
    found = checkpoint.verify(session, path, public)
    assert found, "the checkpoint did not catch it"
    return found


def test_books_that_extend_their_checkpoint_pass(
    taken: tuple[Path, dict[str, Any]], session: Session, public: Ed25519PublicKey
) -> None:
    path, document = taken
    assert verify_ledger(session) == []
    assert checkpoint.verify(session, path, public) == []
    # The file is what was signed, and says what an operator would look for.
    on_disk = json.loads(path.read_text())
    assert on_disk == document and on_disk["key_id"].startswith("ed25519:")
    assert set(on_disk) >= {"audit", "ledger_posting", "usage_record", "taken_at", "signature"}


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


def test_a_chain_rehashed_after_an_edit_is_caught(
    taken: tuple[Path, dict[str, Any]], session: Session, public: Ed25519PublicKey
) -> None:
    path, document = taken
    unprotect(session, "audit_entry", "audit_chain_head")
    target = session.execute(
        select(ENTRIES.c.id, ENTRIES.c.seq).where(ENTRIES.c.action == "voucher.issue")
    ).one()
    session.execute(
        update(ENTRIES).where(ENTRIES.c.id == target.id).values(after='{"face_value_fen": 1}')
    )
    rechain(session, target.seq)
    [found] = caught(session, path, public)
    assert f"entry seq {document['audit']['seq']} hashes to" in found
    assert "the chain up to it was rewritten" in found


def test_an_emptied_audit_log_is_caught(
    taken: tuple[Path, dict[str, Any]], session: Session, public: Ed25519PublicKey
) -> None:
    path, document = taken
    unprotect(session, "audit_entry", "audit_chain_head")
    emptied = (
        "TRUNCATE audit_entry"
        if session.get_bind().dialect.name == "postgresql"
        else ("DELETE FROM audit_entry")
    )
    session.execute(text(emptied))
    session.execute(text("UPDATE audit_chain_head SET seq = 0, hash = :g"), {"g": GENESIS})
    [found] = caught(session, path, public)
    assert f"its entry seq {document['audit']['seq']} is gone (the head is at seq 0)" in found


@pytest.mark.parametrize("how", ["set back", "reset and sealed again without an entry"])
def test_a_reset_head_is_caught(
    taken: tuple[Path, dict[str, Any]], session: Session, public: Ed25519PublicKey, how: str
) -> None:
    path, document = taken
    seq = document["audit"]["seq"]
    unprotect(session, "audit_entry", "audit_chain_head")
    if how == "set back":
        # The chain cut short before the checkpoint's position: the last entries are gone.
        keep = seq - 3
        session.execute(text("DELETE FROM audit_entry WHERE seq > :k"), {"k": keep})
        hash_kept = session.scalar(select(ENTRIES.c.hash).where(ENTRIES.c.seq == keep))
        session.execute(
            text("UPDATE audit_chain_head SET seq = :k, hash = :h"), {"k": keep, "h": hash_kept}
        )
        expected = f"its entry seq {seq} is gone (the head is at seq {keep})"
    else:
        # One entry removed, every entry unsealed, the head back at the start, sealed anew:
        # a chain as sound as the first, one entry shorter.
        session.execute(text("DELETE FROM audit_entry WHERE action = 'redemption.create'"))
        session.execute(text("UPDATE audit_entry SET seq = NULL, prev_hash = NULL, hash = NULL"))
        session.execute(text("UPDATE audit_chain_head SET seq = 0, hash = :g"), {"g": GENESIS})
        assert seal(session) > 0
        expected = f"entry seq {seq} hashes to"
    [found] = caught(session, path, public)
    assert expected in found


def test_rows_removed_or_changed_since_the_checkpoint_are_caught(
    taken: tuple[Path, dict[str, Any]], session: Session, public: Ed25519PublicKey
) -> None:
    path, _ = taken
    unprotect(session, "ledger_posting", "usage_record")
    # A refused record has no posting and moves no counter; a memo is checked by nothing.
    session.execute(text("DELETE FROM usage_record WHERE record_id = 'refused'"))
    session.execute(text("UPDATE ledger_posting SET memo = 'nothing to see' WHERE kind = 'fund'"))
    found = caught(session, path, public)
    assert len(found) == 2, found
    assert "ledger postings: those up to id" in found[0] and "a row was changed" in found[0]
    assert "usage records:" in found[1] and "rows were removed" in found[1]


def test_a_forged_or_altered_checkpoint_is_refused(
    taken: tuple[Path, dict[str, Any]],
    session: Session,
    public: Ed25519PublicKey,
    tmp_path: Path,
) -> None:
    path, document = taken
    forged = tmp_path / "forged.json"

    def refused(made: dict[str, Any] | str) -> str:
        forged.write_text(made if isinstance(made, str) else json.dumps(made))
        [found] = checkpoint.verify(session, forged, public)
        return found

    # Altered: a rewritten chain's head put into the real checkpoint, its signature kept.
    altered = {**document, "audit": {"seq": 1, "hash": "0" * 64}}
    assert "its signature does not match its content" in refused(altered)
    # Forged: signed with another key, under that key's id or claiming the real one.
    other = Ed25519PrivateKey.generate()
    assert "signed by key 'ed25519:" in refused(sign(altered, other))
    claimed = {**sign(altered, other), "key_id": document["key_id"]}
    assert "its signature does not match its content" in refused(claimed)
    # The signature covers every field but itself.
    assert canonical(document) == canonical({**document, "signature": "x"})
    assert "not JSON" in refused("{not json")
    assert "is not a checkpoint" in refused(json.dumps({"kind": "something else"}))
    assert "missing or malformed" in refused({**document, "ledger_posting": {"count": 1}})
    assert checkpoint.verify(session, path, public) == []  # the real one still passes


def test_the_command_line_makes_keys_takes_checkpoints_and_verifies_them(
    cli_database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = tmp_path / "keys" / "checkpoint.key"
    key.parent.mkdir()
    assert main(["audit", "keygen", "--out", str(key)]) == 0
    assert "private key" in capsys.readouterr().out
    assert key.stat().st_mode & 0o777 == 0o600
    assert main(["audit", "keygen", "--out", str(key)]) == 1  # never overwritten
    assert "exists" in capsys.readouterr().err

    assert main(["demo", "--today", "2026-06-15"]) == 0
    store = tmp_path / "checkpoints"
    store.mkdir()
    assert main(["audit", "checkpoint", "--out", str(store)]) == 2  # no key given or set
    monkeypatch.setenv("VOUCHER_CHECKPOINT_KEY", str(key))
    from voucher_service.config import get_settings

    get_settings.cache_clear()
    capsys.readouterr()
    assert main(["audit", "checkpoint", "--out", str(store)]) == 0
    assert "audit chain at seq" in capsys.readouterr().out
    [written] = list(store.iterdir())
    assert written.name.startswith("audit-checkpoint-") and written.suffix == ".json"

    public = str(public_path(key))
    assert main(["verify", "--checkpoint", str(written), "--public-key", public]) == 0
    assert f"extends checkpoint {written.name}" in capsys.readouterr().out
    # The next checkpoint first proves the books extend the newest one in the directory.
    assert main(["create-key", "--role", "auditor", "--name", "after the first"]) == 0
    time.sleep(1.1)  # a name of its own (they are named to the second)
    assert main(["audit", "checkpoint", "--out", str(store)]) == 0
    first, second = sorted(store.iterdir())
    assert first == written
    assert main(["verify", "--checkpoint", str(store)]) == 0  # the newest; the key's setting
    assert f"extends checkpoint {second.name}" in capsys.readouterr().out

    with transaction() as session:
        unprotect(session, "ledger_posting")
        session.execute(text("UPDATE ledger_posting SET memo = 'x' WHERE kind = 'fund'"))
    assert main(["verify", "--checkpoint", str(first), "--public-key", public]) == 1
    err = capsys.readouterr().err
    assert f"VIOLATION checkpoint {first.name}" in err and "ledger postings:" in err
    # No new checkpoint vouches for the books once they no longer extend the last one.
    assert main(["audit", "checkpoint", "--out", str(store)]) == 1
    assert "no longer extend" in capsys.readouterr().err
    assert sorted(store.iterdir()) == [first, second]

    os.chmod(key, 0o644)
    assert main(["audit", "checkpoint", "--out", str(store)]) == 1
    assert "open to others" in capsys.readouterr().err


@pytest.mark.rogue_writes
@pytest.mark.skipif(backend() != "postgresql", reason="SQLite has one writer: ids commit in order")
def test_a_checkpoint_waits_for_rows_that_commit_late(
    scratch_database: str, key_file: Path
) -> None:
    """On PostgreSQL a transaction that took id 1 may commit after one that took id 2. The
    checkpoint covers ids up to 2 only once the first has ended, so it counts both and a
    later verify does not mistake the late row for one inserted under an old id."""
    dsn = scratch_database.replace("postgresql+psycopg://", "postgresql://")
    posting = (
        "INSERT INTO ledger_posting (kind, from_account, to_account, amount_fen, memo, "
        "created_at) VALUES ('settle', 'payable:1', 'paid:1', 1, %s, now())"
    )
    engine = create_db_engine(scratch_database)
    try:
        with psycopg.connect(dsn) as late, psycopg.connect(dsn, autocommit=True) as early:
            late.execute(posting, ("late",))  # id 1, not committed yet
            early.execute(posting, ("early",))  # id 2, committed
            taken: list[dict[str, Any]] = []
            worker = threading.Thread(
                target=lambda: taken.append(
                    checkpoint.take(
                        lambda: transaction(engine), load_private_key(key_file), now=NOW
                    )
                )
            )
            worker.start()
            worker.join(timeout=1.0)
            assert worker.is_alive(), "the checkpoint did not wait for the open transaction"
            late.commit()
            worker.join(timeout=30)
        [document] = taken
        assert (document["ledger_posting"]["last_id"], document["ledger_posting"]["count"]) == (
            2,
            2,
        )
        with Session(engine) as session:
            assert checkpoint.compare(session, document) == []
    finally:
        engine.dispose()


def test_no_checkpoint_vouches_for_a_broken_chain(
    cli_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "checkpoint.key"
    generate_key_pair(key)
    assert main(["demo", "--today", "2026-06-15"]) == 0
    assert main(["audit", "seal"]) == 0
    with transaction() as session:
        unprotect(session, "audit_entry")
        session.execute(text("UPDATE audit_entry SET actor = 'nobody' WHERE seq = 3"))
    store = tmp_path / "checkpoints"
    store.mkdir()
    capsys.readouterr()
    assert main(["audit", "checkpoint", "--out", str(store), "--key", str(key)]) == 1
    err = capsys.readouterr().err
    assert "VIOLATION audit entry id" in err and "do not hold: no new checkpoint" in err
    assert list(store.iterdir()) == []
