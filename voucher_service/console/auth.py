"""Who is signed in to the console, and the CSRF check on its forms.

The session cookie holds the session's random token plus an HMAC of it (signed with the
database's console secret, so any API process can check it); it is HttpOnly, SameSite=Lax
(Strict would sign people out when they follow a link to the console from the bureau's mail
or OA system; no state changes on GET, and every POST needs the CSRF token), scoped to
/console, and Secure when the request arrived over https — directly, or through a trusted
proxy's ``X-Forwarded-Proto: https`` — or always with ``VOUCHER_SECURE_COOKIES``. The token
is then looked up in the database (accounts/sessions.py): sign-out anywhere ends the session
everywhere, and idle and absolute timeouts apply in every process alike.

Between the password and the second factor the browser holds no session: the code form
carries a pending token, ``HMAC(secret, "second-factor|" + account id + expiry)``, valid for
``PENDING_SECOND_FACTOR`` (it proves the password was right, nothing more).

The gate (``gate.py``) checks the cookie before the body is read (``authenticate_cookie``).
``console_caller`` gives the same ``Caller`` for a person as the gate finds for an API key,
and ``guard(ACCESS_RULE)`` guards a page with the very rule object that guards the API
endpoint, so a page and its endpoint cannot disagree about who may see what.

CSRF (synchronizer token, derived rather than stored): every form carries
``HMAC(secret, "csrf|" + anchor)``, where the anchor is the session token (signed in) or a
random per-browser cookie (the sign-in form). An attacker's page can make the browser send
the cookies but cannot read them, so it cannot compute the token. htmx requests send the same
token in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.requests import cookie_parser
from starlette.responses import Response

from voucher_service.accounts import second_factor
from voucher_service.accounts.sessions import (
    SessionPolicy,
    SignedIn,
    resolve_session,
    signing_secret,
)
from voucher_service.auth.access import Access
from voucher_service.auth.service import Caller
from voucher_service.config import get_settings
from voucher_service.console.viewer import CONSOLE, Viewer
from voucher_service.deps import SettingsDep
from voucher_service.errors import ErrorCode, Forbidden, Unauthorized
from voucher_service.gate import arrived_over_https
from voucher_service.notifications.service import unread_count

SESSION_COOKIE = "vs_session"
ANCHOR_COOKIE = "vs_anchor"
COOKIE_PATH = CONSOLE
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PENDING_SECOND_FACTOR = timedelta(minutes=5)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class PasswordChangeRequired(Exception):
    """The bureau set this person's password: they must choose their own before anything else."""


class SecondFactorRequired(Exception):
    """The setting requires a second factor of this bureau account, and it has none yet: the
    person sets one up before anything else."""


class CsrfRefused(Forbidden):
    code = ErrorCode.CSRF


