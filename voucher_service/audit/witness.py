"""The witness: a third party's cosignature on each checkpoint, given only if the audit chain
grew by appending since the last checkpoint it cosigned.

A checkpoint signed with the log key proves nothing once that key is stolen: whoever holds
it and the database can rewrite history, re-hash the chain and sign a checkpoint of the
result. The witness is run by someone else (the third-party auditor), with its own key and
its own storage, and keeps the latest checkpoint it cosigned. To cosign a new one it
recomputes the chain from the head it holds over the entries in between and requires the
new head: a rewritten past cannot be reached from its head, so it refuses, and whoever
checks the books (``verify``) finds the forged checkpoint without its cosignature, or the
witness's latest missing from the checkpoints the operator kept.

The witness receives each entry's content, not its hash alone: a list of link hashes can be
made up to end at any head, while links recomputed from content cannot (``entry_hash``
covers the previous hash, the position and every field).

A request (the command line's file, or the body of ``POST /add-checkpoint``), after
c2sp.org/tlog-witness::

    old 1200                       the size of the witness's latest (0: none yet)
    {"seq": 1201, "content": [...]}   one line per entry after it, up to the new size
    ...
                                   a blank line
    <the checkpoint, a signed note>

The answer is the cosignature line (tlog-cosignature/v1). State, in the witness's own
directory: ``witness.key`` (mode 0600) and ``.pub``, ``witness.json`` (its name and the log
it follows), ``latest.txt`` (the latest checkpoint it cosigned, cosignature included) and
``cosigned/`` (every one of them, kept).
"""

from __future__ import annotations

import fcntl
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from voucher_service.audit.checkpoint import Checkpoint, CheckpointError
from voucher_service.audit.service import GENESIS, link_hash
from voucher_service.audit.signing import (
    COSIGNATURE,
    KeyFileError,
    Note,
    NoteError,
    Verifier,
    cosign_note,
    generate_key_pair,
    load_private_key,
    note_cosigned_by,
    note_signed_by,
    parse_note,
)

KEY, CONFIG, LATEST, COSIGNED = "witness.key", "witness.json", "latest.txt", "cosigned"
MAX_REQUEST_BYTES = 256 << 20


class WitnessError(Exception):
    """A refusal, with the HTTP status that says which kind."""

    status = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str, *, size: int | None = None) -> None:
        super().__init__(message)
        self.size = size


class NotSignedByLog(WitnessError):
    status = HTTPStatus.FORBIDDEN


class WrongOldSize(WitnessError):
    """The request starts from another size than the witness's latest (it carries that)."""

    status = HTTPStatus.CONFLICT


class Inconsistent(WitnessError):
    """The new checkpoint does not extend the latest one: history was rewritten."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


@dataclass(frozen=True)
class Witness:
    """An initialised witness: its directory, name and key, and the log it follows."""

    directory: Path
    name: str
    log: Verifier
    key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key.public_key(), COSIGNATURE)


def init(directory: Path, *, name: str, log: Verifier) -> Verifier:
    """Make a witness in ``directory`` (a new key, never overwritten) following ``log``;
    return its verifier key, for the log's operator and whoever verifies. Asked again for
    the same name and log, it changes nothing (so a container may ask at each start)."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / CONFIG).exists():
        made = open_witness(directory)
        if (made.name, made.log.vkey()) != (name, log.vkey()):
            raise WitnessError(
                f"{directory} holds the witness {made.name} of log {made.log.vkey()}: a "
                "witness is never made again, nor moved to another log"
            )
        return made.verifier
    generate_key_pair(directory / KEY)
    (directory / COSIGNED).mkdir(exist_ok=True)
    (directory / CONFIG).write_text(json.dumps({"name": name, "log": log.vkey()}, indent=2))
    return open_witness(directory).verifier


def open_witness(directory: Path) -> Witness:
    try:
        config = json.loads((directory / CONFIG).read_text())
        log = Verifier.parse(config["log"])
        return Witness(directory, str(config["name"]), log, load_private_key(directory / KEY))
    except (OSError, ValueError, KeyError, NoteError, KeyFileError) as error:
        raise WitnessError(
            f"{directory} is not a witness (`witness init` makes one): {error}"
        ) from error


def latest(directory: Path) -> Note | None:
    """The latest checkpoint the witness in ``directory`` cosigned (None: none yet)."""
    path = directory / LATEST
    return parse_note(path.read_text()) if path.exists() else None


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One cosigning at a time per witness, whatever runs it (server, command line)."""
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def add_checkpoint(witness: Witness, request: str, *, now: float | None = None) -> str:
    """Cosign the request's checkpoint if it extends the latest one; return the cosignature
    line and keep the checkpoint (``WitnessError`` says why not)."""
    old_size, entries, note = parse_request(request)
    if not note_signed_by(note, witness.log.name, witness.log.public):
        raise NotSignedByLog(f"the checkpoint is not signed by the log {witness.log.name}")
    try:
        made = Checkpoint.from_text(note.text)
    except CheckpointError as error:
        raise WitnessError(str(error)) from error
    with _locked(witness.directory):
        held = latest(witness.directory)
        size, root = (0, GENESIS) if held is None else _head(held)
        if old_size != size:
            raise WrongOldSize(f"the witness is at size {size}, not {old_size}", size=size)
        _extends(size, root, entries, made)
        timestamp = int(now if now is not None else time.time())
        line = cosign_note(note.text, witness.name, witness.key, timestamp)
        cosigned = note.with_signature(line)
        kept = witness.directory / COSIGNED / f"{made.size:012d}-{timestamp}.txt"
        kept.write_text(cosigned.render())
        partial = witness.directory / (LATEST + ".partial")
        partial.write_text(cosigned.render())
        partial.replace(witness.directory / LATEST)
    return line


def _head(note: Note) -> tuple[int, str]:
    held = Checkpoint.from_text(note.text)
    return held.size, held.root


def _extends(size: int, root: str, entries: list[dict[str, Any]], made: Checkpoint) -> None:
    """Recompute the chain from (``size``, ``root``) over ``entries``: it must end at the
    new checkpoint's head."""
    if made.size < size:
        raise Inconsistent(f"the chain shrank from {size} to {made.size} entries")
    if len(entries) != made.size - size:
        raise Inconsistent(
            f"{len(entries)} entries given between sizes {size} and {made.size}: "
            f"{made.size - size} needed"
        )
    previous = root
    for expected, entry in enumerate(entries, start=size + 1):
        if entry.get("seq") != expected or not isinstance(entry.get("content"), list):
            raise WitnessError(f"entry {expected} is missing or malformed")
        previous = link_hash(previous, expected, entry["content"])
    if previous != made.root:
        raise Inconsistent(
            f"the chain from the witness's head at size {size} over the entries given ends "
            f"at {previous[:16]}..., the checkpoint says {made.root[:16]}...: history was "
            "rewritten"
        )


