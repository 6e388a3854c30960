"""The catalogue rows of names, search, sorting and numbered pages (issue 23, item 1): key,
zh-CN, en, as in ``i18n``."""

from __future__ import annotations

ROWS: tuple[tuple[str, str, str], ...] = (
    ("search.label", "搜索", "Search"),
    ("search.hint_companies", "企业名称或信用代码", "Company name or credit code"),
    (
        "table.page_of",
        "第 {page} / {pages} 页 · 共 {total} 条",
        "Page {page} of {pages} · {total} in all",
    ),
    ("table.pages", "页码", "Pages"),
    ("table.sort_by", "按此列排序", "Sort by this column"),
    ("names.enterprise", "企业名称", "Company"),
    ("names.provider", "服务商名称", "Provider"),
    ("menu.waiting", "待审 {count} 件", "{count} waiting"),
    (
        "search.hint_vouchers",
        "券码、企业名称或信用代码",
        "Voucher code, company name or credit code",
    ),
    (
        "search.hint_statements",
        "服务商名称、信用代码或账期",
        "Provider name, credit code or period",
    ),
    ("search.hint_records", "记录号、券码或企业名称", "Record id, voucher code or company name"),
    (
        "error.bad_q",
        "搜索内容最多 100 个字，且不能含控制字符",
        "A search is at most 100 characters, with no control characters",
    ),
    ("error.bad_sort", "不能按该列排序", "The list cannot be sorted that way"),
    (
        "error.bad_year",
        "年度应为 2000 至 2100 之间的数字",
        "The year is a number from 2000 to 2100",
    ),
    (
        "error.bad_filters",
        "筛选条件有误，请检查后重试",
        "A filter is not valid: check and try again",
    ),
)