def _mac(secret: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(secret, f"{purpose}|{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(secret: bytes, value: str) -> str:
    return f"{value}.{_mac(secret, 'cookie', value)}"


def unsign(secret: bytes, signed: str) -> str | None:
    """The value of a signed cookie, or None if it was not signed with ``secret``."""
    value, _, mac = signed.rpartition(".")
    if value and hmac.compare_digest(mac, _mac(secret, "cookie", value)):
        return value
    return None


def authenticate_cookie(
    session: Session, headers: dict[str, str], *, client: str, now: datetime
) -> dict[str, Any]:
    """The gate's check of a console request (in its short transaction, before the body is
    read): the signing secret, and the person its session cookie signs in — or nobody. It
    never refuses: pages that need a person say so (``signed_in``)."""
    secret = signing_secret(session)
    raw = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
    token = unsign(secret, raw) if raw else None
    policy = SessionPolicy.of(get_settings())
    signed = resolve_session(session, token, policy=policy, now=now) if token else None
    found: dict[str, Any] = {
        "console_secret": secret,
        "signed": signed,
        "viewer": Viewer.of(signed.person, unread=unread_count(session, signed.person.account.id))
        if signed and signed.person.account.id is not None
        else None,
    }
    if signed is not None:
        # Their changes in this request are recorded in the audit log as theirs.
        found["actor"] = signed.person.actor()
    return found


async def _secret(request: Request) -> bytes:
    secret: bytes = request.state.console_secret
    return secret


SecretDep = Annotated[bytes, Depends(_secret)]


def _session_token(request: Request, secret: bytes) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    return unsign(secret, raw) if raw else None


async def signed_in_or_none(request: Request) -> SignedIn | None:
    """The person signed in with this request's cookie, if any (found by the gate)."""
    signed: SignedIn | None = getattr(request.state, "signed", None)
    return signed


async def signed_in(
    signed: Annotated[SignedIn | None, Depends(signed_in_or_none)],
) -> SignedIn:
    """The signed-in person, or Unauthorized (the console sends the browser to sign in)."""
    if signed is None:
        raise Unauthorized("sign in to the console first")
    return signed


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


async def console_caller(signed: SignedInDep, settings: SettingsDep) -> Caller:
    """The signed-in person as a ``Caller``: what the gate finds for an API key. Someone
    the bureau gave a password to must first choose their own; a bureau account the setting
    requires a second factor of must first set one up."""
    person = signed.person
    if person.account.must_change_password:
        raise PasswordChangeRequired
    required = second_factor.applies_to(person, required=settings.require_second_factor)
    if required and not second_factor.enrolled(person.account):
        raise SecondFactorRequired
    return person.caller()


def guard(access: Access) -> Any:
    """A page's guard: the API's access rule object, applied to the signed-in person.
    ``@router.get(..., dependencies=[guard(ENTERPRISE_SELF)])`` or as a parameter."""

    async def check(request: Request, caller: Annotated[Caller, Depends(console_caller)]) -> Caller:
        access.check(request, caller)
        return caller

    return Depends(check)


def csrf_token(request: Request, secret: bytes) -> str:
    """The token this browser's forms must carry. Before sign-in it is anchored in a random
    cookie, made here if the browser has none yet (``set_cookies`` sends it)."""
    anchor = _session_token(request, secret) or request.cookies.get(ANCHOR_COOKIE)
    if not anchor:
        anchor = request.state.new_anchor = secrets.token_urlsafe(32)
    return _mac(secret, "csrf", anchor)


async def require_csrf(request: Request, secret: SecretDep) -> None:
    """Refuse any state-changing request without this browser's CSRF token (403)."""
    if request.method in _SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    anchor = _session_token(request, secret) or request.cookies.get(ANCHOR_COOKIE)
    if not sent or not anchor or not hmac.compare_digest(sent, _mac(secret, "csrf", anchor)):
        raise CsrfRefused("the form's security token is missing or stale: reload the page")


def pending_second_factor(secret: bytes, account_id: int, now: datetime) -> str:
    """The token the code form carries once the password was right."""
    value = f"{account_id}:{int((now + PENDING_SECOND_FACTOR).timestamp())}"
    return f"{value}.{_mac(secret, 'second-factor', value)}"


def pending_account(secret: bytes, token: str, now: datetime) -> int | None:
    """The account a pending token was made for, unless forged or expired."""
    value, _, mac = token.rpartition(".")
    if not value or not hmac.compare_digest(mac, _mac(secret, "second-factor", value)):
        return None
    account, _, expires = value.partition(":")
    if not (account.isdigit() and expires.isdigit()) or int(expires) < now.timestamp():
        return None
    return int(account)


def secure_cookies(request: Request) -> bool:
    """Whether the browser's cookies must be Secure: the setting says always, or this
    request came over https (through a trusted proxy that says so, or directly)."""
    settings = get_settings()
    return settings.secure_cookies or arrived_over_https(request.scope, settings.proxy_networks)


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )


def set_session_cookie(response: Response, request: Request, secret: bytes, token: str) -> None:
    _cookie(response, request, SESSION_COOKIE, sign(secret, token))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )


def set_cookies(response: Response, request: Request) -> None:
    """Send the CSRF anchor cookie made while rendering, if one was."""
    anchor = getattr(request.state, "new_anchor", None)
    if anchor:
        _cookie(response, request, ANCHOR_COOKIE, anchor)
