"""The deployment files as the tests read them, and the checks they share: every command is a
real CLI command, and a process with several workers has somewhere to put its metrics."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.tree import usage_error

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
WITNESS = KUBERNETES / "witness"
IMAGE = "voucher-service"


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())  # type: ignore[no-any-return]


@cache
def kubernetes(directory: Path = KUBERNETES) -> list[tuple[str, dict[str, Any]]]:
    """Every resource of deploy/kubernetes/ (or of its ``witness/``), the kustomization
    aside, with its file name."""
    return [
        (path.name, document)
        for path in sorted(directory.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for document in yaml.safe_load_all(path.read_text())
        if document is not None
    ]


def pod_template(workload: dict[str, Any]) -> dict[str, Any]:
    """The pod template of a Deployment, Job or CronJob."""
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]  # type: ignore[no-any-return]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return pod_template(workload)["spec"]  # type: ignore[no-any-return]


def workloads(directory: Path = KUBERNETES) -> Iterator[dict[str, Any]]:
    for _, document in kubernetes(directory):
        if document["kind"] in ("Deployment", "Job", "CronJob"):
            yield document


def containers(directory: Path = KUBERNETES) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for workload in workloads(directory):
        for container in pod_spec(workload)["containers"]:
            yield workload, container


JOB_RUNNER = ["python", "-m", "voucher_service.monitoring.jobs"]


def assert_real_command(command: list[str]) -> None:
    """``command`` runs voucher-service with a subcommand and options its parser accepts,
    directly or through the job runner that records its outcome (monitoring/jobs.py)."""
    if command[:3] == JOB_RUNNER:
        from voucher_service.monitoring.jobs import Job

        assert command[3] in set(Job), command
        command = command[command.index("--") + 1 :]
    assert command[0] == "voucher-service", command
    error = usage_error(command[1:])
    if error is not None:
        pytest.fail(f"not a voucher-service command: {command}: {error}")


def assert_metrics_can_aggregate(command: list[str], environment: set[str]) -> None:
    """Several uvicorn workers in one container need PROMETHEUS_MULTIPROC_DIR set before
    Python starts (prometheus-client's multiprocess mode); one worker needs nothing."""
    if "serve" not in command or "--workers" not in command:
        return
    workers = int(command[command.index("--workers") + 1])
    assert workers == 1 or "PROMETHEUS_MULTIPROC_DIR" in environment, command


def stage_binds(binds: list[tuple[Path, str]], root: Path) -> Path:
    """Copy each (host path, container path) under ``root``, so that a tool run on the copy
    sees the files where the container would. Every host path must exist: a container engine
    mounts a missing one as an empty directory, silently."""
    for host, target in binds:
        assert host.exists(), f"{host} is mounted at {target} but does not exist"
        copy = root / target.lstrip("/")
        copy.parent.mkdir(parents=True, exist_ok=True)
        if host.is_dir():
            shutil.copytree(host, copy)
        else:
            shutil.copy2(host, copy)
    return root
