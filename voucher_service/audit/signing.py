"""The checkpoint key: an Ed25519 key pair kept off the database host, and the signature on a
checkpoint document.

The hash chain shows an edit only to someone who trusts the hashes in the database; someone
who can write the database can also recompute them (``entry_hash`` is public). A signature
by a key the database never sees cannot be recomputed: whoever holds only the database can
neither forge a checkpoint nor make an old one agree with rewritten history.

Files: the private key as unencrypted PKCS#8 PEM, mode 0600 (its path is the setting
``VOUCHER_CHECKPOINT_KEY``); the public key as SubjectPublicKeyInfo PEM beside it, ``.pub``
(``VOUCHER_CHECKPOINT_PUBLIC_KEY`` where checkpoints are verified). A key is known by its id,
``ed25519:`` and the first 16 hex digits of the SHA-256 of its raw 32 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class KeyFileError(Exception):
    """A key file that is missing, unreadable, of the wrong kind or open to others."""


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


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


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes signed: the document without its signature, keys sorted, no spaces."""
    unsigned = {name: value for name, value in document.items() if name != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()


def sign(document: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``document`` with its key id and signature."""
    signed = {**document, "key_id": key_id(key.public_key())}
    signed["signature"] = base64.b64encode(key.sign(canonical(signed))).decode()
    return signed


def signature_problem(document: dict[str, Any], public: Ed25519PublicKey) -> str | None:
    """Why ``document`` is not signed by ``public``'s key (None: it is)."""
    if document.get("key_id") != key_id(public):
        return f"signed by key {document.get('key_id')!r}, not by {key_id(public)}"
    try:
        signature = base64.b64decode(str(document.get("signature", "")), validate=True)
        public.verify(signature, canonical(document))
    except (InvalidSignature, ValueError):
        return "its signature does not match its content (altered or forged)"
    return None
