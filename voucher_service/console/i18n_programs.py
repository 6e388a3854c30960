"""The catalogue rows of a program's settings (voucher validity, selection fields): key,
zh-CN, en, as in ``i18n``."""

from __future__ import annotations

ROWS: tuple[tuple[str, str, str], ...] = (
    (
        "confirmations.kind.program.settings",
        "修改项目设置：{program} 算力券有效期{validity}；遴选领域：{fields}",
        "Program settings of {program}: vouchers valid {validity}; selection fields: {fields}",
    ),
    (
        "confirmations.kind.program.create",
        "新建项目：{program}（{name}），有效期 {valid_from} 至 {valid_to}",
        "New program: {program} ({name}), valid {valid_from} to {valid_to}",
    ),
    ("programs.validity.pool_year", "至资金池年度末", "to the end of the pool's year"),
    ("programs.validity.months", "自发放起 {months} 个月", "{months} months from issue"),
    ("programs.validity.window", "至补助期限届满", "to the end of the subsidy window"),
)
