"""The compose stack's monitoring, without a container engine: a real Prometheus with the
deploy/ rules, a real Alertmanager with deploy/'s routing and the alert sink, each started
directly on 127.0.0.1 on a free port, stopped after; every wait is bounded."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from tests.deploy.files import DEPLOY
from tests.monitoring.tools import require
from voucher_tools.localcluster import _free_port as free_port

T = TypeVar("T")


@contextmanager
def process(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        started = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield started
        finally:
            started.terminate()
            try:
                started.wait(timeout=20)
            except subprocess.TimeoutExpired:
                started.kill()
                started.wait()


def wait_for(check: Callable[[], T | None], what: str, timeout: float, logs: list[Path]) -> T:
    """``check()``'s first truthy answer within ``timeout`` seconds; otherwise fail with the
    processes' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except (httpx.TransportError, httpx.HTTPStatusError):  # not serving, or not ready yet
            found = None
        if found:
            return found
        time.sleep(0.5)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-1500:]}" for log in logs if log.exists())
    raise AssertionError(f"no {what} within {timeout:.0f} s\n{tails}")


@dataclass
class Monitoring:
    prometheus: str  # base URL
    alertmanager: str | None
    received: Path  # the alert sink's JSON lines
    logs: list[Path]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """``expr``'s instant vector, now or at the Unix time ``at``."""
        params = {"query": expr} if at is None else {"query": expr, "time": str(at)}
        reply = httpx.get(f"{self.prometheus}/api/v1/query", params=params, timeout=5)
        reply.raise_for_status()
        return reply.json()["data"]["result"]  # type: ignore[no-any-return]


@contextmanager
def monitoring(targets: list[str], tmp_path: Path, *, alerting: bool) -> Iterator[Monitoring]:
    """Prometheus scraping ``targets`` (host:port) every second with deploy/'s alert rules;
    with ``alerting``, Alertmanager with deploy/'s routing (its waits cut to a second) and
    the alert sink as its webhook."""
    prometheus = require("prometheus")
    received = tmp_path / "received.jsonl"
    logs = [tmp_path / "prometheus.log"]
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(DEPLOY / "prometheus" / "alerts.yml")]
    config["scrape_configs"][0]["static_configs"] = [{"targets": targets}]
    with ExitStack() as stack:
        alertmanager_url = None
        if alerting:
            alertmanager = require("prometheus-alertmanager")
            sink_port, alertmanager_port = free_port(), free_port()
            routing = yaml.safe_load((DEPLOY / "prometheus" / "alertmanager.yml").read_text())
            routing["route"].update(group_wait="1s", group_interval="1s")
            [hook] = routing["receivers"][0]["webhook_configs"]
            hook["url"] = f"http://127.0.0.1:{sink_port}/alerts"
            (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(routing))
            logs += [tmp_path / "alertmanager.log", tmp_path / "sink.log"]
            stack.enter_context(
                process(
                    [
                        sys.executable,
                        "-m",
                        "voucher_service.monitoring.alert_sink",
                        "--host=127.0.0.1",
                        f"--port={sink_port}",
                        f"--out={received}",
                    ],
                    logs[-1],
                )
            )
            stack.enter_context(
                process(
                    [
                        alertmanager,
                        f"--config.file={tmp_path / 'alertmanager.yml'}",
                        f"--storage.path={tmp_path / 'alertmanager'}",
                        f"--web.listen-address=127.0.0.1:{alertmanager_port}",
                        "--cluster.listen-address=",
                    ],
                    logs[1],
                )
            )
            alertmanager_url = f"http://127.0.0.1:{alertmanager_port}"
            config["alerting"]["alertmanagers"][0]["static_configs"] = [
                {"targets": [f"127.0.0.1:{alertmanager_port}"]}
            ]
        else:
            del config["alerting"]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        prometheus_port = free_port()
        stack.enter_context(
            process(
                [
                    prometheus,
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                ],
                logs[0],
            )
        )
        yield Monitoring(f"http://127.0.0.1:{prometheus_port}", alertmanager_url, received, logs)
