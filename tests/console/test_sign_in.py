"""The console's sign-in and sessions as a browser meets them (issue 20): nobody can lock a
clerk out, the second factor when the setting requires it, a Secure cookie behind a trusted
TLS proxy, nothing stored by the browser, and sign-out that really ends the session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from ipaddress import ip_network

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import (
    NOW,
    PASSWORD,
    Browser,
    KeyedClient,
    People,
    csrf_of,
    enrol,
    sign_in,
    sysadmin,
    wrong_code,
)
from voucher_service.accounts import signin
from voucher_service.api import create_app
from voucher_service.auth.throttle import ADDRESS_FAILURE_LIMIT
from voucher_service.config import Settings, get_settings
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.deps import settings as settings_dependency
from voucher_service.gate import arrived_over_https

PROXY = "10.0.0.2"


@pytest.fixture
def app() -> FastAPI:
    """An application of this test's own: these tests change settings (trusted proxies,
    cookies) that an application reads when it is made."""
    return create_app()


@pytest.fixture
def behind_a_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The service as deployed: a TLS-terminating proxy at 10.0.0.0/24 (the app the
    ``client`` fixture makes after this one reads the setting)."""
    monkeypatch.setenv("VOUCHER_TRUSTED_PROXIES", "10.0.0.0/24")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def through(client: KeyedClient, peer: str, **headers: str) -> TestClient:
    """A browser whose requests reach the service from ``peer`` with these headers."""
    return TestClient(client.app, client=(peer, 40000), headers=headers)


def test_six_wrong_passwords_then_the_right_one_signs_in(browser: Browser, people: People) -> None:
    reviewer = browser()
    answers = [sign_in(reviewer, "reviewer.li", "guess-guess-guess") for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * signin.ACCOUNT_FAILURE_LIMIT + [429]
    slowed = answers[-1]
    assert "登录失败次数过多" in slowed.text and "2026-06-15 12:15" in slowed.text  # Wuhan time
    assert 0 < int(slowed.headers["Retry-After"]) <= 901
    signed = sign_in(reviewer, "reviewer.li")
    assert signed.status_code == 303 and signed.headers["location"] == "/console/bureau"


def test_thirty_failures_from_one_address_behind_the_proxy_lock_out_no_other_clerk(
    behind_a_proxy: None, client: KeyedClient, people: People
) -> None:
    """The proxy's address is not the source: each client's forwarded address is."""
    attacker = through(client, PROXY, **{"X-Forwarded-For": "198.51.100.66"})
    answers = [
        sign_in(attacker, f"guess{i}", "guess-guess-guess").status_code
        for i in range(ADDRESS_FAILURE_LIMIT + 1)
    ]
    assert answers == [401] * ADDRESS_FAILURE_LIMIT + [429]
    for n, login in enumerate(("finance.chen", "reviewer.li", "ops.sun")):
        clerk = through(client, PROXY, **{"X-Forwarded-For": f"198.51.100.{n + 1}"})
        assert sign_in(clerk, login, "a typo, once").status_code == 401  # not slowed
        assert sign_in(clerk, login).status_code == 303
    # and the slowed address's own people still sign in with their password
    assert sign_in(attacker, "admin.wang").status_code == 303


def test_an_administrator_unlocks_and_removes_a_lost_factor(
    client: KeyedClient, browser: Browser, session: Session, people: People
) -> None:
    guesser = browser()
    for _ in range(signin.ACCOUNT_FAILURE_LIMIT + 1):
        sign_in(guesser, "finance.chen", "guess-guess-guess")
    assert sign_in(guesser, "finance.chen", "guess-guess-guess").status_code == 429
    unlocked = client.post(
        f"/v1/admin/accounts/{people.enterprise.account.id}/unlock", headers=sysadmin(client)
    )
    assert unlocked.status_code == 200 and unlocked.json()["login"] == "finance.chen"
    assert sign_in(guesser, "finance.chen", "guess-guess-guess").status_code == 401

    for _ in range(signin.ACCOUNT_FAILURE_LIMIT):
        sign_in(guesser, "finance.chen", "guess-guess-guess")
    admin = browser("it.qian")  # the system administrator
    listing = admin.get("/console/admin/accounts", params={"role": "enterprise"}).text
    row = listing.split("finance.chen</code>")[1].split("</tr>")[0]
    assert "登录受限" in row  # the admin sees whom to unlock
    page = admin.post(
        f"/console/admin/accounts/{people.enterprise.account.id}/unlock",
        data={"csrf_token": csrf_of(listing)},
    )
    assert page.status_code == 200 and "账号 finance.chen 的登录限制已解除。" in page.text
    assert "登录受限" not in page.text.split("finance.chen</code>")[1].split("</tr>")[0]
    assert sign_in(guesser, "finance.chen", "guess-guess-guess").status_code == 401
    enrol(session, people.enterprise)
    session.commit()
    listing = admin.get("/console/admin/accounts").text
    removed = admin.post(
        f"/console/admin/accounts/{people.enterprise.account.id}/remove-second-factor",
        data={"csrf_token": csrf_of(listing)},
    )
    assert removed.status_code == 200 and "账号 finance.chen 的双重认证已移除。" in removed.text
    again = admin.post(
        f"/console/admin/accounts/{people.enterprise.account.id}/remove-second-factor",
        data={"csrf_token": csrf_of(listing)},
    )
    assert again.status_code == 409  # none left to remove
    reviewer_key = client.key(people.reviewer.role, "reviewer")  # type: ignore[attr-defined]
    refused = client.post(
        f"/v1/admin/accounts/{people.enterprise.account.id}/unlock",
        headers={"Authorization": f"Bearer {reviewer_key}"},
    )
    assert refused.status_code == 403


def test_sign_ins_and_failures_are_audit_entries(
    browser: Browser, session: Session, people: People
) -> None:
    person = browser()
    sign_in(person, "ops.sun", "guess-guess-guess")
    sign_in(person, "ops.sun")
    entries = session.execute(
        select(AuditEntry.action, AuditEntry.actor, AuditEntry.after)
        .where(AuditEntry.target_id == "ops.sun", AuditEntry.action.like("account.sign_in%"))
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.actor) for e in entries] == [
        ("account.sign_in_failed", "anonymous@testclient"),
        ("account.sign_in", f"provider:{people.provider.provider_uscc}/ops.sun"),
    ]
    assert entries[1].after == '{"client": "testclient", "second_factor": null}'


