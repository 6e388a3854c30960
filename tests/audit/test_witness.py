"""The witness: it cosigns a checkpoint only if the audit chain grew by appending since the
last one it cosigned, and keeps what it cosigned; so a checkpoint signed with a stolen log
key, deleted newest checkpoints and a truncated log are each found."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.audit.chain import Log, caught, rewrite_history
from tests.audit.test_checkpoints import busy_books
from tests.databases import unprotect
from tests.factories import Scene
from voucher_service.audit import checkpoint, witness
from voucher_service.audit.signing import COSIGNATURE, note_cosigned_by, parse_note
from voucher_service.cli import main
from voucher_service.config import get_settings


def entries(session: Session, after: int, up_to: int) -> list[dict[str, object]]:
    return list(checkpoint.chain_entries(session, after, up_to))


@pytest.fixture
def two(scene: Scene, session: Session, witnessed: Log) -> tuple[checkpoint.Stored, ...]:
    """Two checkpoints, each cosigned, with activity between them."""
    busy_books(scene, session)
    first = witnessed.take(session)
    assert scene.post("after-1").status_code == 201
    second = witnessed.take(session)
    assert first.checkpoint.size < second.checkpoint.size
    return first, second


def test_the_witness_cosigns_a_chain_that_grew_and_keeps_what_it_cosigned(
    two: tuple[checkpoint.Stored, ...], session: Session, witnessed: Log
) -> None:
    first, second = two
    assert witnessed.witness is not None
    verifier = witnessed.witness.verifier
    assert verifier.kind == COSIGNATURE and verifier.vkey().startswith("auditor.test/witness+")
    for stored in two:
        assert note_cosigned_by(stored.note, verifier.name, verifier.public) is not None
    assert witnessed.latest() == second.note
    kept = sorted((witnessed.witness.directory / witness.COSIGNED).iterdir())
    assert [checkpoint.Checkpoint.from_text(parse_note(p.read_text()).text).size for p in kept] == [
        first.checkpoint.size,
        second.checkpoint.size,
    ]
    found = checkpoint.check(
        session, witnessed.chain(), witnessed.trust, witness_latest=witnessed.latest()
    )
    assert found == []
    # Asked again with nothing new: the same head, cosigned again, nothing else changes.
    again = witness.request_body(second.checkpoint.size, [], second.note)
    assert witness.add_checkpoint(witnessed.witness, again).startswith(
        "\u2014 auditor.test/witness "
    )


def test_a_checkpoint_signed_with_the_stolen_log_key_is_found(
    two: tuple[checkpoint.Stored, ...], session: Session, witnessed: Log
) -> None:
    """Whoever holds the database and the log key rewrites an entry, re-hashes the chain
    and signs a checkpoint of it: the witness refuses it, and verify finds it uncosigned."""
    first, second = two
    rewrite_history(session)
    forged = witnessed.take(session, cosign=False)
    with pytest.raises(witness.Inconsistent, match="history was rewritten"):
        witnessed.cosign(session, [forged])
    found = caught(session, witnessed)
    assert any(
        f"checkpoint {forged.path.name}: no valid cosignature of witness" in f for f in found
    )
    assert any(f"checkpoint {first.path.name}" in f and "hashes to" in f for f in found)

    # The same, every earlier checkpoint thrown away and a new chain begun from the forgery.
    for stored in witnessed.chain():
        stored.path.unlink()
    witnessed.take(session, cosign=False)
    found = caught(session, witnessed)
    assert any("the witness's latest checkpoint" in f and "is not among" in f for f in found)
    assert any("checkpoint (the witness's latest)" in f and "hashes to" in f for f in found)


def test_a_deleted_newest_checkpoint_and_a_truncated_log_are_found(
    two: tuple[checkpoint.Stored, ...], session: Session, witnessed: Log
) -> None:
    first, second = two
    second.path.unlink()
    [found] = caught(session, witnessed)
    assert f"the witness's latest checkpoint ({second.checkpoint.label}) is not among" in found
    # And the log cut back to the first checkpoint's length, its head with it.
    unprotect(session, "audit_entry", "audit_chain_head")
    keep = first.checkpoint.size
    session.execute(text("DELETE FROM audit_entry WHERE seq > :k"), {"k": keep})
    session.execute(
        text("UPDATE audit_chain_head SET seq = :k, hash = :h"),
        {"k": keep, "h": first.checkpoint.root},
    )
    found = caught(session, witnessed)
    assert any(f"its entry seq {second.checkpoint.size} is gone" in f for f in found)


def test_the_witness_refuses_what_does_not_extend_its_latest(
    scene: Scene, session: Session, witnessed: Log
) -> None:
    busy_books(scene, session)
    first = witnessed.take(session)
    assert scene.post("after-1").status_code == 201
    second = witnessed.take(session, cosign=False)
    w, old, new = witnessed.witness, first.checkpoint.size, second.checkpoint.size
    assert w is not None
    between = entries(session, old, new)
    with pytest.raises(witness.WrongOldSize) as wrong:
        witness.add_checkpoint(w, witness.request_body(0, entries(session, 0, new), second.note))
    assert wrong.value.size == old
    with pytest.raises(witness.Inconsistent, match="entries given"):
        witness.add_checkpoint(w, witness.request_body(old, between[1:], second.note))
    altered = [dict(e) for e in between]
    altered[0]["content"] = [*altered[0]["content"][:-1], '{"face_value_fen": 1}']
    with pytest.raises(witness.Inconsistent, match="history was rewritten"):
        witness.add_checkpoint(w, witness.request_body(old, altered, second.note))
    unsigned = parse_note(second.note.text + "\n\u2014 test.example/audit AAAAAAAA\n")
    with pytest.raises(witness.NotSignedByLog):
        witness.add_checkpoint(w, witness.request_body(old, between, unsigned))
    with pytest.raises(witness.WitnessError, match="a request starts with"):
        witness.add_checkpoint(w, "no request")
    # The right entries: cosigned; then the older checkpoint again is a chain that shrank.
    witness.add_checkpoint(w, witness.request_body(old, between, second.note))
    with pytest.raises(witness.Inconsistent, match="shrank"):
        witness.add_checkpoint(w, witness.request_body(new, [], first.note))
    assert witnessed.latest() is not None and witnessed.latest().text == second.note.text  # type: ignore[union-attr]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A witness directory and the URL its HTTP server answers on (once initialised)."""
    state = tmp_path / "witness"
    holder: dict[str, object] = {}

    def start() -> str:
        server = witness.make_server(witness.open_witness(state), "127.0.0.1", 0)
        holder["server"] = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}"

    holder["start"] = start
    yield state, start  # type: ignore[misc]
    server = holder.get("server")
    if server is not None:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]


