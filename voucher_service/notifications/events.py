"""What a person can be told, to whom each event goes, and its words.

Each event has a subject and a body in Chinese (the mail's language, and the console's
default) and in English (the console on request), with ``{fields}`` filled from the
notification's parameters. The audience says whose preferences page offers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from voucher_service.db.tables.auth import Role


class Audience(StrEnum):
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"
    BUREAU = "bureau"


class Event(StrEnum):
    APPLICATION_RECEIVED = "application.received"
    APPLICATION_RETURNED = "application.returned"
    APPLICATION_APPROVED = "application.approved"
    APPLICATION_REJECTED = "application.rejected"
    # Ready for the public notice (公示) when it lands: approved, in notice until {until}.
    APPLICATION_IN_NOTICE = "application.in_notice"
    VOUCHER_ISSUED = "voucher.issued"
    VOUCHER_EXPIRING = "voucher.expiring"  # scheduled: 30 days before the last valid day
    VOUCHER_EXPIRED = "voucher.expired"
    CAP_NEARLY_USED = "cap.nearly_used"  # scheduled: 80% of an enterprise's cap used
    STATEMENT_CLOSED = "statement.closed"
    STATEMENT_APPROVED = "statement.approved"
    STATEMENT_PAID = "statement.paid"
    RECORDS_REFUSED = "records.refused"  # scheduled: a provider's refusals of one day
    APPLICATIONS_WAITING = "applications.waiting"  # scheduled: daily, to reviewers


@dataclass(frozen=True)
class Text:
    audience: Audience
    subject_zh: str
    body_zh: str
    subject_en: str
    body_en: str

    def subject(self, language: str, params: dict[str, str]) -> str:
        return (self.subject_en if language == "en" else self.subject_zh).format_map(params)

    def body(self, language: str, params: dict[str, str]) -> str:
        return (self.body_en if language == "en" else self.body_zh).format_map(params)


E, P, B = Audience.ENTERPRISE, Audience.PROVIDER, Audience.BUREAU

TEXTS: dict[Event, Text] = {
    Event.APPLICATION_RECEIVED: Text(
        E,
        "申请已收到（{program}）",
        "贵企业 {year} 年度 {program} 算力服务券申请（编号 {application}，申请金额 {amount} 元）"
        "已收到，正在审核。",
        "Application received ({program})",
        "Your {year} application to {program} (no. {application}, {amount} yuan) was "
        "received and is being reviewed.",
    ),
    Event.APPLICATION_RETURNED: Text(
        E,
        "申请被退回修改（{program}）",
        "申请编号 {application} 被退回修改，原因：{reason}。请修改后重新提交。",
        "Application returned for changes ({program})",
        "Application no. {application} was returned for changes: {reason}. Please change "
        "it and submit it again.",
    ),
    Event.APPLICATION_APPROVED: Text(
        E,
        "申请已批准（{program}）",
        "申请编号 {application} 已批准，批准金额 {amount} 元。",
        "Application approved ({program})",
        "Application no. {application} was approved for {amount} yuan.",
    ),
    Event.APPLICATION_REJECTED: Text(
        E,
        "申请未获批准（{program}）",
        "申请编号 {application} 未获批准，原因：{reason}。",
        "Application rejected ({program})",
        "Application no. {application} was rejected: {reason}.",
    ),
    Event.APPLICATION_IN_NOTICE: Text(
        E,
        "申请进入公示（{program}）",
        "申请编号 {application} 已通过审核，进入公示期，公示至 {until}；"
        "期满无异议后发放算力服务券。",
        "Application in public notice ({program})",
        "Application no. {application} passed review and is in public notice until "
        "{until}; the voucher is issued when the notice ends without an upheld objection.",
    ),
    Event.VOUCHER_ISSUED: Text(
        E,
        "算力服务券已发放：{voucher}",
        "{program} 算力服务券 {voucher} 已发放，面额 {amount} 元，"
        "有效期 {valid_from} 至 {valid_to}。",
        "Voucher issued: {voucher}",
        "Voucher {voucher} of {program} was issued for {amount} yuan, valid from "
        "{valid_from} to {valid_to}.",
    ),
    Event.VOUCHER_EXPIRING: Text(
        E,
        "算力服务券即将到期：{voucher}",
        "算力服务券 {voucher} 的有效期至 {valid_to}（30 天内），余额 {balance} 元。"
        "到期后未使用的余额将退回券池。",
        "Voucher expiring: {voucher}",
        "Voucher {voucher} is valid until {valid_to} (within 30 days), with {balance} yuan "
        "left. What is unused then goes back to the pool.",
    ),
    Event.VOUCHER_EXPIRED: Text(
        E,
        "算力服务券已过期：{voucher}",
        "算力服务券 {voucher} 已过期，未使用的余额 {released} 元已退回券池。",
        "Voucher expired: {voucher}",
        "Voucher {voucher} has expired; its unused {released} yuan went back to the pool.",
    ),
    Event.CAP_NEARLY_USED: Text(
        E,
        "补贴上限已使用 80%（{program}）",
        "贵企业在 {program} 的补贴上限 {cap} 元中已使用 {used} 元（{percent}%）。",
        "80% of the subsidy cap used ({program})",
        "Your enterprise has used {used} of its {cap} yuan cap in {program} ({percent}%).",
    ),
    Event.STATEMENT_CLOSED: Text(
        P,
        "结算单已生成：{period}",
        "{period} 结算单（编号 {statement}，{records} 条记录，补贴金额 {amount} 元）已生成，"
        "等待财务审核。",
        "Statement closed: {period}",
        "The statement for {period} (no. {statement}, {records} records, {amount} yuan of "
        "subsidy) was closed and waits for the bureau's finance to approve it.",
    ),
    Event.STATEMENT_APPROVED: Text(
        P,
        "结算单已审核通过：{period}",
        "{period} 结算单（编号 {statement}，补贴金额 {amount} 元）已审核通过，等待付款。",
        "Statement approved: {period}",
        "The statement for {period} (no. {statement}, {amount} yuan) was approved and "
        "waits for payment.",
    ),
    Event.STATEMENT_PAID: Text(
        P,
        "结算单已付款：{period}",
        "{period} 结算单（编号 {statement}）已付款 {amount} 元，付款凭证号 {reference}。",
        "Statement paid: {period}",
        "The statement for {period} (no. {statement}) was paid: {amount} yuan, reference "
        "{reference}.",
    ),
    Event.RECORDS_REFUSED: Text(
        P,
        "{day} 有 {count} 条用量记录被拒绝",
        "贵单位 {day} 上报的用量记录中有 {count} 条被拒绝，"
        "请在控制台的用量记录页面查看原因并更正。",
        "{count} usage records refused on {day}",
        "{count} of the usage records you reported on {day} were refused: the console's "
        "records page says why.",
    ),
    Event.APPLICATIONS_WAITING: Text(
        B,
        "有 {count} 份申请待审核",
        "截至 {day}，有 {count} 份算力服务券申请等待审核，最早的一份提交于 {oldest}。",
        "{count} applications waiting",
        "On {day}, {count} voucher applications wait for review; the oldest was submitted "
        "on {oldest}.",
    ),
}

assert set(TEXTS) == set(Event), "every event has its text"


def events_for(audience: Audience) -> list[Event]:
    """The events a person of ``audience`` may receive, in the order above."""
    return [event for event in Event if TEXTS[event].audience is audience]


def audience_of(role: Role) -> Audience:
    """Whose events a person of ``role`` receives."""
    if role is Role.ENTERPRISE:
        return Audience.ENTERPRISE
    if role is Role.PROVIDER:
        return Audience.PROVIDER
    return Audience.BUREAU
