"""Signed checkpoints catch what the database alone cannot: a chain re-hashed after an edit,
an emptied audit log, a head set back, rows of the ledger or of usage removed or changed
consistently. Each tampering here is first shown to fool ``verify_ledger`` on its own."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.audit.chain import ORIGIN, Log, caught, rewrite_history, signed
from tests.databases import backend, unprotect
from tests.factories import NOW, Scene
from voucher_service.audit import checkpoint
from voucher_service.audit.checkpoint import Checkpoint
from voucher_service.audit.service import GENESIS, seal
from voucher_service.audit.signing import (
    Note,
    generate_key_pair,
    load_private_key,
    public_path,
)
from voucher_service.audit_log import ENTRIES
from voucher_service.books import verify_ledger
from voucher_service.cli import main
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.monitoring import jobs


def busy_books(scene: Scene, session: Session) -> None:
    for n in range(3):
        assert scene.post(f"c-{n}").status_code == 201
    refused = scene.post("refused", fee_yuan="100.01")
    assert (refused.status_code, refused.json()["outcome"]) == (201, "refused")
    seal(session)


@pytest.fixture
def taken(scene: Scene, session: Session, log: Log) -> checkpoint.Stored:
    """Books with a checkpoint of them, and more activity after it."""
    busy_books(scene, session)
    stored = log.take(session)
    assert stored.checkpoint.size > 5 and stored.checkpoint.marks["ledger_posting"].count > 0
    assert scene.post("after-1").status_code == 201
    seal(session)
    return stored


def test_books_that_extend_their_checkpoint_pass(
    taken: checkpoint.Stored, session: Session, log: Log
) -> None:
    assert verify_ledger(session) == []
    assert checkpoint.check(session, [taken], log.trust) == []
    # The file is a C2SP checkpoint: origin, size, base64 root hash, extension lines, a
    # blank line, then the log's signature line.
    lines = taken.path.read_text().split("\n")
    assert lines[:2] == [ORIGIN, str(taken.checkpoint.size)]
    assert checkpoint._hex(lines[2]) == taken.checkpoint.root
    assert lines[3].startswith("time ") and lines[4] == "previous none"
    assert lines[5].startswith("ledger_posting ") and lines[6].startswith("usage_record ")
    assert lines[7] == "" and lines[8].startswith(f"\u2014 {ORIGIN} ")
    assert checkpoint.read(taken.path) == taken


def test_a_chain_rehashed_after_an_edit_is_caught(
    taken: checkpoint.Stored, session: Session, log: Log
) -> None:
    rewrite_history(session)
    [found] = caught(session, log)
    assert f"entry seq {taken.checkpoint.size} hashes to" in found
    assert "the chain up to it was rewritten" in found


def test_an_emptied_audit_log_is_caught(
    taken: checkpoint.Stored, session: Session, log: Log
) -> None:
    unprotect(session, "audit_entry", "audit_chain_head")
    emptied = (
        "TRUNCATE audit_entry"
        if session.get_bind().dialect.name == "postgresql"
        else ("DELETE FROM audit_entry")
    )
    session.execute(text(emptied))
    session.execute(text("UPDATE audit_chain_head SET seq = 0, hash = :g"), {"g": GENESIS})
    [found] = caught(session, log)
    assert f"its entry seq {taken.checkpoint.size} is gone (the head is at seq 0)" in found


@pytest.mark.parametrize("how", ["set back", "reset and sealed again without an entry"])
def test_a_reset_head_is_caught(
    taken: checkpoint.Stored, session: Session, log: Log, how: str
) -> None:
    seq = taken.checkpoint.size
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
    [found] = caught(session, log)
    assert expected in found


def test_rows_removed_or_changed_since_the_checkpoint_are_caught(
    taken: checkpoint.Stored, session: Session, log: Log
) -> None:
    unprotect(session, "ledger_posting", "usage_record")
    # A refused record has no posting and moves no counter; a memo is checked by nothing.
    session.execute(text("DELETE FROM usage_record WHERE record_id = 'refused'"))
    session.execute(text("UPDATE ledger_posting SET memo = 'nothing to see' WHERE kind = 'fund'"))
    found = caught(session, log)
    assert len(found) == 2, found
    assert "ledger postings: those up to id" in found[0] and "a row was changed" in found[0]
    assert "usage records:" in found[1] and "rows were removed" in found[1]


def test_every_checkpoint_of_the_chain_is_compared(
    scene: Scene, session: Session, log: Log
) -> None:
    """An edit made before the first checkpoint is named against each one that covers it."""
    busy_books(scene, session)
    first = log.take(session)
    assert scene.post("after-1").status_code == 201
    second = log.take(session)
    assert second.checkpoint.previous == checkpoint.text_hash(first.note)
    assert checkpoint.check(session, log.chain(), log.trust) == []
    unprotect(session, "ledger_posting")
    session.execute(text("UPDATE ledger_posting SET memo = 'x' WHERE kind = 'fund'"))
    found = caught(session, log)
    assert [line.split(" (")[0] for line in found] == [
        f"checkpoint {first.path.name}",
        f"checkpoint {second.path.name}",
    ]


def test_a_forged_or_altered_checkpoint_is_refused(
    taken: checkpoint.Stored, session: Session, log: Log, tmp_path: Path
) -> None:
    forged = tmp_path / "forged.txt"

    def refused(made: str) -> str:
        forged.write_text(made)
        try:
            stored = checkpoint.read(forged)
        except checkpoint.CheckpointError as error:
            return str(error)
        [found] = checkpoint.check(session, [stored], log.trust)
        return found

    real = taken.path.read_text()
    size = str(taken.checkpoint.size)
    # Altered: a rewritten chain's length put into the real checkpoint, its signature kept.
    altered = real.replace(f"\n{size}\n", "\n1\n", 1)
    assert "not signed by the log key" in refused(altered)
    # Forged: signed with another key, under the log's name.
    other = Ed25519PrivateKey.generate()
    made = replace(taken.checkpoint, size=1)
    assert "not signed by the log key" in refused(signed(made, other).render())
    # Another log's checkpoint.
    assert "of log 'elsewhere/audit'" in refused(
        signed(replace(made, origin="elsewhere/audit"), other).render()
    )
    assert "not a signed note" in refused("not a note")
    assert "not a checkpoint" in refused(
        signed(made, log.key).render().replace("previous none\n", "")
    )
    assert checkpoint.check(session, [taken], log.trust) == []  # the real one still passes


def test_the_chain_of_checkpoints_shows_a_gap_or_a_fork(
    scene: Scene, session: Session, log: Log
) -> None:
    busy_books(scene, session)
    first, second, third = (log.take(session) for _ in range(3))
    second.path.unlink()
    walked, problems = checkpoint.walk(log.directory)
    assert walked == [first]
    assert problems == [
        f"checkpoint {third.path.name}: the checkpoint it follows is not here (deleted or replaced)"
    ]
    checkpoint.replace(second.path, second.note)
    fork = replace(third.checkpoint, taken_at=third.checkpoint.taken_at.replace(second=30))
    forked = checkpoint.write(signed(fork, log.key), log.directory)
    walked, problems = checkpoint.walk(log.directory)
    assert [s.path for s in walked] == [first.path, second.path, third.path]
    assert problems == [
        f"checkpoints {third.path.name}, {forked.name} all follow the same one: a fork"
    ]


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
    assert written.name.startswith("audit-checkpoint-") and written.suffix == ".txt"

    public = str(public_path(key))
    assert main(["verify", "--checkpoint", str(written), "--public-key", public]) == 0
    assert f"extends 1 checkpoint(s) in one chain, the newest {written.name}" in (
        capsys.readouterr().out
    )
    # The next checkpoint first proves the books extend the newest one in the directory.
    assert main(["create-key", "--role", "auditor", "--name", "after the first"]) == 0
    time.sleep(1.1)  # a name of its own (they are named to the second)
    assert main(["audit", "checkpoint", "--out", str(store)]) == 0
    first, second = sorted(store.iterdir())
    assert first == written
    assert main(["verify", "--checkpoint", str(store)]) == 0  # every one; the key's setting
    said = capsys.readouterr().out
    assert f"extends 2 checkpoint(s) in one chain, the newest {second.name}" in said
    assert checkpoint.read(second).checkpoint.previous == checkpoint.text_hash(
        checkpoint.read(first).note
    )

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
    # Both outcomes are recorded for /metrics (VoucherCheckpointOld watches the success).
    with transaction() as session:
        [run] = jobs.latest(session)
    assert run.job == "checkpoint" and run.last_success_at and run.last_failure_at
    assert run.last_failure_at > run.last_success_at

    os.chmod(key, 0o644)
    assert main(["audit", "checkpoint", "--out", str(store)]) == 1
    assert "open to others" in capsys.readouterr().err


@pytest.mark.rogue_writes
@pytest.mark.skipif(backend() != "postgresql", reason="SQLite has one writer: ids commit in order")
def test_a_checkpoint_waits_for_rows_that_commit_late(
    scratch_database: str, tmp_path: Path
) -> None:
    """On PostgreSQL a transaction that took id 1 may commit after one that took id 2. The
    checkpoint covers ids up to 2 only once the first has ended, so it counts both and a
    later verify does not mistake the late row for one inserted under an old id."""
    dsn = scratch_database.replace("postgresql+psycopg://", "postgresql://")
    posting = (
        "INSERT INTO ledger_posting (kind, from_account, to_account, amount_fen, memo, "
        "created_at) VALUES ('settle', 'payable:1', 'paid:1', 1, %s, now())"
    )
    key_file = tmp_path / "checkpoint.key"
    generate_key_pair(key_file)
    engine = create_db_engine(scratch_database)
    try:
        with psycopg.connect(dsn) as late, psycopg.connect(dsn, autocommit=True) as early:
            late.execute(posting, ("late",))  # id 1, not committed yet
            early.execute(posting, ("early",))  # id 2, committed
            taken: list[Note] = []
            worker = threading.Thread(
                target=lambda: taken.append(
                    checkpoint.take(
                        lambda: transaction(engine),
                        load_private_key(key_file),
                        now=NOW,
                        origin=ORIGIN,
                    )
                )
            )
            worker.start()
            worker.join(timeout=1.0)
            assert worker.is_alive(), "the checkpoint did not wait for the open transaction"
            late.commit()
            worker.join(timeout=30)
        [note] = taken
        made = Checkpoint.from_text(note.text)
        assert made.marks["ledger_posting"] == checkpoint.Mark(
            2, 2, made.marks["ledger_posting"].sha256
        )
        with Session(engine) as session:
            assert checkpoint.compare(session, made) == []
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
