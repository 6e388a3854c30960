"""A real SMTP server (aiosmtpd) on a free port of 127.0.0.1 for the notification tests: it
keeps every mail it accepted, and can hold a conversation at RCPT for chosen recipients (to
kill a worker in the middle of sending)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.served import free_port


class Mailbox:
    """The server's handler: the mails it accepted, in order."""

    def __init__(self, hold: frozenset[str] = frozenset()) -> None:
        self.mails: list[EmailMessage] = []
        self.hold = hold
        self.holding = threading.Event()  # a held conversation has reached RCPT
        self.release = threading.Event()

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.hold and not self.release.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append(mail)
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        return [str(mail["Message-ID"]) for mail in self.mails]


@contextmanager
def smtp_server(
    mailbox: Mailbox | None = None, port: int | None = None
) -> Iterator[tuple[int, Mailbox]]:
    """Serve ``mailbox`` over SMTP until the block ends; yield its port and the mailbox."""
    mailbox = mailbox or Mailbox()
    port = port or free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        mailbox.release.set()
        controller.stop()
