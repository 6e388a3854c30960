"""Webhook endpoints through the API: register (the secret shown once), list, rotate, delete;
another's is not found; a URL that is not https (or local http where allowed) is 422; events
are written in the transaction of their change, and only for providers with endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    KeyedClient,
    Scene,
    as_role,
    audit_count,
    make_enterprise,
    make_scene,
    post_provider,
)
from voucher_service.config import get_settings
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.webhooks import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def local_http(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("VOUCHER_WEBHOOK_ALLOW_HTTP_LOCAL", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def endpoints_of(client: KeyedClient, provider: str) -> str:
    return f"/v1/provider/{provider}/webhook-endpoints"


def deliveries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0


def test_register_list_rotate_delete(client: KeyedClient, session: Session) -> None:
    provider = post_provider(client)
    path = endpoints_of(client, provider)
    made = client.post(path, json={"url": "https://ops.example.cn/hooks", "description": "运维"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert (body["url"], body["status"], body["previous_expires_at"]) == (
        "https://ops.example.cn/hooks",
        "active",
        None,
    )
    [listed] = client.get(path).json()["items"]
    assert "secret" not in listed and listed["id"] == body["id"]
    stored = session.get(WebhookEndpoint, body["id"])
    assert stored is not None and stored.secret == body["secret"]

    rotated = client.post(f"{path}/{body['id']}/rotate-secret", json={"keep_previous_hours": 24})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["secret"] != body["secret"] and new["previous_expires_at"] is not None
    session.refresh(stored)
    assert (stored.secret, stored.previous_secret) == (new["secret"], body["secret"])

    gone = client.delete(f"{path}/{body['id']}")
    assert gone.status_code == 204, gone.text
    assert client.get(path).json()["items"] == []
    again = client.delete(f"{path}/{body['id']}")
    assert (again.status_code, again.json()["error"]["code"]) == (
        404,
        "webhook_endpoint_not_found",
    )


def test_another_providers_endpoints_are_not_found(client: KeyedClient) -> None:
    mine, theirs = post_provider(client), post_provider(client)
    made = client.post(endpoints_of(client, theirs), json={"url": "https://b.example.cn/h"})
    their_id = made.json()["id"]
    # Their path with my key: the path is not mine (404, as for anything of another's).
    mine_key = as_role(client, Role.PROVIDER, mine)
    listed = client.get(endpoints_of(client, theirs), headers=mine_key)
    assert listed.status_code == 404
    # My path, their endpoint's id: not found either, and nothing changes.
    for response in (
        client.delete(f"{endpoints_of(client, mine)}/{their_id}"),
        client.post(f"{endpoints_of(client, mine)}/{their_id}/rotate-secret", json={}),
    ):
        assert (response.status_code, response.json()["error"]["code"]) == (
            404,
            "webhook_endpoint_not_found",
        )
    assert len(client.get(endpoints_of(client, theirs)).json()["items"]) == 1
    unknown = client.get(f"/v1/provider/{mine}/webhook-deliveries/999999")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (
        404,
        "webhook_delivery_not_found",
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://ops.example.cn/hooks",  # plain http
        "http://127.0.0.1:9000/hooks",  # local http, but the setting is off
        "ftp://ops.example.cn/hooks",
        "https:///no-host",
        "https://user:pw@ops.example.cn/hooks",
        "not a url",
    ],
)
def test_a_bad_url_is_422_and_changes_nothing(
    client: KeyedClient, session: Session, url: str
) -> None:
    provider = post_provider(client)
    assert client.get(endpoints_of(client, provider)).json()["items"] == []  # its key made
    before = audit_count(session)
    refused = client.post(endpoints_of(client, provider), json={"url": url})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "invalid_url"
    assert client.get(endpoints_of(client, provider)).json()["items"] == []
    assert audit_count(session) == before


def test_malformed_bodies_are_422(client: KeyedClient) -> None:
    provider = post_provider(client)
    for body in ({}, {"url": "https://a.cn/" + "x" * 600}, {"url": "https://a.cn", "x": 1}):
        response = client.post(endpoints_of(client, provider), json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input")
    made = client.post(endpoints_of(client, provider), json={"url": "https://a.cn/h"}).json()
    too_long = client.post(
        f"{endpoints_of(client, provider)}/{made['id']}/rotate-secret",
        json={"keep_previous_hours": 1000},
    )
    assert too_long.status_code == 422


def test_local_http_when_the_setting_allows_it(client: KeyedClient, local_http: None) -> None:
    provider = post_provider(client)
    for url in ("http://127.0.0.1:9000/h", "http://localhost/h", "http://[::1]:8080/h"):
        made = client.post(endpoints_of(client, provider), json={"url": url})
        assert made.status_code == 201, made.text
    remote = client.post(endpoints_of(client, provider), json={"url": "http://10.0.0.1/h"})
    assert (remote.status_code, remote.json()["error"]["code"]) == (422, "invalid_url")


def test_events_only_for_endpoints_and_only_for_committed_changes(
    client: KeyedClient, session: Session
) -> None:
    scene: Scene = make_scene(client, session)  # its redemption: no endpoint yet
    assert deliveries(session) == 0
    client.post(endpoints_of(client, scene.provider), json={"url": "https://a.cn/1"})
    client.post(endpoints_of(client, scene.provider), json={"url": "https://a.cn/2"})
    assert scene.post("ok-1").status_code == 201  # subsidised: no event
    assert deliveries(session) == 0
    refused = scene.post("bad-1", uscc=make_enterprise(session).uscc)  # not its holder
    assert refused.json()["outcome"] == "refused", refused.text
    rows = list(session.scalars(select(WebhookDelivery)))
    assert len(rows) == 2 and {r.event_type for r in rows} == {"usage_record.refused"}
    assert rows[0].event_id == rows[1].event_id  # one event, one delivery per endpoint
    # A change that is refused writes no event.
    again = client.post(
        f"/v1/enterprise/{scene.enterprise}/redemptions",
        json={"voucher_code": scene.voucher, "provider_uscc": scene.provider},
    )
    assert again.status_code == 409
    assert deliveries(session) == 2
