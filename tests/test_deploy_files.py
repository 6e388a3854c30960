"""The deployment files parse, and the commands they run exist in the CLI."""

from __future__ import annotations

from pathlib import Path

import yaml

from voucher_service.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def test_kubernetes_manifests_run_real_commands() -> None:
    documents = list(
        yaml.safe_load_all((ROOT / "deploy/kubernetes/voucher-service.yaml").read_text())
    )
    kinds = sorted(d["kind"] for d in documents)
    assert kinds == ["CronJob", "Deployment", "Deployment", "Job", "Service"]
    commands = []
    for document in documents:
        spec = document["spec"]
        pod = (spec.get("jobTemplate", {}).get("spec", spec).get("template", {}) or {}).get(
            "spec", {}
        )
        for container in pod.get("containers", []):
            commands.append(container["command"])
    parser = build_parser()
    for command in commands:
        parts = command if command[0] == "voucher-service" else command[-1].split(" && ")[0].split()
        parser.parse_args(parts[1:])  # exits (fails the test) on an unknown command or flag

