"""Chinese names of the coded values that exports show, so that a file with Chinese headers
reads in Chinese throughout (类型 计量, not ``usage``; 迟报 否, not ``False``).

One table per column that holds a code; ``in_chinese`` leaves any other value as it is.
The API and the English exports keep the codes, which clients program against.
"""

from __future__ import annotations

from typing import Any

from voucher_service.db.tables.applications import UNDECLARED, SizeClass
from voucher_service.db.tables.settlement import StatementStatus
from voucher_service.db.tables.usage import RecordKind
from voucher_service.domain.pricing import Shortfall
from voucher_service.domain.usage import Outcome, Refusal, ResourceKind, Unit

KIND = {
    RecordKind.USAGE: "计量",
    RecordKind.ADJUSTMENT: "退款调整",
    RecordKind.TOP_UP: "区级叠加补贴",
}
OUTCOME = {
    Outcome.SUBSIDISED: "全额补贴",
    Outcome.PARTIAL: "部分补贴",
    Outcome.REFUSED: "不予补贴",
    Outcome.ADJUSTED: "调整",
}
REASON = {
    Refusal.UNKNOWN_VOUCHER: "算力券不存在",
    Refusal.UNKNOWN_REDEMPTION: "核销记录不存在",
    Refusal.USCC_MISMATCH: "信用代码与持券企业不符",
    Refusal.NOT_REDEEMED: "算力券未在本服务商核销",
    Refusal.VOUCHER_NOT_ACTIVE: "算力券已失效",
    Refusal.FEE_MISMATCH: "费用与数量×单价不符",
    Refusal.INVALID_PERIOD: "服务时段无效",
    Refusal.SERVICE_IN_FUTURE: "服务时间在未来",
    Refusal.REPORTED_TOO_LATE: "报送超过宽限期",
    Shortfall.OUTSIDE_WINDOW: "超出补助期限",
    Shortfall.VOUCHER_NOT_VALID: "服务日期不在算力券有效期内",
    Shortfall.CAP_REACHED: "已达补助上限",
    Shortfall.VOUCHER_EXHAUSTED: "算力券余额不足",
    Shortfall.STACK_CEILING: "叠加补贴已达合计比例上限",
}
RESOURCE_KIND = {
    ResourceKind.ACCELERATOR: "加速卡",
    ResourceKind.CPU: "CPU",
    ResourceKind.STORAGE: "存储",
    ResourceKind.NETWORK: "网络",
    ResourceKind.MODEL_API: "模型API",
}
UNIT = {
    Unit.CARD_HOUR: "卡时",
    Unit.CORE_HOUR: "核时",
    Unit.GB_MONTH: "GB·月",
    Unit.GB: "GB",
    Unit.MILLION_TOKENS: "百万tokens",
}
STATUS = {
    StatementStatus.CLOSED: "已关账",
    StatementStatus.APPROVED: "已审核",
    StatementStatus.PAID: "已支付",
}
SIZE_CLASS = {
    SizeClass.MICRO: "微型",
    SizeClass.SMALL: "小型",
    SizeClass.MEDIUM: "中型",
    UNDECLARED: "未申报",
}
YES_NO = {True: "是", False: "否"}

COLUMNS: dict[str, dict[Any, str]] = {
    "kind": KIND,
    "outcome": OUTCOME,
    "reason": REASON,
    "resource_kind": RESOURCE_KIND,
    "unit": UNIT,
    "status": STATUS,
    "late": YES_NO,
    "size_class": SIZE_CLASS,
}


def in_chinese(column: str, value: Any) -> Any:
    """``value`` of ``column`` as a Chinese reader should see it: coded values by name,
    booleans as 是/否, anything else unchanged."""
    names = COLUMNS.get(column)
    if names is None or value is None:
        return value
    return names.get(value, value)
