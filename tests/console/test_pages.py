"""The console's pages through a test client: sign-in, cookies, CSRF, throttling, the
password change, role isolation (the same access rules as the API), audit, errors."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import NOW, PASSWORD, Browser, KeyedClient, People, csrf_of, sign_in
from voucher_service.accounts import service
from voucher_service.console.auth import signed_in_or_none
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import Principal, Role


def test_sign_in_sets_a_locked_down_session_cookie(browser: Browser, people: People) -> None:
    anonymous = browser()
    assert anonymous.get("/", follow_redirects=False).headers["location"] == "/console/"
    assert anonymous.get("/console/", follow_redirects=False).headers["location"] == (
        "/console/sign-in"
    )
    signed = sign_in(anonymous, "admin.wang")
    assert signed.status_code == 303 and signed.headers["location"] == "/console/bureau"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("vs_session=")
    for attribute in ("HttpOnly", "Path=/console", "SameSite=lax"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain http here; https requests get Secure
    page = anonymous.get("/console/bureau")
    assert page.status_code == 200 and "admin.wang 测试" in page.text


def test_the_cookie_is_secure_on_https(client: KeyedClient, people: People) -> None:
    https = TestClient(client.app, base_url="https://testserver")
    assert "Secure" in sign_in(https, "admin.wang").headers["set-cookie"]


def test_a_wrong_password_is_refused_with_a_clear_message(browser: Browser, people: People) -> None:
    refused = sign_in(browser(), "admin.wang", "not the password")
    assert refused.status_code == 401
    assert "登录名或密码错误。" in refused.text and "vs_session" not in refused.headers.get(
        "set-cookie", ""
    )
    english = browser()
    english.get("/console/sign-in?lang=en")
    assert "Wrong login name or password." in sign_in(english, "nobody", "x" * 12).text


def test_forms_without_the_csrf_token_are_refused(browser: Browser, people: People) -> None:
    anonymous = browser()
    anonymous.get("/console/sign-in")
    no_token = anonymous.post(
        "/console/sign-in", data={"login": "admin.wang", "password": PASSWORD}
    )
    assert no_token.status_code == 403 and "表单已过期" in no_token.text
    # a token from another browser is no good either
    other_token = csrf_of(browser().get("/console/sign-in").text)
    stolen = anonymous.post(
        "/console/sign-in",
        data={"login": "admin.wang", "password": PASSWORD, "csrf_token": other_token},
    )
    assert stolen.status_code == 403

    admin = browser("admin.wang")
    assert admin.post("/console/sign-out", follow_redirects=False).status_code == 403
    assert admin.get("/console/bureau").status_code == 200  # still signed in
    forged = {"login": "x.y.z", "display_name": "x", "role": "auditor", "csrf_token": "forged"}
    assert admin.post("/console/admin/accounts", data=forged).status_code == 403
    # htmx sends the token in a header
    token = csrf_of(admin.get("/console/bureau").text)
    out = admin.post("/console/sign-out", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert out.status_code == 303


def test_sign_out_ends_the_session_for_the_old_cookie(browser: Browser, people: People) -> None:
    admin = browser("admin.wang")
    old_cookie = admin.cookies.get("vs_session")
    token = csrf_of(admin.get("/console/bureau").text)
    out = admin.post("/console/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert out.headers["location"] == "/console/sign-in?done=signed_out"
    replay = browser()
    replay.cookies.set("vs_session", old_cookie, path="/console")  # type: ignore[arg-type]
    again = replay.get("/console/bureau", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/console/sign-in?next=/console/bureau"


def test_a_tampered_cookie_is_ignored(browser: Browser, people: People) -> None:
    admin = browser("admin.wang")
    token, mac = admin.cookies["vs_session"].rsplit(".", 1)
    admin.cookies.set("vs_session", f"{token}x.{mac}", path="/console")
    assert admin.get("/console/bureau", follow_redirects=False).status_code == 303


def test_a_temporary_password_must_be_changed_first(
    client: KeyedClient, browser: Browser, session: Session, people: People
) -> None:
    service.reset_password(session, people.provider.account.id, password="temporary-0001", now=NOW)  # type: ignore[arg-type]
    session.commit()
    person = browser()
    assert sign_in(person, "ops.sun", "temporary-0001").status_code == 303
    overview = f"/console/provider/{people.provider.provider_uscc}"
    assert person.get(overview, follow_redirects=False).headers["location"] == ("/console/password")
    page = person.get("/console/password")
    assert "您的密码由市经信局设置" in page.text and "nav" not in page.text.split("<main")[0]
    token = csrf_of(page.text)
    mismatch = {"current": "temporary-0001", "new": "自己的新密码-2026", "confirm": "other"}
    assert person.post("/console/password", data={**mismatch, "csrf_token": token}).status_code == (
        422
    )
    short = {"current": "temporary-0001", "new": "short", "confirm": "short"}
    refused = person.post("/console/password", data={**short, "csrf_token": token})
    assert refused.status_code == 422 and "至少 10 个字符" in refused.text
    good = {"current": "temporary-0001", "new": "自己的新密码-2026", "confirm": "自己的新密码-2026"}
    changed = person.post(
        "/console/password", data={**good, "csrf_token": token}, follow_redirects=False
    )
    assert changed.headers["location"] == f"{overview}?done=password"
    assert "密码已修改" in person.get(changed.headers["location"]).text


def _page_and_api(
    client: KeyedClient, browser: Browser, login: str, role: Role, page: str, api: str, subject: str
) -> tuple[int, int]:
    key = client.key(role, subject)
    api_status = client.get(api, headers={"Authorization": f"Bearer {key}"}).status_code
    page_status = browser(login).get(page, follow_redirects=False).status_code
    return page_status, api_status


def test_pages_and_their_api_endpoints_agree_for_every_role(
    client: KeyedClient, browser: Browser, people: People
) -> None:
    """The page and the endpoint are guarded by the same access rule object: every role
    gets the same answer from both (200, 403, or 404 for another enterprise's data)."""
    mine = people.enterprise.enterprise_uscc
    pairs = [
        ("/console/admin/accounts", "/v1/admin/accounts"),  # AUDIT_READ
        ("/console/bureau", "/v1/admin/enterprises"),  # BUREAU_READ
        (f"/console/enterprise/{mine}", f"/v1/enterprise/{mine}/keys"),  # ENTERPRISE_SELF
        (
            f"/console/provider/{people.provider.provider_uscc}",
            f"/v1/provider/{people.provider.provider_uscc}/keys",
        ),  # PROVIDER_SELF
    ]
    cast = [(people.of(role), role) for role in Role] + [(people.other_enterprise, Role.ENTERPRISE)]
    seen = set()
    for page, api in pairs:
        for person, role in cast:
            subject = person.enterprise_uscc or person.provider_uscc or person.account.login
            statuses = _page_and_api(
                client, browser, person.account.login, role, page, api, subject
            )
            assert statuses[0] == statuses[1], (page, person.account.login, statuses)
            seen.add(statuses[0])
    assert seen == {200, 403, 404}


def test_an_enterprise_user_cannot_see_another_enterprise(browser: Browser, people: People) -> None:
    other = people.other_enterprise.enterprise_uscc
    page = browser("finance.chen").get(f"/console/enterprise/{other}")
    assert page.status_code == 404 and "页面不存在" in page.text
    assert "武汉市算力服务券" in page.text  # in the console's look, not JSON


def test_a_reviewer_may_not_use_the_admin_pages(browser: Browser, people: People) -> None:
    reviewer = browser("reviewer.li")
    page = reviewer.get("/console/admin/accounts")
    assert page.status_code == 403 and "无权访问" in page.text
    token = csrf_of(reviewer.get("/console/bureau").text)
    form = {"login": "sneaky", "display_name": "x", "role": "bureau_admin", "csrf_token": token}
    assert reviewer.post("/console/admin/accounts", data=form).status_code == 403
    # the auditor reads the list but gets no forms to change it
    listing = browser("auditor.zhao").get("/console/admin/accounts")
    assert listing.status_code == 200 and "admin.wang" in listing.text
    assert "/reset-password" not in listing.text and 'name="display_name"' not in listing.text


def test_the_admin_opens_an_account_and_the_audit_log_names_them(
    browser: Browser, session: Session, people: People
) -> None:
    admin = browser("it.qian")
    token = csrf_of(admin.get("/console/admin/accounts").text)
    form = {
        "login": "clerk.he",
        "display_name": "何文员",
        "role": "enterprise",
        "uscc": people.enterprise.enterprise_uscc,
        "csrf_token": token,
    }
    created = admin.post("/console/admin/accounts", data=form)
    assert created.status_code == 200 and "clerk.he 的临时密码" in created.text
    temporary = created.text.split('id="temporary-password">')[1].split("<")[0]
    assert sign_in(browser(), "clerk.he", temporary).status_code == 303

    refused = admin.post("/console/admin/accounts", data=form)
    assert refused.status_code == 409 and "该登录名已被使用" in refused.text
    assert 'value="何文员"' in refused.text  # the form keeps what was typed

    entry = session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "account.create", AuditEntry.target_id == "clerk.he"
        )
    )
    assert entry is not None and entry.actor == "bureau:it.qian"
    assert entry.principal_id == people.sysadmin.principal.id and entry.key_id is None


