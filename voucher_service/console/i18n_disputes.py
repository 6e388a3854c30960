"""The catalogue rows of the spreadsheet upload and of disputes (the provider's and the
bureau's pages): key, zh-CN, en, as in ``i18n`` (moved into the gettext catalogues at merge)."""

from __future__ import annotations

ROWS: tuple[tuple[str, str, str], ...] = (
    ("nav.my_disputes", "异议", "Disputes"),
    ("nav.bureau.disputes", "异议处理", "Disputes"),
    # the records page: the upload and each record's dispute link
    ("records.dispute_column", "异议", "Dispute"),
    ("records.dispute", "提出异议", "Dispute"),
    ("upload.title", "表格导入计量记录", "Upload records from a spreadsheet"),
    (
        "upload.hint",
        "未对接接口的服务商可按模板填写 CSV 或 XLSX 文件导入，每行一条记录，与接口批量报送同样"
        "定价、同样按记录编号只计一次（重复导入同一文件不会重复补贴）。每个文件至多 {rows} 行、"
        "{mb} MB；表头可用中文或接口字段名；时间未写时区的按北京时间。",
        "Providers without an API integration upload a CSV or XLSX in the template's layout, "
        "one record a row: priced as the API's batch prices them, each record id once "
        "(uploading the same file again subsidises nothing twice). At most {rows} rows and "
        "{mb} MB a file; headers in Chinese or the API's field names; times without a zone "
        "are Beijing time.",
    ),
    ("upload.template", "下载模板", "Template"),
    ("upload.file", "选择文件（CSV 或 XLSX）", "File (CSV or XLSX)"),
    ("upload.submit", "导入", "Upload"),
    ("upload.result_title", "导入结果：{name}", "Upload result: {name}"),
    (
        "upload.summary",
        "新记录 {created} 条，重复提交 {replayed} 条，编号冲突 {conflicts} 条，无效 {invalid} 条；"
        "本次新增补贴 {subsidy}。",
        "{created} new, {replayed} replayed, {conflicts} conflicting, {invalid} invalid; "
        "new subsidy {subsidy}.",
    ),
    (
        "upload.unchanged",
        "该文件的记录均已导入过：本次没有任何变化。",
        "Every record of this file was posted before: nothing changed.",
    ),
    ("upload.outcomes", "逐行结果", "Outcome of each row"),
    ("upload.row", "行号", "Row"),
    ("upload.status", "处理", "Status"),
    ("upload.status.created", "已入账", "Posted"),
    ("upload.status.replayed", "重复提交", "Replayed"),
    ("upload.status.conflict", "编号冲突", "Id conflict"),
    ("upload.status.invalid", "无效", "Invalid"),
    ("upload.enterprise_share", "企业自付", "Enterprise pays"),
    ("upload.error", "问题", "Problem"),
    (
        "code.invalid_upload",
        "无法读取该文件：{detail}",
        "The file cannot be read: {detail}",
    ),
    # disputes, both sides
    ("dispute.status.open", "待处理", "Open"),
    ("dispute.status.accepted", "已采纳", "Accepted"),
    ("dispute.status.declined", "未采纳", "Declined"),
    ("dispute.correction.repost", "重新报送", "Repost"),
    ("dispute.correction.refund", "退款调整", "Refund"),
    ("dispute.correction.none", "无需调整", "No correction"),
    ("disputes.id", "编号", "No."),
    ("disputes.provider", "服务商", "Provider"),
    ("disputes.reason", "异议理由", "Reason"),
    ("disputes.status", "状态", "Status"),
    ("disputes.raised_at", "提出时间", "Raised"),
    ("disputes.raised_by", "提出人", "Raised by"),
    ("disputes.correction", "更正方式", "Correction"),
    ("disputes.correction_record", "更正记录编号", "Correcting record"),
    ("disputes.resolution", "处理意见", "Resolution"),
    ("disputes.decided_by", "处理人", "Decided by"),
    ("disputes.decided_at", "处理时间", "Decided"),
    ("disputes.mine", "我的异议", "My disputes"),
    ("disputes.mine_title", "我的异议", "My disputes"),
    (
        "disputes.mine_lead",
        "对计量记录的定价或拒绝补贴有异议的，可在记录旁点“提出异议”。市经信局采纳后，"
        "按处理意见重新报送或退款调整；异议本身不改变任何金额。",
        "Dispute a record's price or refusal from the records page. If the bureau accepts, "
        "repost or refund as its resolution says; a dispute itself changes no amount.",
    ),
    ("disputes.of_record", "该记录的异议", "Disputes of this record"),
    ("disputes.record_title", "记录 {record}", "Record {record}"),
    ("disputes.raise", "提出异议", "Dispute this record"),
    (
        "disputes.raise_hint",
        "请写明理由（如企业信用代码已更正、计量有误）。每条记录同时只能有一项待处理的异议。",
        "Say why (the credit code was corrected, the metering was wrong...). A record has one "
        "open dispute at a time.",
    ),
    ("disputes.submit", "提交异议", "Submit"),
    (
        "disputes.raised",
        "异议已提交，等待市经信局处理。",
        "Dispute raised: the bureau will decide.",
    ),
    ("disputes.title", "异议处理", "Disputes"),
    (
        "disputes.lead",
        "服务商对计量记录提出的异议，先到先处理。采纳时注明更正方式（服务商重新报送或退款调整，"
        "资金只经原有路径变动）；不采纳须写明原因。",
        "Providers' disputes of their records, oldest first. Accept naming the correction "
        "(the provider reposts or refunds: money moves only by those paths) or decline with "
        "a reason.",
    ),
    ("disputes.caption", "异议", "Disputes"),
    ("disputes.one", "异议 {id}", "Dispute {id}"),
    ("disputes.accept", "采纳", "Accept"),
    (
        "disputes.accept_hint",
        "采纳不直接变动金额：请选择更正方式；服务商已重新报送或退款的，填写该记录编号。",
        "Accepting moves no money: choose the correction; if the provider has already "
        "reposted or refunded, give that record's id.",
    ),
    ("disputes.decline", "不予采纳", "Decline"),
    ("disputes.decline_reason", "不予采纳的原因", "Why it is declined"),
    ("disputes.done_accepted", "已采纳该异议。", "Dispute accepted."),
    ("disputes.done_declined", "已不予采纳该异议。", "Dispute declined."),
    (
        "code.dispute_open",
        "该记录已有待处理的异议，请等待处理结果。",
        "This record already has an open dispute: wait for the decision.",
    ),
    (
        "code.not_disputable",
        "退款记录和区级叠加记录不能提出异议，请对其所属的计量记录提出。",
        "Refunds and district layers are not disputed: dispute their usage record.",
    ),
    ("code.dispute_not_found", "没有这项异议。", "No such dispute."),
    ("code.record_not_found", "没有这条计量记录。", "No such usage record."),
)
