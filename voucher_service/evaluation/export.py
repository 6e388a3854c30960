"""The evaluation as a workbook for the bureau: Chinese headers, amounts in yuan as exact
decimals (two places), one sheet per breakdown, each with its total."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from starlette.responses import Response

from voucher_service.domain.forecast import METHOD_EN, METHOD_ZH
from voucher_service.evaluation.schemas import decimal_text, whole_fen
from voucher_service.evaluation.service import Evaluation, StatusCounts, SubsidyLine
from voucher_service.exports import XLSX, ExportFile
from voucher_service.labels_zh import SIZE_CLASS

MONEY = "#,##0.00"
PERCENT = "0.00%"

LINE_HEADERS = ["企业数", "计量记录数", "服务费用(元)", "补贴金额(元)"]
STATUS_NAMES = {
    "submitted": "待审",
    "returned": "退回修改",
    "approved": "已批准",
    "rejected": "已驳回",
    "selected": "入选",
    "declined": "未入选",
}


def yuan(fen: int) -> Decimal:
    """Fen as an exact yuan decimal for a cell (never a float)."""
    return Decimal(fen).scaleb(-2)


def share(bp: int | None) -> Decimal | None:
    return None if bp is None else Decimal(bp).scaleb(-4)


def evaluation_xlsx(report: Evaluation) -> bytes:
    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = "概览"
    _rows(overview, ["指标", "数值"], _overview(report))
    for title, first, lines, label in (
        ("按区", "区划代码", report.by_district, "区"),
        ("按服务商", "统一社会信用代码", report.by_provider, "服务商"),
        ("按企业规模", "规模代码", report.by_size_class, "企业规模"),
        ("按月", "月份代码", report.by_month, "月份"),
    ):
        sheet = book.create_sheet(title)
        rows = [_line(x, SIZE_CLASS.get(x.label, x.label)) for x in lines]
        _rows(sheet, [first, label, *LINE_HEADERS], [*rows, _line(report.total, "")])
    capped = book.create_sheet("达到上限企业")
    _rows(
        capped,
        ["统一社会信用代码", "企业名称", "区", "累计补贴(元)", "补助上限(元)"],
        [[c.uscc, c.name, c.district, yuan(c.used_fen), yuan(c.cap_fen)] for c in report.capped],
    )
    _rows(book.create_sheet("下年度券池建议"), ["项目", "数值"], _recommendation(report))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _line(line: SubsidyLine, label: str) -> list[Any]:
    key = "合计" if line.key == "total" else line.key
    return [key, label, line.enterprises, line.records, yuan(line.fee_fen), yuan(line.subsidy_fen)]


def _rows(sheet: Worksheet, headers: list[str], rows: list[list[Any]]) -> None:
    """Headers in bold, then the rows; yuan shown with two places and rates as percentages,
    by what the column (or, in a two-column sheet, the row) says it holds."""
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    by_row = headers[-1] == "数值"
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            name = str(cells[0].value) if by_row else headers[cell.column - 1]
            if "(元)" in name:
                cell.number_format = MONEY
            elif name.endswith("率"):
                cell.number_format = PERCENT
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column) * 2  # CJK is wide
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(12, width))


def _counts(title: str, counts: StatusCounts, rate_title: str) -> list[list[Any]]:
    rows: list[list[Any]] = [[title, counts.total]]
    rows += [[f"  {STATUS_NAMES.get(s, s)}", n] for s, n in sorted(counts.by_status.items())]
    rows.append([rate_title, share(counts.rate_bp)])
    return rows


def _overview(report: Evaluation) -> list[list[Any]]:
    vouchers, pool, total = report.vouchers, report.pool, report.total
    rows: list[list[Any]] = [
        ["项目代码", report.program_code],
        ["项目名称", report.program_name],
        ["年度", report.year],
        ["统计截至", report.as_of.isoformat()],
        ["年度起止", f"{report.first_day.isoformat()} 至 {report.last_day.isoformat()}"],
        *_counts("申请数", report.applications, "批准率"),
    ]
    if report.selections is not None:
        rows += _counts("遴选申请数", report.selections, "入选率")
    rows += [
        ["发放算力券(张)", vouchers.issued],
        ["发放面额(元)", yuan(vouchers.issued_fen)],
        ["已核销(绑定服务商)(张)", vouchers.redeemed],
        ["有效(张)", vouchers.active],
        ["已过期(张)", vouchers.expired],
        ["过期退回券池(元)", yuan(vouchers.expired_released_fen)],
        ["已撤销(张)", vouchers.revoked],
        ["撤销退回券池(元)", yuan(vouchers.revoked_released_fen)],
    ]
    if pool is not None:
        rows += [
            ["券池总额(元)", yuan(pool.total_fen)],
            ["券池可用(元)", yuan(pool.available_fen)],
            ["券上未用余额(元)", yuan(pool.outstanding_fen)],
            ["已补贴(元)", yuan(pool.consumed_fen)],
            ["券池使用率", share(report.utilisation_bp)],
            ["券池承诺率", share(report.commitment_bp)],
        ]
    average = report.days_to_first_usage
    rows += [
        ["计量记录数", total.records],
        ["服务费用(元)", yuan(total.fee_fen)],
        ["补贴金额(元)", yuan(total.subsidy_fen)],
        ["受补贴企业数", total.enterprises],
        ["达到补助上限企业数", len(report.capped)],
        ["申请至首次使用平均天数", decimal_text(average, 1) if average is not None else "—"],
        ["首次使用测算企业数", report.first_usage_measured],
    ]
    advice = report.recommendation
    rows.append(
        [f"{report.next_year}年度建议券池(元)", yuan(advice.recommended_fen) if advice else "—"]
    )
    return rows


def _recommendation(report: Evaluation) -> list[list[Any]]:
    advice = report.recommendation
    if advice is None:
        return [
            ["建议年度", report.next_year],
            ["说明", "本年度尚未开始或项目下年度不再有效,不作建议"],
        ]
    return [
        ["建议年度", report.next_year],
        ["建议券池(元)", yuan(advice.recommended_fen)],
        ["最低额度(元)", yuan(advice.minimum_fen)],
        ["本年净补贴年化(元)", yuan(whole_fen(advice.annualised_fen))],
        ["增长系数", Decimal(decimal_text(advice.growth, 4))],
        ["趋势所用完整月份数", advice.months_in_trend],
        ["下年度有效天数占比", Decimal(decimal_text(advice.next_year_share, 4))],
        ["测算值(取整前)(元)", yuan(whole_fen(advice.estimate_fen))],
        ["测算方法", METHOD_ZH],
        ["Method", METHOD_EN],
    ]


def workbook_response(report: Evaluation) -> Response:
    """The workbook as a download (the API's and the console's)."""
    name = f"evaluation-{report.program_code}-{report.year}.xlsx"
    return ExportFile(name, XLSX, evaluation_xlsx(report)).response()
