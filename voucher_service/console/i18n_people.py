"""The catalogue rows of the enterprise's and the provider's pages (``i18n.CATALOGUE`` takes
them in): key, zh-CN, en, as in ``i18n``.

The Chinese names of coded values (record kinds, outcomes, refusal reasons, units,
statement statuses) are the exports' (``labels_zh``): a page and its download say the same
thing. Their English names are written here."""

from __future__ import annotations

from voucher_service import labels_zh
from voucher_service.db.tables.settlement import StatementStatus
from voucher_service.db.tables.usage import RecordKind
from voucher_service.domain.pricing import Shortfall
from voucher_service.domain.usage import Outcome, Refusal, Unit

_KIND_EN = {
    RecordKind.USAGE: "Usage",
    RecordKind.ADJUSTMENT: "Refund",
    RecordKind.TOP_UP: "District top-up",
}
_OUTCOME_EN = {
    Outcome.SUBSIDISED: "Subsidised",
    Outcome.PARTIAL: "Partly subsidised",
    Outcome.REFUSED: "Refused",
    Outcome.ADJUSTED: "Adjusted",
}
_REASON_EN = {
    Refusal.UNKNOWN_VOUCHER: "No such voucher",
    Refusal.UNKNOWN_REDEMPTION: "No such redemption",
    Refusal.USCC_MISMATCH: "Credit code is not the voucher holder's",
    Refusal.NOT_REDEEMED: "Voucher not redeemed with this provider",
    Refusal.VOUCHER_NOT_ACTIVE: "Voucher no longer active",
    Refusal.FEE_MISMATCH: "Fee is not quantity × unit price",
    Refusal.INVALID_PERIOD: "Invalid service period",
    Refusal.SERVICE_IN_FUTURE: "Service time in the future",
    Refusal.REPORTED_TOO_LATE: "Reported after the grace period",
    Shortfall.OUTSIDE_WINDOW: "Outside the subsidy window",
    Shortfall.VOUCHER_NOT_VALID: "Service date outside the voucher's validity",
    Shortfall.CAP_REACHED: "Subsidy cap reached",
    Shortfall.VOUCHER_EXHAUSTED: "Voucher balance used up",
    Shortfall.STACK_CEILING: "Combined top-up ceiling reached",
}
_UNIT_EN = {
    Unit.CARD_HOUR: "card-hours",
    Unit.CORE_HOUR: "core-hours",
    Unit.GB_MONTH: "GB-months",
    Unit.GB: "GB",
    Unit.MILLION_TOKENS: "million tokens",
}
_STATEMENT_EN = {
    StatementStatus.CLOSED: "Closed",
    StatementStatus.APPROVED: "Approved",
    StatementStatus.PAID: "Paid",
}
# Units whose Chinese name is written in Latin letters all the same (GB).
LATIN_IN_CHINESE = {f"usage.unit.{Unit.GB}"}