def test_the_command_line_with_a_witness_over_http(
    cli_database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    served: tuple[Path, object],
) -> None:
    state, start = served
    key = tmp_path / "checkpoint.key"
    assert main(["audit", "keygen", "--out", str(key)]) == 0
    log_vkey = capsys.readouterr().out.split("for the witness: ")[1].strip()
    assert (
        main(
            [
                "witness",
                "init",
                "--state",
                str(state),
                "--name",
                "auditor.test/w",
                "--log",
                log_vkey,
            ]
        )
        == 0
    )
    witness_vkey = capsys.readouterr().out.split("its verifier key: ")[1].strip()
    # Made again as it is (a container's start): nothing changes; as another, refused.
    args = ["witness", "init", "--state", str(state), "--name", "auditor.test/w", "--log"]
    assert main([*args, log_vkey]) == 0
    assert capsys.readouterr().out.split("its verifier key: ")[1].strip() == witness_vkey
    assert (
        main(["witness", "init", "--state", str(state), "--name", "again", "--log", log_vkey]) == 1
    )
    url = start()  # type: ignore[operator]
    for name, value in {
        "VOUCHER_CHECKPOINT_KEY": str(key),
        "VOUCHER_WITNESS_URL": url,
        "VOUCHER_WITNESS_VKEY": witness_vkey,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()

    assert main(["demo", "--today", "2026-06-15"]) == 0
    store = tmp_path / "checkpoints"
    store.mkdir()
    capsys.readouterr()
    assert main(["audit", "checkpoint", "--out", str(store)]) == 0
    assert "cosigned by the witness" in capsys.readouterr().out
    assert main(["create-key", "--role", "auditor", "--name", "after the first"]) == 0
    time.sleep(1.1)  # a name of its own (they are named to the second)
    assert main(["audit", "checkpoint", "--out", str(store)]) == 0
    first, second = sorted(store.iterdir())
    capsys.readouterr()
    assert main(["verify", "--checkpoint", str(store)]) == 0
    said = capsys.readouterr().out
    assert "extends 2 checkpoint(s) in one chain" in said
    assert "each cosigned by auditor.test/w, the latest the witness holds" in said
    assert main(["witness", "show", "--state", str(state)]) == 0
    assert second.read_text().split("\n\n")[0] in capsys.readouterr().out

    # Over HTTP, a request from another size is refused with the witness's size.
    note = checkpoint.read(second).note
    with pytest.raises(witness.WitnessError, match=r"refused \(409\)"):
        witness.submit(url, witness.request_body(0, [], note))
    bad = tmp_path / "request.txt"
    bad.write_text(witness.request_body(0, [], note))
    assert main(["witness", "cosign", "--state", str(state), "--request", str(bad)]) == 1
    assert "refused: the witness is at size" in capsys.readouterr().err

    second.unlink()
    assert main(["verify", "--checkpoint", str(store)]) == 1
    assert "the witness's latest checkpoint" in capsys.readouterr().err
    # Without the witness's key, its cosignatures are not asked for: the embedded default.
    monkeypatch.setenv("VOUCHER_WITNESS_URL", "")
    monkeypatch.setenv("VOUCHER_WITNESS_VKEY", "")
    get_settings.cache_clear()
    assert main(["verify", "--checkpoint", str(first)]) == 0
