"""uvicorn's HTTP protocol (httptools), with deadlines on what the application never sees.

uvicorn bounds none of these: a connection that sends nothing, or trickles a request line
and headers a byte at a time, stays open for as long as the client likes
(``timeout_keep_alive`` only runs *between* requests, after a response); with httptools a
header may grow without limit (a 200 MB header took a worker from 29 MB to 269 MB); and the
rest of a body that the application refused before reading it is read and dropped for as
long as the client goes on sending it. Here, per connection:

* a request's line and headers must arrive within ``header_read_seconds`` of its first byte
  (of the connection, for the first request): else ``408 request_timeout``;
* they may be at most ``MAX_HEAD_BYTES``: else ``431 headers_too_large``;
* once a request has been answered before its body arrived (the gate's 401, 413 or 503),
  the rest of the body must arrive within ``body_read_seconds``, else the connection is
  closed. Reading it to its end first means a client that sends its body regardless reads
  the answer, instead of a connection reset, and may keep the connection.

The first two are answered in the service's error shape; the connection is then shut for
writing and closed a moment later, for the same reason. ``serve`` and the test clusters run
uvicorn with this class (``--http voucher_service.protocol:HttpProtocol``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from voucher_service.config import get_settings
from voucher_service.errors import ErrorCode

# A request line and headers past this are refused (nginx's large_client_header_buffers
# default is 4 x 8 KiB; a console request with its cookies is under 2 KiB).
MAX_HEAD_BYTES = 64 * 1024
# After a refusal written here, how long the connection reads and drops what the client
# still sends before it is closed (so that the refusal is read, not lost to a reset).
LINGER_SECONDS = 2.0

PATH = "voucher_service.protocol:HttpProtocol"


class HttpProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` whose request heads have a deadline and a size bound."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.head_seconds = settings.header_read_seconds
        self.rest_seconds = settings.body_read_seconds
        self.head_deadline: asyncio.TimerHandle | None = None
        self.head_bytes = 0
        self.rest_deadline: asyncio.TimerHandle | None = None
        self.lingering: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        self._rest_arrived()
        if self.lingering is not None:
            self.lingering.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.lingering is not None:
            return  # what follows a refusal written here is dropped
        if self.head_deadline is not None:
            self.head_bytes += len(data)
        super().data_received(data)
        # Still inside a head after the parser took this data: all of it was head.
        if self.head_deadline is not None and self.head_bytes > MAX_HEAD_BYTES:
            self._refuse(
                431,
                ErrorCode.HEADERS_TOO_LARGE,
                f"the request line and headers are larger than {MAX_HEAD_BYTES:,} bytes",
            )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.head_deadline is None:  # the next request on a kept-alive connection
            self._await_head()

    def on_headers_complete(self) -> None:
        self._head_arrived()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._rest_arrived()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.cycle is not None and self.cycle.more_body and not self.transport.is_closing():
            # Answered before its body arrived: the rest is read and dropped, for so long.
            self.rest_deadline = self.loop.call_later(self.rest_seconds, self.transport.close)

    def _rest_arrived(self) -> None:
        if self.rest_deadline is not None:
            self.rest_deadline.cancel()
            self.rest_deadline = None

    def _await_head(self) -> None:
        self.head_bytes = 0
        self.head_deadline = self.loop.call_later(self.head_seconds, self._head_too_slow)

    def _head_arrived(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_too_slow(self) -> None:
        self.head_deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered (pipelined bytes started the next head)
        self._refuse(
            408,
            ErrorCode.REQUEST_TIMEOUT,
            f"the request line and headers did not arrive within {self.head_seconds:g} s",
        )

    def _refuse(self, status: int, code: ErrorCode, message: str) -> None:
        self._head_arrived()
        if self.transport.is_closing():
            return
        self.transport.write(raw_error_response(status, code, message))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.lingering = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def eof_received(self) -> None:
        if self.lingering is not None:
            self.transport.close()  # the client read the refusal and has gone


_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


def raw_error_response(status: int, code: ErrorCode, message: str) -> bytes:
    """A whole HTTP/1.1 response in the error shape, closing the connection: for refusals
    made before there is a request to answer through the application."""
    error = {"error": {"code": code.value, "message": message}}
    body = json.dumps(error, ensure_ascii=False, separators=(",", ":")).encode()  # as JSONResponse
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )
