"""The catalogue rows of the inbox and the mail preferences (``i18n.CATALOGUE`` takes them
in): key, zh-CN, en, as in ``i18n``. The messages' own words are the events' texts
(``notifications.events``): the mail and the inbox say the same thing."""

from __future__ import annotations

ROWS: tuple[tuple[str, str, str], ...] = (
    ("nav.inbox", "消息", "Messages"),
    ("inbox.title", "消息", "Messages"),
    ("inbox.lead", "未读消息 {count} 条。", "{count} unread."),
    ("inbox.unread_count", "{count} 条未读消息", "{count} unread messages"),
    ("inbox.mail_link", "邮件通知设置", "Mail settings"),
    ("inbox.read_all", "全部标为已读", "Mark all read"),
    ("inbox.mark_read", "标为已读", "Mark read"),
    ("inbox.read", "已读", "Read"),
    ("inbox.unread", "未读", "Unread"),
    ("inbox.empty", "暂无消息。", "No messages."),
    ("inbox.done_read", "已全部标为已读。", "All messages are marked read."),
    ("inbox.done_mail", "邮件通知设置已保存。", "Your mail settings were saved."),
    ("inbox.mail_title", "邮件通知设置", "Mail settings"),
    (
        "inbox.mail_lead",
        "所有消息都会出现在控制台的“消息”页面；勾选的事件还会发送到下面的邮箱。",
        "Every message appears on the console's Messages page; the events you tick are "
        "also mailed to the address below.",
    ),
    ("inbox.mail_address", "邮箱地址", "Mail address"),
    ("inbox.mail_events", "通过邮件接收", "Receive by mail"),
    (
        "inbox.mail_hint",
        "清空邮箱地址并取消所有勾选即停止邮件通知。",
        "Clear the address and every box to stop mail.",
    ),
    ("inbox.mail_save", "保存", "Save"),
    ("code.invalid_address", "邮箱地址无效：{detail}", "Not a mail address: {detail}"),
    (
        "code.invalid_event",
        "您的角色不能接收该事件：{detail}",
        "Not an event your role receives: {detail}",
    ),
    ("code.message_not_found", "没有这条消息。", "No such message."),
    # The events' names on the preferences page.
    ("event.application.received", "申请已收到", "Application received"),
    ("event.application.returned", "申请被退回修改", "Application returned for changes"),
    ("event.application.approved", "申请已批准", "Application approved"),
    ("event.application.rejected", "申请未获批准", "Application rejected"),
    ("event.application.in_notice", "申请进入公示", "Application in public notice"),
    ("event.voucher.issued", "算力服务券已发放", "Voucher issued"),
    ("event.voucher.expiring", "算力服务券 30 天内到期", "Voucher expiring within 30 days"),
    ("event.voucher.expired", "算力服务券已过期", "Voucher expired"),
    ("event.cap.nearly_used", "补贴上限已使用 80%", "80% of the subsidy cap used"),
    ("event.statement.closed", "结算单已生成", "Statement closed"),
    ("event.statement.approved", "结算单已审核通过", "Statement approved"),
    ("event.statement.paid", "结算单已付款", "Statement paid"),
    ("event.records.refused", "用量记录被拒绝（每日汇总）", "Usage records refused (daily digest)"),
    ("event.applications.waiting", "待审核申请（每日提醒）", "Applications waiting (daily)"),
)
