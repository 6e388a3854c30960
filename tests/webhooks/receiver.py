"""A provider's webhook receiver, run as its own process by the tests: it appends each request
it gets to a log file (one JSON line: event id, signature header, body, whether it answered)
and answers 200. With ``--hang-on N`` it logs its N-th request and then hangs without
answering, so a test can kill it in the middle of a delivery.

    python -m tests.webhooks.receiver PORT LOGFILE [--hang-on N]
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main(argv: list[str]) -> None:
    port, log = int(argv[0]), Path(argv[1])
    hang_on = int(argv[3]) if len(argv) > 3 and argv[2] == "--hang-on" else 0
    seen = 0

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            nonlocal seen
            seen += 1
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hang = seen == hang_on
            line = {
                "event_id": self.headers.get("Voucher-Event-Id"),
                "signature": self.headers.get("Voucher-Signature"),
                "body": body.decode(),
                "answered": not hang,
            }
            with log.open("a") as out:
                out.write(json.dumps(line) + "\n")
            if hang:
                time.sleep(3600)  # killed by the test before it answers
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
