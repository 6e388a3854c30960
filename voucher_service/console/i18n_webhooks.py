"""The console's strings of the webhook pages and the printable documents' buttons (key,
zh-CN, English), registered in ``i18n.CATALOGUE``; moved into the gettext catalogs at merge."""

from __future__ import annotations

ROWS: tuple[tuple[str, str, str], ...] = (
    ("nav.my_webhooks", "Webhook 推送", "Webhooks"),
    ("webhooks.title", "Webhook 推送", "Webhooks"),
    (
        "webhooks.lead",
        "兑付的建立与结束、结算单的关账、审核与支付、被拒绝的计量记录，"
        "都会以签名的 HTTP 请求推送到您登记的地址；接收方未应答时按指数退避重试一天。",
        "Redemptions created and ended, statements closed, approved and paid, and refused "
        "records are pushed as signed HTTP requests to the addresses you register; while a "
        "receiver does not answer, they are retried with backoff for a day.",
    ),
    ("webhooks.create", "登记接收地址", "Register an endpoint"),
    ("webhooks.create_submit", "登记", "Register"),
    ("webhooks.url", "接收地址", "URL"),
    ("webhooks.description", "说明", "Description"),
    (
        "webhooks.verify_hint",
        "请用签名密钥校验每个请求的 Voucher-Signature 头"
        "（见 Python 客户端的 verify_webhook），并按事件编号去重。",
        "Verify each request's Voucher-Signature header with the signing secret (the Python "
        "client's verify_webhook), and de-duplicate by event id.",
    ),
    (
        "webhooks.shown_once",
        "{url} 的签名密钥如下，只显示这一次，请立即保存：",
        "The signing secret of {url}, shown this once: store it now.",
    ),
    ("webhooks.endpoints", "接收地址", "Endpoints"),
    ("webhooks.id", "地址编号", "Endpoint"),
    ("webhooks.created_at", "创建时间", "Created"),
    ("webhooks.previous_until", "旧密钥有效至", "Previous secret valid until"),
    ("webhooks.rotate", "更换密钥", "Rotate secret"),
    (
        "webhooks.rotate_confirm",
        "生成新密钥？旧密钥在 24 小时内仍会签名。",
        "Make a new secret? The old one still signs for 24 hours.",
    ),
    ("webhooks.delete", "删除", "Delete"),
    (
        "webhooks.delete_confirm",
        "删除 {url}？未送达的推送将不再发送。",
        "Delete {url}? Deliveries not yet made will not be sent.",
    ),
    ("webhooks.deleted", "接收地址已删除。", "The endpoint was deleted."),
    ("webhooks.deliveries", "推送记录", "Delivery log"),
    ("webhooks.delivery", "推送编号", "Delivery"),
    ("webhooks.delivery_title", "推送 {id}", "Delivery {id}"),
    ("webhooks.event_type", "事件类型", "Event"),
    ("webhooks.event_id", "事件编号", "Event id"),
    ("webhooks.status", "状态", "Status"),
    ("webhooks.status.pending", "待发送", "Pending"),
    ("webhooks.status.delivered", "已送达", "Delivered"),
    ("webhooks.status.failed", "失败", "Failed"),
    ("webhooks.attempts", "尝试次数", "Attempts"),
    ("webhooks.delivered_at", "送达时间", "Delivered"),
    ("webhooks.attempt_log", "尝试记录", "Attempts"),
    ("webhooks.attempted_at", "尝试时间", "Tried"),
    ("webhooks.response_status", "应答状态码", "Response"),
    ("webhooks.latency_ms", "耗时（毫秒）", "Latency (ms)"),
    ("webhooks.error", "错误", "Error"),
    ("webhooks.body", "请求正文", "Body"),
    ("webhooks.resend", "重新发送", "Resend"),
    ("webhooks.resent", "已安排重新发送。", "The delivery will be sent again."),
    ("documents.approval_notice", "下载审批通知书（PDF）", "Approval notice (PDF)"),
    ("documents.statement", "下载结算单（PDF）", "Statement (PDF)"),
)