@pytest.mark.parametrize(
    ("peer", "proto", "https"),
    [
        ("10.0.0.2", "https", True),  # the trusted proxy terminated TLS
        ("10.0.0.2", "http", False),
        ("10.0.0.2", "http, https", True),  # the nearest proxy's word is the last
        ("10.0.0.2", "https, http", False),
        ("10.0.0.2", "", False),
        ("203.0.113.9", "https", False),  # anyone else may say anything
    ],
)
def test_https_is_believed_from_a_trusted_proxy_only(peer: str, proto: str, https: bool) -> None:
    headers = [(b"x-forwarded-proto", proto.encode())] if proto else []
    scope = {"scheme": "http", "client": (peer, 4000), "headers": headers}
    assert arrived_over_https(scope, (ip_network("10.0.0.0/24"),)) is https
    assert arrived_over_https(scope, ()) is False  # the default: no proxy trusted
    assert arrived_over_https(scope | {"scheme": "https"}, ()) is True  # TLS to us directly


def _cookies(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each cookie a response sets, with its attributes."""
    return {
        value.split("=", 1)[0]: value
        for name, value in response.headers.multi_items()
        if name == "set-cookie"
    }


def _sign_in_by_hand(browser: TestClient, login: str) -> dict[str, str]:
    """Sign in, sending the anchor cookie by hand (a Secure cookie is not sent back over
    the test's plain http, as a browser would not either), and the cookies set."""
    form_page = browser.get("/console/sign-in")
    anchor = _cookies(form_page)["vs_anchor"]
    browser.cookies.clear()
    signed = browser.post(
        "/console/sign-in",
        data={"login": login, "password": PASSWORD, "csrf_token": csrf_of(form_page.text)},
        headers={"Cookie": anchor.split(";")[0]},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    return {"vs_anchor": anchor, **_cookies(signed)}


def test_the_cookie_is_secure_behind_a_trusted_tls_proxy_only(
    behind_a_proxy: None, client: KeyedClient, people: People
) -> None:
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.5"}
    trusted = _sign_in_by_hand(through(client, PROXY, **https), "admin.wang")
    assert all("; secure" in c.lower() for c in trusted.values())
    forged = _sign_in_by_hand(through(client, "203.0.113.9", **https), "admin.wang")
    assert not any("; secure" in c.lower() for c in forged.values())  # not a proxy's word
    plain = _sign_in_by_hand(through(client, PROXY, **{"X-Forwarded-Proto": "http"}), "admin.wang")
    assert not any("; secure" in c.lower() for c in plain.values())


def test_a_setting_makes_the_cookie_always_secure(
    monkeypatch: pytest.MonkeyPatch, client: KeyedClient, people: People
) -> None:
    monkeypatch.setenv("VOUCHER_SECURE_COOKIES", "true")
    get_settings.cache_clear()
    try:
        cookies = _sign_in_by_hand(through(client, "203.0.113.9"), "admin.wang")
    finally:
        get_settings.cache_clear()
    assert "; secure" in cookies["vs_session"].lower()


def test_no_console_answer_may_be_stored(browser: Browser, people: People) -> None:
    anonymous = browser()
    admin = browser("it.qian")  # the system administrator
    answers = [
        anonymous.get("/console/sign-in"),
        anonymous.get("/console/bureau", follow_redirects=False),  # a redirect
        admin.get("/console/bureau"),
        admin.get("/console/admin/accounts"),
        admin.get("/console/no-such-page"),  # an error page
    ]
    assert [a.headers["cache-control"] for a in answers] == ["no-store"] * len(answers)
    assert [a.status_code for a in answers] == [200, 303, 200, 200, 404]


def test_back_after_sign_out_shows_no_data(browser: Browser, people: People) -> None:
    admin = browser("it.qian")  # the system administrator
    page = admin.get("/console/admin/accounts")
    assert "finance.chen" in page.text and page.headers["cache-control"] == "no-store"
    admin.post("/console/sign-out", data={"csrf_token": csrf_of(page.text)})
    # Back: nothing was stored, so the browser asks again, with whatever cookie it kept.
    admin.cookies.set("vs_session", "", path="/console")
    back = admin.get("/console/admin/accounts", follow_redirects=False)
    assert back.status_code == 303
    assert back.headers["location"] == "/console/sign-in?next=/console/admin/accounts"
    assert "finance.chen" not in back.text


def test_idle_and_absolute_timeouts_end_the_console_session(
    client: KeyedClient, browser: Browser, people: People
) -> None:
    policy = Settings()
    auditor = browser("auditor.zhao")

    def at(moment: datetime) -> int:
        client.app.state.clock = lambda: moment  # type: ignore[attr-defined]
        return auditor.get("/console/admin/accounts", follow_redirects=False).status_code

    moment = NOW
    while moment + policy.session_idle < NOW + policy.session_lifetime:
        moment += policy.session_idle - timedelta(minutes=1)
        assert at(moment) == 200  # busy: kept alive by each request...
    assert at(NOW + policy.session_lifetime) == 303  # ...until the absolute end
    idle = browser("auditor.zhao")
    client.app.state.clock = lambda: NOW + policy.session_lifetime + policy.session_idle  # type: ignore[attr-defined]
    assert idle.get("/console/admin/accounts", follow_redirects=False).status_code == 303


_SECRET = re.compile(r'id="totp-secret">([A-Z2-7]{32})<')


def test_the_setting_requires_a_second_factor_of_bureau_accounts(
    client: KeyedClient, browser: Browser, session: Session, people: People
) -> None:
    client.app.dependency_overrides[settings_dependency] = lambda: Settings(  # type: ignore[attr-defined]
        require_second_factor=True
    )
    clock = [NOW]
    client.app.state.clock = lambda: clock[0]  # type: ignore[attr-defined]
    # An enterprise's user is not asked for one.
    assert (
        browser("finance.chen")
        .get(f"/console/enterprise/{people.enterprise.enterprise_uscc}")
        .status_code
        == 200
    )

    # A bureau admin without one is sent to set it up before anything else.
    admin = browser("admin.wang")
    first = admin.get("/console/bureau", follow_redirects=False)
    assert first.headers["location"] == "/console/second-factor"
    setup = admin.get("/console/second-factor")
    assert "市经信局账号须启用双重认证" in setup.text and "otpauth://totp/" in setup.text
    secret = _SECRET.search(setup.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf_of(setup.text), "secret": secret}
    wrong = admin.post(
        "/console/second-factor",
        data=form | {"code": wrong_code(secret, NOW)},
    )
    assert wrong.status_code == 422 and "动态码不正确" in wrong.text
    done = admin.post("/console/second-factor", data=form | {"code": pyotp.TOTP(secret).at(NOW)})
    assert done.status_code == 200 and "恢复码" in done.text
    recovery = re.findall(r'<code class="secret">([a-z2-9-]{19})</code>', done.text)
    assert len(recovery) == 10
    assert admin.get("/console/bureau").status_code == 200

    def password_step(browser_: TestClient) -> str:
        asked = sign_in(browser_, "admin.wang")
        assert asked.status_code == 200 and 'name="pending"' in asked.text  # no session yet
        assert "vs_session" not in asked.headers.get("set-cookie", "")
        return asked.text

    def code_step(browser_: TestClient, page: str, code: str):  # type: ignore[no-untyped-def]
        pending = re.search(r'name="pending" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": csrf_of(page), "pending": pending, "code": code}
        return browser_.post("/console/sign-in/code", data=form, follow_redirects=False)

    clock[0] = NOW + timedelta(minutes=1)
    fresh = browser()
    page = password_step(fresh)
    refused = code_step(fresh, page, wrong_code(secret, clock[0]))
    assert refused.status_code == 401 and "验证码错误" in refused.text
    signed = code_step(fresh, page, pyotp.TOTP(secret).at(clock[0]))
    assert signed.status_code == 303 and signed.headers["location"] == "/console/bureau"
    assert fresh.get("/console/bureau").status_code == 200

    # A recovery code stands in once.
    other = browser()
    page = password_step(other)
    assert code_step(other, page, recovery[0]).status_code == 303
    again = browser()
    assert code_step(again, password_step(again), recovery[0]).status_code == 401

    # The code form's pending token lasts five minutes.
    late = browser()
    page = password_step(late)
    clock[0] += timedelta(minutes=6)
    expired = code_step(late, page, pyotp.TOTP(secret).at(clock[0]))
    assert expired.status_code == 401 and "验证已超时" in expired.text

    methods = session.scalars(
        select(AuditEntry.after).where(
            AuditEntry.action == "account.sign_in", AuditEntry.target_id == "admin.wang"
        )
    ).all()
    assert [m.split('"second_factor": ')[1] for m in methods][-2:] == [
        '"totp"}',
        '"recovery_code"}',
    ]
