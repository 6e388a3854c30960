"""Notification mail: composed in Chinese (subject and plain-text body), sent over SMTP, or
written to the log when no SMTP server is configured (``VOUCHER_SMTP_HOST`` empty: the demo
and development)."""

from __future__ import annotations

import contextlib
import json
import logging
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol

from voucher_service.config import Settings
from voucher_service.notifications.events import TEXTS, Event
from voucher_service.notifications.outbox import Claimed

log = logging.getLogger(__name__)

SIGNATURE = "武汉市算力服务券管理平台（武汉市经济和信息化局）\n本邮件由系统自动发送，请勿直接回复。"


def message_id(message: Claimed, sender: str) -> str:
    """The same Message-ID for every attempt at one outbox row: a mail sent twice (a worker
    killed between the server's acceptance and its record of it) is recognisably one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "voucher-service"
    return f"<outbox-{message.id}-{int(message.created_at.timestamp())}@{domain}>"


def compose(message: Claimed, settings: Settings) -> EmailMessage:
    """The mail for an outbox row: the event's Chinese subject and body, a greeting with the
    person's name, the console's address and the signature."""
    params = json.loads(message.params)
    text = TEXTS[Event(message.event)]
    mail = EmailMessage()
    mail["Subject"] = f"【算力服务券】{text.subject('zh-CN', params)}"
    mail["From"] = settings.mail_from
    mail["To"] = str(Address(addr_spec=message.address))
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message_id(message, settings.mail_from)
    mail["Auto-Submitted"] = "auto-generated"
    greeting = f"{params['name']}，您好：" if params.get("name") else "您好："
    mail.set_content(
        f"{greeting}\n\n{text.body('zh-CN', params)}\n\n"
        f"详情请登录控制台查看：{settings.console_url}/inbox\n"
        f"如不再需要邮件通知，可在控制台的“消息”页面修改邮件通知设置。\n\n{SIGNATURE}\n",
        charset="utf-8",
    )
    return mail


class Mailer(Protocol):
    def send(self, mail: EmailMessage) -> None: ...


class SmtpMailer:
    """Sends through the configured SMTP server; one connection per batch of mails."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.smtp_tls == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context
            )
        else:
            connection = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            if s.smtp_tls == "starttls":
                connection.starttls(context=context)
        if s.smtp_user:
            connection.login(s.smtp_user, s.smtp_password)
        return connection

    def send(self, mail: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(mail)
        except smtplib.SMTPRecipientsRefused:
            raise  # the connection is fine: keep it for the next mail
        except (smtplib.SMTPException, OSError):
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self.connection = None


class LogMailer:
    """No SMTP server configured: each mail is written to the log, whole."""

    def send(self, mail: EmailMessage) -> None:
        body = mail.get_body(("plain",))
        content = body.get_content() if body is not None else ""
        log.info(
            "mail (no SMTP server configured) to %s: %s\n%s", mail["To"], mail["Subject"], content
        )

    def close(self) -> None:
        pass


def mailer_for(settings: Settings) -> SmtpMailer | LogMailer:
    return SmtpMailer(settings) if settings.smtp_host else LogMailer()