def test_the_account_table_filters_and_pages(browser: Browser, people: People) -> None:
    admin = browser("it.qian")
    first = admin.get("/console/admin/accounts", params={"role": "enterprise", "limit": 1})
    assert "finance.chen" in first.text and "finance.zhou" not in first.text
    assert "it.qian" not in first.text.split("<tbody>")[1]
    next_url = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "role=enterprise" in next_url and "limit=1" in next_url and "cursor=" in next_url
    second = admin.get(next_url.replace("&amp;", "&"))
    assert "finance.zhou" in second.text.split("<tbody>")[1]
    assert "第一页" in second.text


def test_language_switch_is_remembered(browser: Browser, people: People) -> None:
    person = browser()
    default = person.get("/console/sign-in", headers={"Accept-Language": "en-US,en"})
    assert '<html lang="zh-CN">' in default.text and "登录名" in default.text
    english = person.get("/console/sign-in?lang=en")
    assert '<html lang="en">' in english.text and "Login name" in english.text
    assert "vs_lang=en" in english.headers["set-cookie"]
    assert "Login name" in person.get("/console/sign-in").text
    assert "登录名" in person.get("/console/sign-in?lang=zh-CN").text


def test_errors_are_pages_in_the_console_look(client: KeyedClient, browser: Browser) -> None:
    missing = browser().get("/console/no-such-page")
    assert missing.status_code == 404 and "页面不存在" in missing.text
    assert "武汉市算力服务券" in missing.text
    # the API keeps its JSON errors
    assert client.get("/v1/admin/no-such-thing").json()["error"]["code"] == "not_found"

    def broken() -> None:
        raise RuntimeError("the session store fell off the wall")

    client.app.dependency_overrides[signed_in_or_none] = broken  # type: ignore[attr-defined]
    failing = TestClient(client.app, raise_server_exceptions=False).get("/console/sign-in")
    assert failing.status_code == 500 and "服务出错" in failing.text
    assert "fell off the wall" not in failing.text


def test_the_system_administrator_opens_a_bureau_persons_account_with_duties(
    browser: Browser, session: Session, people: People
) -> None:
    it = browser("it.qian")
    page = it.get("/console/admin/accounts").text
    assert 'name="duties" value="finance"' in page
    form = {
        "login": "cashier.wu",
        "display_name": "吴出纳",
        "role": "bureau",
        "duties": ["finance", "review"],
        "csrf_token": csrf_of(page),
    }
    assert it.post("/console/admin/accounts", data=form).status_code == 200
    made = session.scalar(select(Principal).where(Principal.name == "cashier.wu"))
    assert made is not None and made.duties == "finance,review"
    conflicting = {**form, "login": "cashier.zheng", "duties": ["sysadmin", "finance"]}
    refused = it.post("/console/admin/accounts", data=conflicting)
    assert refused.status_code == 422 and 'value="finance" checked' in refused.text
