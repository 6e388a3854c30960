"""The printable documents as one call each: the approval notice of an approved application
and a provider's settlement statement, as PDF files.

Each takes the raw values a caller has (an id, and the owner's credit code when the caller is
the enterprise or the provider): another's application or statement is not found, an
application not approved has no notice (409)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from voucher_service.auth.duties import name_of
from voucher_service.config import get_settings
from voucher_service.db.tables.applications import Application, ApplicationStatus
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.settlement import Statement, StatementStatus
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.documents.render import pdf_of
from voucher_service.errors import ErrorCode, InvalidState, NotFound
from voucher_service.exports import ExportFile
from voucher_service.pagination import where_given
from voucher_service.settlement.service import statement_detail

PDF = "application/pdf"
POLICY = "《武汉市促进人工智能产业发展若干政策措施》（武政规〔2025〕3号）"
STATUS_TEXT = {
    StatementStatus.CLOSED: "已关账，待审核",
    StatementStatus.APPROVED: "已审核，待支付",
    StatementStatus.PAID: "已支付",
}


def clause_of(program: Program) -> str:
    """The policy's article a program rests on: measure 3 (selected vertical-industry
    models, 遴选) is 第三条; the inclusive compute vouchers of measure 2, 第二条."""
    return "第三条" if program.requires_selection else "第二条"


def notice_number(application: Application) -> str:
    """The approval notice's number: the year of the pool and the application's id."""
    return f"武经信算券审〔{application.year}〕第{application.id:06d}号"


def statement_number(statement: Statement) -> str:
    """The statement's number: its period and its id."""
    return f"武经信算券结〔{statement.period}〕第{statement.id:06d}号"


def _day(moment: datetime | None) -> str:
    return get_settings().today(moment).isoformat() if moment is not None else ""


def _chinese_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def approval_notice(
    session: Session, application_id: int, *, enterprise_uscc: str | None = None
) -> ExportFile:
    """The approval notice (审批通知书) of an approved application, as a PDF file. With
    ``enterprise_uscc``, only that enterprise's application is found."""
    query = where_given(
        select(Application, Enterprise, Program)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id),
        (Application.id, application_id),
        (Enterprise.uscc, enterprise_uscc),
    )
    found = session.execute(query).first()
    if found is None:
        raise NotFound(
            "no application {application_id}",
            code=ErrorCode.APPLICATION_NOT_FOUND,
            application_id=application_id,
        )
    application, enterprise, program = found
    if application.status != ApplicationStatus.APPROVED or application.voucher_id is None:
        raise InvalidState(
            "application {application_id} is {status}: only an approved one has an approval notice",
            application_id=application_id,
            status=application.status,
        )
    voucher = session.get(Voucher, application.voucher_id)
    assert voucher is not None
    number = notice_number(application)
    decided = get_settings().today(application.decided_at or voucher.issued_at)
    pdf = pdf_of(
        "approval_notice.html",
        title="武汉市算力服务券审批通知书",
        number=number,
        policy=POLICY,
        clause=clause_of(program),
        enterprise_name=enterprise.name,
        uscc=enterprise.uscc,
        year=application.year,
        program_name=program.name,
        program_code=program.code,
        application_id=application.id,
        requested_fen=application.requested_fen,
        approved_fen=application.approved_fen or voucher.face_value_fen,
        voucher_code=voucher.code,
        valid_from=voucher.valid_from.isoformat(),
        valid_to=voucher.valid_to.isoformat(),
        decided_on=decided.isoformat(),
        decided_on_chinese=_chinese_day(decided),
        decided_by=application.decided_by or "",
        printed_at=_day(utcnow()),
    )
    return ExportFile(f"approval-notice-{application.id}.pdf", PDF, pdf)


def settlement_statement(
    session: Session, statement_id: int, *, provider_uscc: str | None = None
) -> ExportFile:
    """The settlement statement (结算单), as a PDF file: its totals, the subsidy in capitals,
    a line per enterprise and voucher, and who closed, approved and paid it. With
    ``provider_uscc``, only that provider's statement is found."""
    query = where_given(
        select(Statement).join(Provider, Provider.id == Statement.provider_id),
        (Statement.id, statement_id),
        (Provider.uscc, provider_uscc),
    )
    statement = session.scalar(query)
    if statement is None:
        raise NotFound(
            "no statement {statement_id}",
            code=ErrorCode.STATEMENT_NOT_FOUND,
            statement_id=statement_id,
        )
    detail = statement_detail(session, statement)
    program = session.get(Program, statement.program_id) if statement.program_id else None
    pdf = pdf_of(
        "statement.html",
        title="武汉市算力服务券结算单",
        number=statement_number(statement),
        policy=POLICY,
        clause=clause_of(program) if program is not None else "第二条",
        provider_name=detail.provider.name,
        provider_uscc=detail.provider.uscc,
        period=statement.period,
        program=f"{program.name}（{program.code}）" if program is not None else "全部政策项目",
        status_text=STATUS_TEXT.get(StatementStatus(statement.status), statement.status),
        record_count=statement.record_count,
        fee_fen=statement.fee_fen,
        subsidy_fen=statement.subsidy_fen,
        enterprise_share_fen=statement.enterprise_share_fen,
        payment_reference=statement.payment_reference,
        groups=detail.groups,
        closed_by=name_of(session, statement.closed_by_id) or "",
        approved_by=name_of(session, statement.approved_by_id) or "",
        paid_by=name_of(session, statement.paid_by_id) or "",
        closed_on=_day(statement.closed_at),
        approved_on=_day(statement.approved_at),
        paid_on=_day(statement.paid_at),
        printed_at=_day(utcnow()),
    )
    return ExportFile(f"statement-{statement.id}-{statement.period}.pdf", PDF, pdf)