def _coded(prefix: str, zh: dict[str, str], en: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    assert zh.keys() == en.keys(), prefix
    return tuple((f"{prefix}{code}", zh[code], en[code]) for code in en)


CODED: tuple[tuple[str, str, str], ...] = (
    *_coded("usage.kind.", labels_zh.KIND, _KIND_EN),
    *_coded("usage.outcome.", labels_zh.OUTCOME, _OUTCOME_EN),
    *_coded("usage.reason.", labels_zh.REASON, _REASON_EN),
    *_coded("usage.unit.", labels_zh.UNIT, _UNIT_EN),
    *_coded("statement.status.", labels_zh.STATUS, _STATEMENT_EN),
)

ROWS: tuple[tuple[str, str, str], ...] = (
    # key, zh-CN, en
    # menus
    ("nav.my_status", "我的额度", "My status"),
    ("nav.my_usage", "使用记录", "Usage records"),
    ("nav.my_apply", "申请算力券", "Apply"),
    ("nav.my_redemptions", "核销绑定", "Redemptions"),
    ("nav.my_keys", "API 密钥", "API keys"),
    ("nav.my_redeemed", "核销绑定", "Redemptions"),
    ("nav.my_records", "计量记录", "Posted records"),
    ("nav.my_statements", "结算单", "Statements"),
    ("nav.my_network", "遥测与健康", "Telemetry and health"),
    # statuses shown as badges
    ("voucher.status.active", "可用", "Active"),
    ("voucher.status.revoked", "已作废", "Revoked"),
    ("voucher.status.expired", "已到期", "Expired"),
    ("application.status.submitted", "审核中", "Under review"),
    ("application.status.returned", "已退回待修改", "Returned for changes"),
    ("application.status.approved", "已批准", "Approved"),
    ("application.status.rejected", "未通过", "Rejected"),
    ("redemption.status.active", "生效中", "Active"),
    ("redemption.status.ended", "已解除", "Ended"),
    ("key.status.active", "有效", "Active"),
    ("key.status.revoked", "已吊销", "Revoked"),
    ("key.status.expired", "已过期", "Expired"),
    ("probe.status.ok", "正常", "Up"),
    ("probe.status.failed", "失败", "Failed"),
    ("program.phase.upcoming", "未开始", "Not yet started"),
    ("program.phase.in_force", "执行中", "In force"),
    ("program.phase.ended", "已结束", "Ended"),
    ("window.ended", "已届满", "Ended"),
    ("check.result.passed", "通过", "Passed"),
    ("check.result.failed", "未通过", "Failed"),
    ("cap_scope.lifetime", "补助期内累计", "over the whole window"),
    ("cap_scope.per_year", "每个补助年度", "per subsidy year"),
    # my status
    ("my_status.title", "我的额度", "My subsidy status"),
    (
        "my_status.waiting",
        "您有 {count} 份申请尚未办结：",
        "{count} of your applications are still open:",
    ),
    (
        "my_status.tops_up",
        "叠加于 {base}，合计不超过费用的 {ceiling}",
        "Tops up {base}, together at most {ceiling} of a fee",
    ),
    ("my_status.selected_models", "限入选模型", "Selected models only"),
    (
        "my_status.topped_up_by",
        "本项目可叠加区级补贴：{codes}",
        "District top-ups on this program: {codes}",
    ),
    ("my_status.rate", "补助比例", "Subsidy rate"),
    ("my_status.cap", "补助上限", "Cap"),
    ("my_status.cap_used", "已用额度", "Cap used"),
    ("my_status.cap_remaining", "剩余额度", "Cap remaining"),
    ("my_status.outstanding", "券内未用余额", "Unspent on vouchers"),
    ("my_status.issuable", "还可申领", "Can still be issued"),
    ("my_status.window", "补助期限", "Subsidy window"),
    (
        "my_status.window_not_started",
        "自首张算力券生效起 {months} 个月",
        "{months} months from your first voucher",
    ),
    ("my_status.used_share", "已用 {share}", "{share} used"),
    (
        "my_status.no_vouchers",
        "您在本项目中还没有算力券。",
        "You have no voucher in this program yet.",
    ),
    (
        "my_status.no_programs",
        "目前没有适用于贵企业的项目。",
        "No program concerns your company at the moment.",
    ),
    (
        "my_status.how",
        "补贴 = 服务费用 × 补助比例，向下取整到分，且不超过剩余额度和算力券余额；"
        "补助期限外的服务不予补贴。",
        "Subsidy = fee × rate, rounded down to the fen, within what is left of your cap and "
        "of the voucher; nothing for service outside your window.",
    ),
    ("vouchers.year", "年度", "Year"),
    # usage records (both audiences)
    ("usage.title", "使用记录", "Usage records"),
    (
        "usage.lead",
        "服务商报送并按您的算力券计算补贴的每一条记录：费用、补贴、您实际支付的金额及原因。",
        "Every record a provider posted against your vouchers: the fee, the subsidy, what you "
        "pay, and why.",
    ),
    (
        "usage.download_hint",
        "下载包含筛选结果中的全部记录（最多 {limit} 条；更多请缩小时段，或通过 API 分页导出）。",
        "A download holds every record the filters select (at most {limit}; beyond that, "
        "narrow the period or page through the API's export).",
    ),
    ("records.title", "计量记录", "Posted records"),
    (
        "records.lead",
        "您报送的每一条记录及其结果；未予补贴的记录注明原因。",
        "Every record you posted and its outcome; a refused one says why.",
    ),
    ("records.caption", "记录", "Records"),
    ("records.service_date", "服务日期", "Service date"),
    ("records.record_id", "记录编号", "Record"),
    ("records.kind", "类型", "Kind"),
    ("records.provider", "服务商", "Provider"),
    ("records.enterprise", "企业信用代码", "Enterprise"),
    ("records.voucher", "算力券", "Voucher"),
    ("records.resource", "资源", "Resource"),
    ("records.fee", "费用", "Fee"),
    ("records.subsidy", "补贴", "Subsidy"),
    ("records.top_ups", "区级叠加", "Top-ups"),
    ("records.enterprise_pays", "企业实付", "Enterprise pays"),
    ("records.outcome", "结果", "Outcome"),
    ("records.reason", "原因", "Reason"),
    ("records.from", "服务日期自", "From"),
    ("records.to", "服务日期至", "To"),
    # applications
    ("apply.title", "申请算力券", "Apply for a voucher"),
    (
        "apply.lead",
        "提交后系统立即完成自动核查（注册地、企业规模、黑名单、补助期限、申请金额），再由市经信局审核。",
        "On submission the automatic checks answer at once (region, size, blacklist, window, "
        "amount); then the bureau reviews it.",
    ),
    ("apply.new", "新的申请", "A new application"),
    ("apply.program", "项目", "Program"),
    ("apply.year", "年度", "Year"),
    ("apply.requested", "申请金额（元）", "Amount asked (yuan)"),
    ("apply.approved", "批准金额", "Amount approved"),
    ("apply.yuan_hint", "如 80000 或 80,000.00", "e.g. 80000 or 80,000.00"),
    ("apply.size_class", "企业规模", "Size class"),
    ("apply.headcount", "从业人数", "Headcount"),
    ("apply.revenue", "上年营业收入（元）", "Last year's revenue (yuan)"),
    ("apply.planned_use", "算力用途", "Planned use"),
    ("apply.providers", "拟购买算力的服务商", "Providers you mean to buy from"),
    (
        "apply.declaration",
        "本企业声明与上述服务商不存在关联关系",
        "We declare no related-party relationship with these providers",
    ),
    ("apply.submit", "提交申请", "Submit"),
    ("apply.no_programs", "目前没有可申请的项目。", "No program takes applications now."),
    ("apply.caption", "我的申请", "My applications"),
    ("apply.id", "编号", "No."),
    ("apply.status", "状态", "Status"),
    ("apply.voucher", "算力券", "Voucher"),
    ("apply.created_at", "提交时间", "Submitted"),
    ("apply.open", "查看", "Open"),
    ("apply.number", "申请 #{id}", "Application #{id}"),
    (
        "apply.submitted",
        "申请已提交，自动核查结果如下。",
        "Submitted: the automatic checks answered.",
    ),
    ("apply.resubmitted", "申请已重新提交。", "Resubmitted."),
    ("apply.decision", "审核意见：", "Decision:"),
    ("apply.redeem_now", "去绑定服务商", "Redeem it with a provider"),
    ("apply.checks", "自动核查", "Automatic checks"),
    (
        "apply.checks_lead",
        "任一项未通过，申请即自动驳回并注明原因。",
        "If any check fails, the application is rejected at once, with the reason.",
    ),
    ("apply.check", "核查项", "Check"),
    ("apply.check_result", "结果", "Result"),
    ("apply.check_detail", "说明", "Detail"),
    ("apply.flags", "提示（供审核人员参考）", "Flags (for the reviewer)"),
    ("apply.no_flags", "无", "None"),
    ("apply.resubmit", "修改后重新提交", "Change and resubmit"),
    (
        "apply.resubmit_lead",
        "审核人员已退回此申请，请按审核意见修改后重新提交，系统将重新核查。",
        "The reviewer returned this application: change what they asked and resubmit; the "
        "checks run again.",
    ),
    ("apply.resubmit_submit", "重新提交", "Resubmit"),
    ("check.region.what", "注册地在项目适用区域内", "Registered where the program applies"),
    ("check.sme.what", "符合项目的中小企业标准", "Within the program's SME limits"),
    ("check.blacklist.what", "未被列入黑名单", "Not barred from applying"),
    ("check.window.what", "三年补助期限尚未届满", "The subsidy window has not ended"),
    ("check.selection.what", "模型已入选当年遴选名单", "The model is selected for the year"),
    ("check.amount.what", "不超过还可申领的额度", "Within what may still be issued"),
    # redemptions
    ("redeem.title", "核销绑定", "Redemptions"),
    (
        "redeem.lead",
        "将算力券绑定到服务商后，该服务商在开具账单时直接抵扣补贴（即领即用），您只需支付自付部分。",
        "Once a voucher is redeemed with a provider, the provider deducts the subsidy when it "
        "bills you: you pay only your share.",
    ),
    ("redeem.new", "绑定服务商", "Redeem a voucher"),
    ("redeem.voucher", "算力券", "Voucher"),
    ("redeem.balance", "余额 {balance}", "balance {balance}"),
    ("redeem.provider", "服务商", "Provider"),
    ("redeem.provider_uscc", "服务商信用代码", "Provider's credit code"),
    ("redeem.enterprise", "企业信用代码", "Enterprise"),
    ("redeem.submit", "绑定", "Redeem"),
    (
        "redeem.nothing",
        "没有可绑定的有效算力券或服务商。",
        "No active voucher or provider to redeem with.",
    ),
    ("redeem.caption", "我的核销绑定", "My redemptions"),
    ("redeem.status", "状态", "Status"),
    ("redeem.created_at", "绑定时间", "Redeemed"),
    ("redeem.ended_at", "解除时间", "Ended"),
    ("redeem.end", "解除", "End"),
    (
        "redeem.end_confirm",
        "解除后 {provider} 将不能再使用这张算力券抵扣，确定解除？",
        "{provider} will no longer draw on this voucher. End the redemption?",
    ),
    ("redeem.done", "已绑定。", "Redeemed."),
    ("redeem.ended", "已解除绑定。", "The redemption has ended."),
    ("redeemed.title", "核销绑定", "Vouchers redeemed with me"),
    ("redeemed.caption", "在本单位核销的算力券", "Vouchers redeemed with me"),
    (
        "redeemed.lead",
        "企业将算力券绑定到贵单位后，贵单位可按券报送计量记录并在账单中抵扣补贴；已解除的绑定不能再抵扣。",
        "Once an enterprise redeems a voucher with you, you may post usage against it and "
        "deduct the subsidy; an ended redemption may no longer be drawn on.",
    ),
    # statements
    ("my_statements.title", "结算单", "Statements"),
    (
        "statements.lead",
        "市经信局按月、按资金来源为贵单位关账结算；审核后支付。",
        "Each month the bureau closes your statements, one per funding source; it approves "
        "and then pays them.",
    ),
    ("my_statements.caption", "我的结算单", "My statements"),
    ("statements.number", "{period} 结算单", "Statement {period}"),
    ("statements.program", "资金来源", "Funding program"),
    ("statements.fee", "费用", "Fees"),
    ("my_statements.subsidy", "应付补贴", "Subsidy owed"),
    ("statements.payment_reference", "支付凭证号", "Payment reference"),
    ("statements.open", "查看", "Open"),
    ("statements.lines", "明细", "Lines"),
    ("statements.enterprise", "企业", "Enterprise"),
    ("statements.uscc", "信用代码", "Credit code"),
    ("statements.voucher", "算力券", "Voucher"),
    ("statements.record", "记录编号", "Record"),
    ("statements.late", "迟报", "Late"),
    ("statements.late.true", "是", "Yes"),
    ("statements.late.false", "否", "No"),
    # telemetry and health
    ("network.title", "遥测与健康", "Telemetry and health"),
    (
        "network.lead",
        "市算力网络运行监测看到的贵单位：质量评分、最新容量、健康探测，以及本单位价格与价格指数的比较。",
        "What the city's monitoring of the compute network sees of you: your quality score, "
        "latest capacity, health probes, and your prices against the index.",
    ),
    ("network.score", "质量评分", "Quality score"),
    ("network.parts", "评分构成", "How the score is made"),
    ("network.part.availability", "可用性", "Availability"),
    ("network.part.latency", "响应时延", "Latency"),
    ("network.part.freshness", "遥测及时性", "Telemetry freshness"),
    ("network.part.records", "记录质量", "Record quality"),
    (
        "network.parts_hint",
        "各项取值 0–1：近 24 小时探测成功率、探测时延中位数（≤200 毫秒满分）、"
        "最近遥测距今（≤15 分钟满分）、近 30 天未被拒绝或调整的记录占比。",
        "Each part is 0-1: probe success in the last 24 hours, median probe latency (full at "
        "200 ms or less), age of the last telemetry (full at 15 minutes or less), share of the "
        "last 30 days' records neither refused nor adjusted.",
    ),
    ("network.health_url", "健康探测地址：", "Health endpoint:"),
    (
        "network.no_health_url",
        "尚未登记健康探测地址（由市经信局登记）；可用性与时延按满分计。",
        "No health endpoint registered (the bureau registers it): availability and latency "
        "count as full.",
    ),
    ("network.capacity", "最新容量", "Latest capacity"),
    ("network.model", "加速卡型号", "Accelerator model"),
    ("network.observed_at", "观测时间", "Observed"),
    ("network.total", "总数", "Total"),
    ("network.available", "空闲", "Available"),
    ("network.utilisation", "利用率", "Utilisation"),
    ("network.utilisation_percent", "利用率（%）", "Utilisation (%)"),
    ("network.queue_wait", "排队等待（秒）", "Queue wait (s)"),
    ("network.list_price", "挂牌价（元/卡时）", "List price (yuan per card-hour)"),
    ("network.index", "价格指数", "Price index"),
    ("network.report", "报送当前容量", "Report capacity now"),
    (
        "network.report_lead",
        "系统对接请每隔几分钟调用遥测接口报送；此处可手工报送一次（观测时间为当前时间）。",
        "Systems post telemetry every few minutes through the API; report once by hand here "
        "(observed now).",
    ),
    ("network.report_submit", "报送", "Report"),
    ("network.telemetry_stored", "已报送。", "Reported."),
    ("network.probes", "最近健康探测", "Latest health probes"),
    ("network.probed_at", "探测时间", "Probed"),
    ("network.result", "结果", "Result"),
    ("network.latency", "时延（毫秒）", "Latency (ms)"),
    ("network.status_code", "HTTP 状态", "HTTP status"),
    ("network.error", "错误", "Error"),
    ("network.flagged", "价格偏高提示（近 30 天）", "Priced above the index (last 30 days)"),
    ("network.unit_price", "单价", "Unit price"),
    ("network.posted_at", "报送时间", "Posted"),
    (
        "network.flagged_hint",
        "单价高于该型号价格指数 1.5 倍的记录会提示市经信局复核，但不会因此被拒绝补贴。",
        "Records priced above 1.5 × their model's index are flagged for the bureau's review; "
        "they are never refused for it.",
    ),
    # API keys
    ("keys.title", "API 密钥", "API keys"),
    (
        "keys.lead",
        "供 {holder} 的系统调用接口使用。密钥只在创建时显示一次，请妥善保存。",
        "For the systems of {holder} to call the API. A key is shown only when it is made: "
        "store it safely.",
    ),
    ("keys.create", "创建密钥", "Create a key"),
    ("keys.name", "用途", "What it is for"),
    ("keys.name_hint", "如：财务系统 2026", "e.g. billing system 2026"),
    ("keys.expires_on", "有效期至", "Valid until"),
    ("keys.expires_hint", "留空为长期有效", "Empty: no expiry"),
    ("keys.create_submit", "创建", "Create"),
    (
        "keys.rotation",
        "轮换密钥：先创建新密钥，在系统中换用后，再吊销旧密钥。",
        "To rotate a key: create a new one, switch your system to it, then revoke the old one.",
    ),
    (
        "keys.shown_once",
        "新密钥「{name}」（仅显示这一次，请立即复制保存）：",
        "The new key \u201c{name}\u201d (shown only now: copy and store it):",
    ),
    ("keys.caption", "我的密钥", "My keys"),
    ("keys.prefix", "前缀", "Prefix"),
    ("keys.status", "状态", "Status"),
    ("keys.created_at", "创建时间", "Created"),
    ("keys.last_used_at", "最近使用", "Last used"),
    ("keys.expires_at", "到期时间", "Expires"),
    ("keys.revoke", "吊销", "Revoke"),
    (
        "keys.revoke_confirm",
        "吊销后使用密钥 {prefix} 的系统将立即无法调用接口，确定吊销？",
        "Systems using key {prefix} are refused at once. Revoke it?",
    ),
    ("keys.revoked", "密钥已吊销。", "The key is revoked."),
    # refusals of the forms (pages.describe)
    ("code.already_exists", "已存在：{detail}", "Already exists: {detail}"),
    (
        "code.provider_suspended",
        "该服务商已被暂停：{detail}",
        "The provider is suspended: {detail}",
    ),
    (
        "code.program_not_valid",
        "项目不在有效期内：{detail}",
        "Outside the program's validity: {detail}",
    ),
    ("code.invalid_year", "年度有误：{detail}", "Wrong year: {detail}"),
    ("code.invalid_expiry", "有效期须晚于现在。", "The expiry must be in the future."),
    ("code.invalid_voucher_code", "算力券编号格式有误：{detail}", "Not a voucher code: {detail}"),
    ("code.invalid_time", "时间有误：{detail}", "Wrong time: {detail}"),
    ("code.invalid_capacity", "空闲数不能大于总数。", "Available cannot exceed the total."),
    ("code.key_not_found", "没有这个密钥。", "No such key."),
    ("code.redemption_not_found", "没有这条核销绑定。", "No such redemption."),
    *CODED,
)
