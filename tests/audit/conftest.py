"""A log of checkpoints and its witness."""

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.audit.chain import Log
from voucher_service.audit import witness


@pytest.fixture
def log(tmp_path: Path) -> Log:
    directory = tmp_path / "checkpoints"
    directory.mkdir()
    return Log(Ed25519PrivateKey.generate(), directory)


@pytest.fixture
def witnessed(log: Log, tmp_path: Path) -> Log:
    """The log, with a witness of its own (its own key and directory)."""
    witness.init(tmp_path / "witness", name="auditor.test/witness", log=log.verifier)
    log.witness = witness.open_witness(tmp_path / "witness")
    return log
