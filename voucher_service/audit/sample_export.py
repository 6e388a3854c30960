"""An audit sample as files for the auditor: CSV (one line per sampled record, its evidence
summarised) and XLSX (the sample's terms, the records, their postings, their audit entries).
Chinese headers; amounts in yuan with two places (exact decimals in the workbook)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from voucher_service.audit.sampling import METHOD, Evidence, Sample
from voucher_service.money import fen_to_yuan

RECORD_COLUMNS = [
    "抽样序号",
    "记录内部ID",
    "服务商信用代码",
    "服务商",
    "记录编号",
    "企业信用代码",
    "算力券编号",
    "项目",
    "券池年度",
    "服务日期",
    "费用(元)",
    "全额补贴(元)",
    "补贴(元)",
    "企业自付(元)",
    "结果",
    "原因",
    "规则版本",
    "规则生效日期",
    "补贴比例(bp)",
    "补助上限(元)",
    "兑付ID",
    "兑付时间",
    "退款(元)",
    "退回补贴(元)",
    "会计分录",
    "审计条目",
]
POSTING_COLUMNS = [
    "抽样序号",
    "记录编号",
    "分录ID",
    "类型",
    "转出账户",
    "转入账户",
    "金额(元)",
    "时间",
    "摘要",
]
ENTRY_COLUMNS = [
    "抽样序号",
    "记录编号",
    "条目ID",
    "链上序号",
    "时间",
    "操作人",
    "动作",
    "对象类型",
    "对象ID",
    "变更前",
    "变更后",
    "哈希",
]


def record_row(item: Evidence) -> list[Any]:
    """One sampled record and its evidence, summarised on one line."""
    record, voucher, rules, redemption = item.record, item.voucher, item.rules, item.redemption
    return [
        item.draw,
        record.id,
        item.provider.uscc,
        item.provider.name,
        record.record_id,
        record.uscc,
        voucher.code,
        item.program_code,
        item.pool_year,
        record.service_date.isoformat(),
        fen_to_yuan(record.fee_fen),
        fen_to_yuan(record.full_subsidy_fen),
        fen_to_yuan(record.subsidy_fen),
        fen_to_yuan(record.enterprise_share_fen),
        record.outcome,
        record.reason or "",
        rules.version,
        rules.effective_from.isoformat(),
        rules.rate_bp,
        fen_to_yuan(rules.cap_fen),
        redemption.id if redemption else "",
        redemption.created_at.isoformat() if redemption else "",
        fen_to_yuan(-sum(a.fee_fen for a in item.adjustments)),
        fen_to_yuan(-sum(a.subsidy_fen for a in item.adjustments)),
        "; ".join(
            f"#{p.id} {p.kind} {p.from_account}->{p.to_account} {fen_to_yuan(p.amount_fen)}"
            for p in item.postings
        ),
        "; ".join(f"#{e.id} {e.action} {e.target_type}:{e.target_id}" for e in item.audit_entries),
    ]


def sample_csv(found: Sample) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RECORD_COLUMNS)
    for item in found.items:
        writer.writerow(record_row(item))
    return out.getvalue().encode("utf-8-sig")


def sample_xlsx(found: Sample) -> bytes:
    """The sample as a workbook: its terms, the records drawn, their postings and their
    audit entries, a sheet each."""
    book = Workbook()
    terms = book.active
    assert terms is not None
    terms.title = "抽样说明"
    _fill(terms, ["项目", "值"], _terms_rows(found))
    _fill(book.create_sheet("样本记录"), RECORD_COLUMNS, [record_row(i) for i in found.items])
    _fill(book.create_sheet("会计分录"), POSTING_COLUMNS, _posting_rows(found))
    _fill(book.create_sheet("审计日志"), ENTRY_COLUMNS, _entry_rows(found))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _terms_rows(found: Sample) -> list[list[Any]]:
    spec = found.spec
    return [
        ["随机种子 seed", spec.seed],
        ["样本量 n", spec.n],
        ["总体记录数", found.population],
        ["抽中记录数", len(found.items)],
        ["项目代码", spec.program_code or "全部"],
        ["服务日期自", spec.date_from.isoformat() if spec.date_from else "—"],
        ["服务日期至", spec.date_to.isoformat() if spec.date_to else "—"],
        ["抽样方法", METHOD],
    ]


def _posting_rows(found: Sample) -> list[list[Any]]:
    return [
        [
            item.draw,
            item.record.record_id,
            p.id,
            p.kind,
            p.from_account,
            p.to_account,
            fen_to_yuan(p.amount_fen),
            p.created_at.isoformat(),
            p.memo,
        ]
        for item in found.items
        for p in item.postings
    ]


def _entry_rows(found: Sample) -> list[list[Any]]:
    return [
        [
            item.draw,
            item.record.record_id,
            e.id,
            e.seq,
            e.occurred_at.isoformat(),
            e.actor,
            e.action,
            e.target_type,
            e.target_id,
            e.before or "",
            e.after or "",
            e.hash or "",
        ]
        for item in found.items
        for e in item.audit_entries
    ]


def _fill(sheet: Any, headers: list[str], rows: list[list[Any]]) -> None:
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    money = {i for i, h in enumerate(headers) if "(元)" in h}
    for row in rows:
        sheet.append([Decimal(v) if i in money else v for i, v in enumerate(row)])
    for i in money:
        for cell in list(sheet.columns)[i][1:]:
            cell.number_format = "#,##0.00"
