"""The console's languages: zh-CN by default, English on request.

Every visible string of the console is a key in ``CATALOGUE``, one row per key with its
Chinese and English text side by side (so neither can be forgotten); ``MESSAGES`` is the
per-language dictionary made from it. A template writes ``{{ t("sign_in.title") }}``; an
unknown key is an error, caught by the tests, never a blank on a page.

The language is ``?lang=en`` or ``?lang=zh-CN`` (remembered in a cookie), else the cookie,
else zh-CN: the program is Wuhan's, and Chinese is what a clerk expects whatever the
browser's settings say.
"""

from __future__ import annotations

from fastapi import Request

from voucher_service.console import i18n_notice, i18n_people
from voucher_service.console.i18n_bureau import BUREAU_CATALOGUE

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LANGUAGE_COOKIE = "vs_lang"
LANGUAGE_PARAM = "lang"

_CORE: tuple[tuple[str, str, str], ...] = (
    # key, zh-CN, en
    ("app.name", "武汉市算力服务券", "武汉市算力服务券"),  # the program's proper name
    (
        "app.subtitle",
        "算力服务券管理平台 · 武汉市经济和信息化局",
        "Wuhan compute-service vouchers · Municipal Bureau of Economy and IT",
    ),
    (
        "app.footer",
        "依据《武汉市促进人工智能产业发展若干政策措施》（武政规〔2025〕3号）第二条",
        "Under Wuhan's AI policy measures (武政规〔2025〕3号), measure 2",
    ),
    ("lang.switch", "English", "中文"),
    ("lang.switch_label", "切换为英文", "Switch to Chinese"),
    ("a11y.skip", "跳到主要内容", "Skip to the main content"),
    ("a11y.main_nav", "主导航", "Main navigation"),
    ("nav.overview", "概览", "Overview"),
    ("nav.accounts", "账号管理", "Accounts"),
    ("nav.password", "修改密码", "Change password"),
    ("nav.second_factor", "双重认证", "Two-step sign-in"),
    ("nav.api_docs", "接口文档", "API docs"),
    ("nav.sign_out", "退出登录", "Sign out"),
    ("nav.signed_in_as", "当前用户", "Signed in as"),
    ("role.bureau", "市经信局工作人员", "Bureau staff"),
    ("role.bureau_admin", "市经信局管理员", "Bureau administrator"),
    ("role.bureau_reviewer", "审核人员", "Bureau reviewer"),
    ("role.auditor", "审计人员", "Auditor"),
    ("role.enterprise", "企业用户", "Enterprise user"),
    ("role.provider", "算力服务商用户", "Provider user"),
    ("duty.sysadmin", "系统管理", "System administration"),
    ("duty.program", "项目管理", "Program administration"),
    ("duty.review", "审核", "Review"),
    ("duty.finance", "财务", "Finance"),
    ("duty.audit", "审计", "Audit"),
    (
        "code.same_person",
        "须由另一人完成（经办与复核不能是同一人）：{detail}",
        "A second person must do this (maker and checker differ): {detail}",
    ),
    ("code.self_grant", "不能为自己分配职责。", "Nobody changes their own duties."),
    ("sign_in.title", "登录", "Sign in"),
    ("sign_in.heading", "登录算力服务券管理平台", "Sign in to the compute-voucher console"),
    ("sign_in.login", "登录名", "Login name"),
    ("sign_in.password", "密码", "Password"),
    ("sign_in.submit", "登录", "Sign in"),
    (
        "sign_in.hint",
        "账号由市经信局开设。系统对接请使用 API 密钥，见接口文档。",
        "Accounts are opened by the bureau. Systems use API keys: see the API docs.",
    ),
    ("sign_in.wrong", "登录名或密码错误。", "Wrong login name or password."),
    (
        "sign_in.throttled",
        "登录失败次数过多，请于 {until} 之后再试。",
        "Too many failed sign-ins. Try again after {until}.",
    ),
    (
        "sign_in.disabled",
        "该账号已停用，请联系市经信局。",
        "This account is disabled; please contact the bureau.",
    ),
    ("sign_in.required", "请先登录。", "Please sign in first."),
    ("sign_in.code", "动态验证码", "Verification code"),
    ("sign_in.code_for", "密码正确。请完成 {login} 的双重认证。", "Password accepted for {login}."),
    (
        "sign_in.code_hint",
        "请输入身份验证器应用中显示的 6 位动态码；"
        "手机不在身边时，可输入一个恢复码（每个仅能使用一次）。",
        "Enter the 6-digit code your authenticator app shows; without your phone, enter one "
        "of your recovery codes (each works once).",
    ),
    ("sign_in.code_submit", "验证并登录", "Verify and sign in"),
    ("sign_in.wrong_code", "验证码错误。", "Wrong code."),
    (
        "sign_in.code_expired",
        "验证已超时，请重新输入密码。",
        "That took too long: please enter your password again.",
    ),
    ("sign_in.signed_out", "您已安全退出。", "You have signed out."),
    ("password.title", "修改密码", "Change password"),
    ("password.current", "当前密码", "Current password"),
    ("password.new", "新密码", "New password"),
    ("password.confirm", "再次输入新密码", "New password again"),
    ("password.submit", "保存新密码", "Save the new password"),
    (
        "password.rules",
        "至少 10 个字符，不能包含登录名。修改后，其他设备上的登录将失效。",
        "At least 10 characters, not containing the login name. Other devices are signed out.",
    ),
    (
        "password.must_change",
        "您的密码由市经信局设置，请先设置您自己的密码。",
        "The bureau set your password: please choose your own first.",
    ),
    ("password.mismatch", "两次输入的新密码不一致。", "The two new passwords differ."),
    ("password.changed", "密码已修改。", "Your password has been changed."),
    ("overview.title", "概览", "Overview"),
    ("overview.welcome", "您好，{name}", "Welcome, {name}"),
    ("overview.acting_for", "您代表：{holder}", "You act for: {holder}"),
    ("accounts.title", "账号管理", "Accounts"),
    ("accounts.caption", "平台账号", "Console accounts"),
    ("accounts.login", "登录名", "Login name"),
    ("accounts.display_name", "姓名", "Name"),
    ("accounts.role", "角色", "Role"),
    ("accounts.duties", "职责（市经信局工作人员）", "Duties (bureau staff)"),
    (
        "accounts.duties_hint",
        "系统管理不得兼任项目管理、审核或财务；审计不得兼任其他职责。",
        "System administration is not held with program administration, review or finance; "
        "audit is held alone.",
    ),
    ("accounts.uscc", "统一社会信用代码", "Credit code"),
    ("accounts.status", "状态", "Status"),
    ("accounts.created_at", "开设时间", "Opened"),
    ("accounts.create", "开设账号", "Open an account"),
    ("accounts.create_submit", "开设", "Open"),
    ("accounts.uscc_hint", "企业和服务商账号必填", "Enterprise and provider accounts only"),
    (
        "accounts.temporary_password",
        "{login} 的临时密码（仅显示这一次，请安全转交；首次登录须修改）：",
        "Temporary password for {login} (shown only now: hand it over safely; "
        "it must be changed at sign-in):",
    ),
    ("accounts.reset", "重置密码", "Reset password"),
    ("accounts.disable", "停用", "Disable"),
    (
        "accounts.disable_confirm",
        "确定停用该账号？其登录将立即失效。",
        "Disable this account? Its sessions end at once.",
    ),
    ("accounts.disabled", "账号 {login} 已停用。", "Account {login} is disabled."),
    ("accounts.unlock", "解除登录限制", "Unlock"),
    (
        "accounts.unlocked",
        "账号 {login} 的登录限制已解除。",
        "Sign-in for {login} is no longer slowed down.",
    ),
    ("accounts.remove_second_factor", "移除双重认证", "Remove two-step sign-in"),
    (
        "accounts.remove_second_factor_confirm",
        "确定移除该账号的双重认证？仅在其手机丢失且恢复码已用完时使用。",
        "Remove this account's two-step sign-in? Only for a lost phone with no recovery code left.",
    ),
    (
        "accounts.second_factor_removed",
        "账号 {login} 的双重认证已移除。",
        "Two-step sign-in removed from {login}.",
    ),
    ("second_factor.title", "双重认证", "Two-step sign-in"),
    (
        "second_factor.required",
        "按照平台安全要求，市经信局账号须启用双重认证后才能继续使用。",
        "Bureau accounts must set up two-step sign-in before going on.",
    ),
    (
        "second_factor.steps",
        "1. 在手机上安装身份验证器应用（如 Microsoft Authenticator、Google 身份验证器、FreeOTP）。"
        "2. 在应用中添加账号：输入下面的密钥（基于时间），或导入下面的链接。"
        "3. 输入应用显示的 6 位动态码，确认启用。",
        "1. Install an authenticator app on your phone (Microsoft Authenticator, Google "
        "Authenticator, FreeOTP...). 2. Add an account in it: type the key below (time-based) "
        "or import the link. 3. Enter the 6-digit code the app shows to turn it on.",
    ),
    ("second_factor.secret", "密钥", "Key"),
    ("second_factor.uri", "导入链接", "Import link"),
    ("second_factor.code", "6 位动态码", "6-digit code"),
    ("second_factor.submit", "确认启用", "Turn on"),
    (
        "second_factor.on",
        "双重认证已启用：每次登录时，输入密码后还需输入动态码。剩余可用恢复码：{left} 个。",
        "Two-step sign-in is on: after your password, each sign-in asks for a code. "
        "Recovery codes left: {left}.",
    ),
    (
        "second_factor.recovery_codes",
        "恢复码（仅显示这一次，请打印或抄写后妥善保管；手机丢失时，每个恢复码可代替动态码使用一次）：",
        "Recovery codes (shown only now: print or copy them and keep them safe; each stands "
        "in for a code once if you lose your phone):",
    ),
    ("filter.all", "全部", "All"),
    ("status.active", "正常", "Active"),
    ("status.disabled", "已停用", "Disabled"),
    ("status.must_change", "待改密", "Must change password"),
    ("status.slowed", "登录受限", "Sign-in slowed"),
    ("table.filter", "筛选", "Filter"),
    ("table.clear", "清除", "Clear"),
    ("table.next", "下一页", "Next page"),
    ("table.first", "第一页", "First page"),
    ("table.empty", "暂无数据", "Nothing to show"),
    ("table.actions", "操作", "Actions"),
    ("table.download", "下载", "Download"),
    ("table.download_csv", "CSV", "CSV"),
    ("table.download_xlsx", "Excel", "Excel"),
    ("error.back", "返回概览", "Back to the overview"),
    ("error.401.title", "请先登录", "Please sign in"),
    ("error.403.title", "无权访问", "Access denied"),
    ("error.403.text", "您的角色无权进行此操作。", "Your role may not do this."),
    ("error.404.title", "页面不存在", "Page not found"),
    (
        "error.404.text",
        "没有这个页面，或者您无权查看它。",
        "There is no such page, or you may not see it.",
    ),
    ("error.405.title", "不支持的操作", "Not allowed"),
    ("error.405.text", "此页面不支持这种请求。", "This page does not take that request."),
    ("error.409.title", "无法完成", "Cannot be done"),
    ("error.422.title", "输入有误", "Check the input"),
    ("error.429.title", "请稍后再试", "Please wait"),
    ("error.500.title", "服务出错", "Something went wrong"),
    (
        "error.500.text",
        "处理请求时出错，请稍后重试；若问题持续，请联系运维人员。",
        "The request failed. Please try again later; if it keeps failing, contact the operators.",
    ),
    ("error.503.title", "服务暂不可用", "Service unavailable"),
    (
        "code.csrf",
        "表单已过期，请刷新页面后重新提交。",
        "The form has expired: reload the page and submit it again.",
    ),
    ("code.wrong_password", "当前密码错误。", "The current password is wrong."),
    (
        "code.wrong_code",
        "动态码不正确：请检查手机时间，并输入最新的动态码。",
        "The code does not match: check the phone's clock and enter the newest code.",
    ),
    (
        "code.weak_password",
        "密码至少 10 个字符，且不能包含登录名。",
        "A password needs at least 10 characters and must not contain the login name.",
    ),
    (
        "code.same_password",
        "新密码不能与当前密码相同。",
        "The new password must differ from the current one.",
    ),
    (
        "code.invalid_login",
        "登录名须为 3–64 位小写字母、数字或 . _ @ -。",
        "A login name has 3-64 letters, digits or . _ @ -.",
    ),
    (
        "code.invalid_display_name",
        "请填写姓名（最多 200 字）。",
        "Give a name (at most 200 characters).",
    ),
    ("code.account_exists", "该登录名已被使用。", "That login name is taken."),
    (
        "code.uscc_required",
        "企业和服务商账号须填写统一社会信用代码。",
        "Enterprise and provider accounts need a credit code.",
    ),
    ("code.invalid_uscc", "统一社会信用代码无效：{detail}", "Invalid credit code: {detail}"),
    ("code.invalid_input", "输入有误：{detail}", "Invalid input: {detail}"),
    ("code.enterprise_not_found", "没有该信用代码的企业。", "No enterprise has that credit code."),
    ("code.provider_not_found", "没有该信用代码的服务商。", "No provider has that credit code."),
    ("code.account_not_found", "没有这个账号。", "No such account."),
    (
        "code.invalid_state",
        "当前状态下不能这样操作：{detail}",
        "Not possible in the current state: {detail}",
    ),
    ("code.other", "无法完成：{detail}", "Could not be done: {detail}"),
)
CATALOGUE = _CORE + BUREAU_CATALOGUE + i18n_people.ROWS + i18n_notice.ROWS

MESSAGES: dict[str, dict[str, str]] = {
    language: {row[0]: row[column] for row in CATALOGUE}
    for column, language in enumerate(LANGUAGES, start=1)
}


class Translator:
    """``t("key", name=...)``: the key's text in one language, with its ``{fields}`` filled."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.messages = MESSAGES[language]

    def __call__(self, key: str, **values: object) -> str:
        text = self.messages[key]  # KeyError: a key missing from CATALOGUE
        return text.format(**values) if values else text

    def __contains__(self, key: str) -> bool:
        return key in self.messages


def requested_language(request: Request) -> str | None:
    """The language asked for in the query string (to be remembered), if a known one."""
    asked = request.query_params.get(LANGUAGE_PARAM)
    return asked if asked in LANGUAGES else None


def language_of(request: Request) -> str:
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    return requested_language(request) or (cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE)