def request_body(old_size: int, entries: Iterable[dict[str, Any]], note: Note) -> str:
    lines = [f"old {old_size}"] + [json.dumps(e, ensure_ascii=False) for e in entries]
    return "\n".join(lines) + "\n\n" + note.render()


def parse_request(request: str) -> tuple[int, list[dict[str, Any]], Note]:
    header, blank, checkpoint = request.partition("\n\n")
    lines = header.split("\n")
    if not blank or not lines[0].startswith("old "):
        raise WitnessError("a request starts with 'old <size>', then entries, a blank line")
    try:
        old_size = int(lines[0].removeprefix("old "))
        entries = [json.loads(line) for line in lines[1:]]
        note = parse_note(checkpoint)
    except (ValueError, NoteError) as error:
        raise WitnessError(f"a malformed request: {error}") from error
    if not all(isinstance(entry, dict) for entry in entries):
        raise WitnessError("a malformed request: each entry is a JSON object")
    return old_size, entries, note


# The log's side: asking a witness for its latest checkpoint and its cosignature, over HTTP
# (``witness serve``) or, where the witness's directory is mounted, directly.


def fetch_latest(source: str) -> Note | None:
    """The latest checkpoint the witness at ``source`` (a URL or its directory) holds."""
    if not source.startswith(("http://", "https://")):
        return latest(Path(source))
    try:
        with urllib.request.urlopen(source.rstrip("/") + "/latest", timeout=30) as reply:
            return parse_note(reply.read().decode())
    except urllib.error.HTTPError as error:
        if error.code == HTTPStatus.NOT_FOUND:
            return None
        raise WitnessError(f"the witness at {source} answered {error.code}") from error
    except (OSError, NoteError) as error:
        raise WitnessError(f"cannot reach the witness at {source}: {error}") from error


def submit(source: str, request: str) -> str:
    """Send ``request`` to the witness at ``source``; return its cosignature line."""
    if not source.startswith(("http://", "https://")):
        return add_checkpoint(open_witness(Path(source)), request)
    post = urllib.request.Request(
        source.rstrip("/") + "/add-checkpoint",
        data=request.encode(),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(post, timeout=120) as reply:
            return str(reply.read().decode())
    except urllib.error.HTTPError as error:
        said = error.read().decode(errors="replace").strip()
        raise WitnessError(f"the witness refused ({error.code}): {said}") from error
    except OSError as error:
        raise WitnessError(f"cannot reach the witness at {source}: {error}") from error


def cosigned_by(note: Note, witness: Verifier) -> bool:
    return note_cosigned_by(note, witness.name, witness.public) is not None


# The witness's side over HTTP: one request at a time (cosigning is serialised anyway),
# each socket read bounded so a slow client cannot hold it.


def serve(witness: Witness, host: str, port: int) -> None:
    """Answer ``POST /add-checkpoint``, ``GET /latest`` and ``GET /healthz`` until stopped."""
    with make_server(witness, host, port) as server:
        server.serve_forever()


def make_server(witness: Witness, host: str, port: int) -> HTTPServer:
    """The witness's HTTP server, bound (port 0: any free port), not yet serving."""

    class Handler(BaseHTTPRequestHandler):
        timeout = 30
        server_version = "voucher-witness"

        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            if self.path == "/healthz":
                self._answer(HTTPStatus.OK, "ok\n")
                return
            if self.path != "/latest":
                self._answer(HTTPStatus.NOT_FOUND, "not found\n")
                return
            held = latest(witness.directory)
            if held is None:
                self._answer(HTTPStatus.NOT_FOUND, "no checkpoint cosigned yet\n")
            else:
                self._answer(HTTPStatus.OK, held.render())

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != "/add-checkpoint":
                self._answer(HTTPStatus.NOT_FOUND, "not found\n")
                return
            if not 0 < length <= MAX_REQUEST_BYTES:
                self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "a request of 1 B to 256 MiB\n")
                return
            try:
                line = add_checkpoint(witness, self.rfile.read(length).decode())
            except WitnessError as error:
                size = f"{error.size}\n" if error.size is not None else ""
                self._answer(error.status, f"{error}\n{size}")
                return
            except UnicodeDecodeError:
                self._answer(HTTPStatus.BAD_REQUEST, "not UTF-8\n")
                return
            self._answer(HTTPStatus.OK, line)

        def _answer(self, status: HTTPStatus, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return HTTPServer((host, port), Handler)
