"""The compose stack's alert receiver: Alertmanager's webhook posts each notification here,
and it prints one JSON line per alert on standard output (``docker compose logs
alert-sink``) and appends it to ``--out`` when given. Replace it with your paging or chat
bridge (deploy/prometheus/alertmanager.yml); the tests read what it writes.

    python -m voucher_service.monitoring.alert_sink --port 9095 [--out alerts.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MAX_BODY = 1 << 20


def lines(notification: dict[str, Any]) -> list[str]:
    """One JSON line per alert of an Alertmanager webhook notification (version 4)."""
    return [
        json.dumps(
            {
                "status": alert.get("status"),
                "alertname": alert.get("labels", {}).get("alertname"),
                "labels": alert.get("labels", {}),
                "annotations": alert.get("annotations", {}),
                "startsAt": alert.get("startsAt"),
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        for alert in notification.get("alerts", [])
    ]


def serve(host: str, port: int, out: Path | None) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self.send_error(413 if length else 411)
                return
            try:
                received = lines(json.loads(self.rfile.read(length)))
            except (ValueError, AttributeError):
                self.send_error(400)
                return
            for line in received:
                print(line, flush=True)
            if out is not None and received:
                with out.open("a", encoding="utf-8") as file:
                    file.write("".join(f"{line}\n" for line in received))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the alerts are the log

    ThreadingHTTPServer((host, port), Handler).serve_forever()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="alert_sink", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 (a container's port)
    parser.add_argument("--port", type=int, default=9095)
    parser.add_argument("--out", type=Path)
    arguments = parser.parse_args(argv)
    serve(arguments.host, arguments.port, arguments.out)


if __name__ == "__main__":
    main(sys.argv[1:])
