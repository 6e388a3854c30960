"""Ed25519 keys kept off the database host, and the signatures made with them: the log's on
a checkpoint, a witness's cosignature (C2SP signed notes).

The hash chain shows an edit only to someone who trusts the hashes in the database; someone
who can write the database can also recompute them (``entry_hash`` is public). A signature
by a key the database never sees cannot be recomputed: whoever holds only the database can
neither forge a checkpoint nor make an old one agree with rewritten history.

Files: the private key as unencrypted PKCS#8 PEM, mode 0600 (its path is the setting
``VOUCHER_CHECKPOINT_KEY``); the public key as SubjectPublicKeyInfo PEM beside it, ``.pub``
(``VOUCHER_CHECKPOINT_PUBLIC_KEY`` where checkpoints are verified). A key is known by its id,
``ed25519:`` and the first 16 hex digits of the SHA-256 of its raw 32 bytes. A witness keeps
its own key pair the same way (``voucher-service witness init``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class KeyFileError(Exception):
    """A key file that is missing, unreadable, of the wrong kind or open to others."""


def key_id(public: Ed25519PublicKey) -> str:
    return "ed25519:" + hashlib.sha256(raw_public(public)).hexdigest()[:16]


def public_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def generate_key_pair(private_path: Path) -> str:
    """Write a new key pair: ``private_path`` (mode 0600, created so, never overwritten) and
    its ``.pub``; return the key's id."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for path in (private_path, public_path(private_path)):
        if path.exists():
            raise KeyFileError(f"{path} exists: a key is never overwritten")
    # O_EXCL with the mode: the key is never readable by others, not even for a moment.
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    public = key.public_key()
    public_path(private_path).write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key_id(public)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The signing key; refused if others may read or write its file (as ssh refuses)."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as error:
        raise KeyFileError(f"cannot read the checkpoint key {path}: {error.strerror}") from error
    if mode & (stat.S_IRWXO | stat.S_IWGRP):
        raise KeyFileError(
            f"the checkpoint key {path} is open to others (mode {stat.S_IMODE(mode):o}): "
            "chmod 600 it"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise KeyFileError(f"{path} is not an unencrypted PEM private key") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The key checkpoints are verified with: a ``.pub`` file, or the private key itself."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise KeyFileError(f"cannot read the public key {path}: {error.strerror}") from error
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as error:
        raise KeyFileError(f"{path} is not a PEM public key") from error
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} is not an Ed25519 key")
    return key


# Signed notes (c2sp.org/signed-note, tlog-cosignature): a note is text lines, a blank line,
# then signature lines "— <key name> <base64(4-byte key id || signature)>". The key id is
# the first 4 bytes of SHA-256(name || "\n" || type || 32-byte public key): type 0x01 for a
# signature over the note's text, 0x04 for a cosignature over "cosignature/v1\ntime T\n"
# and the text, whose signature field is an 8-byte big-endian time then the signature.
NOTE_SIGNATURE, COSIGNATURE = 0x01, 0x04
DASH = "\u2014 "


class NoteError(Exception):
    """Text that is not a signed note."""


@dataclass(frozen=True)
class Note:
    """A signed note: its text (every line up to the blank one, each ending in a newline)
    and its signature lines as (key name, raw bytes after base64)."""

    text: str
    signatures: tuple[tuple[str, bytes], ...]

    def render(self) -> str:
        lines = [
            f"{DASH}{name} {base64.b64encode(raw).decode()}\n" for name, raw in self.signatures
        ]
        return self.text + "\n" + "".join(lines)

    def with_signature(self, line: str) -> Note:
        """The note with one more signature line (a cosignature), if it is not there yet."""
        (added,) = parse_note(self.text + "\n" + line).signatures
        if added in self.signatures:
            return self
        return Note(self.text, (*self.signatures, added))


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def note_key_id(name: str, public: Ed25519PublicKey, kind: int = NOTE_SIGNATURE) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + raw_public(public)).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"{name!r} is not a key name (no spaces, no '+')")


def sign_note(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """The signature line of ``key`` (named ``name``) on the note ``text``."""
    _check_name(name)
    raw = note_key_id(name, key.public_key()) + key.sign(text.encode())
    return f"{DASH}{name} {base64.b64encode(raw).decode()}\n"


def _cosigned(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign_note(text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line (tlog-cosignature/v1) of ``key`` on the checkpoint ``text``."""
    _check_name(name)
    raw = (
        note_key_id(name, key.public_key(), COSIGNATURE)
        + timestamp.to_bytes(8, "big")
        + key.sign(_cosigned(text, timestamp))
    )
    return f"{DASH}{name} {base64.b64encode(raw).decode()}\n"


def parse_note(document: str) -> Note:
    """The text and signature lines of a signed note (signatures not checked)."""
    text, blank, rest = document.partition("\n\n")
    if not blank or not text or "\n\n" in rest:
        raise NoteError(
            "not a signed note (its text and signatures are not parted by one blank line)"
        )
    signatures = []
    for line in rest.splitlines():
        name, _, encoded = line.removeprefix(DASH).partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as error:
            raise NoteError(f"a signature line that is not base64: {line!r}") from error
        if not line.startswith(DASH) or not name or len(raw) < 5:
            raise NoteError(f"not a signature line: {line!r}")
        signatures.append((name, raw))
    if not signatures:
        raise NoteError("a note without a signature")
    return Note(text + "\n", tuple(signatures))


def note_signed_by(note: Note, name: str, public: Ed25519PublicKey) -> bool:
    """Whether ``note`` carries a valid signature of ``public`` under ``name``."""
    key_id = note_key_id(name, public)
    for signer, raw in note.signatures:
        if signer == name and raw[:4] == key_id:
            try:
                public.verify(raw[4:], note.text.encode())
                return True
            except InvalidSignature:
                return False
    return False


def note_cosigned_by(note: Note, name: str, public: Ed25519PublicKey) -> int | None:
    """The time (POSIX seconds) of ``public``'s valid cosignature on ``note``, or None."""
    key_id = note_key_id(name, public, COSIGNATURE)
    for signer, raw in note.signatures:
        if signer == name and raw[:4] == key_id and len(raw) == 4 + 8 + 64:
            timestamp = int.from_bytes(raw[4:12], "big")
            try:
                public.verify(raw[12:], _cosigned(note.text, timestamp))
                return timestamp
            except InvalidSignature:
                return None
    return None


@dataclass(frozen=True)
class Verifier:
    """Who a signature is expected from: a key name, its public key and the signature type
    (c2sp.org/signed-note verifier key: ``<name>+<hex key id>+<base64(type || key)>``)."""

    name: str
    public: Ed25519PublicKey
    kind: int = NOTE_SIGNATURE

    def vkey(self) -> str:
        key_id = note_key_id(self.name, self.public, self.kind).hex()
        encoded = base64.b64encode(bytes([self.kind]) + raw_public(self.public)).decode()
        return f"{self.name}+{key_id}+{encoded}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        try:
            name, key_id, encoded = vkey.strip().split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
            kind, public = raw[0], Ed25519PublicKey.from_public_bytes(raw[1:])
        except (ValueError, IndexError) as error:
            raise NoteError(f"{vkey!r} is not a verifier key (name+keyid+key)") from error
        verifier = cls(name, public, kind)
        if kind not in (NOTE_SIGNATURE, COSIGNATURE) or verifier.vkey() != vkey.strip():
            raise NoteError(f"{vkey!r}: its key id or type does not match its key")
        return verifier
