"""deploy/compose.yaml: valid per the Compose Specification, every command a real one, two
replicas behind nginx that the API trusts for client addresses, Prometheus and Grafana
wired to files that exist (Prometheus's as promtool sees them in the container)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml

from tests.deploy.files import (
    DEPLOY,
    IMAGE,
    assert_metrics_can_aggregate,
    assert_real_command,
    compose,
    stage_binds,
)
from tests.monitoring.tools import require

SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
ALERT_SINK = "voucher_service.monitoring.alert_sink"


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]  # type: ignore[no-any-return]


def ours() -> dict[str, dict[str, Any]]:
    """The services that run the voucher-service image."""
    return {n: s for n, s in services().items() if s["image"].split(":")[0] == IMAGE}


def api_replicas() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in ours().items() if s["command"][:2] == ["voucher-service", "serve"]}


def port_of(service: dict[str, Any]) -> str:
    command = service["command"]
    return command[command.index("--port") + 1]  # type: ignore[no-any-return]


def binds(service: dict[str, Any]) -> list[tuple[Path, str]]:
    """A service's bind mounts (short syntax) as (host path, container path)."""
    found = []
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith((".", "/")):
            found.append(((DEPLOY / source).resolve(), target))
    return found


def share_a_network(client: str, server: str) -> bool:
    return bool(set(services()[client]["networks"]) & set(services()[server]["networks"]))


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def test_compose_file_follows_the_compose_specification() -> None:
    errors = [f"{error.json_path}: {error.message}" for error in validator().iter_errors(compose())]
    assert errors == []


def test_the_schema_refuses_what_a_container_engine_would() -> None:
    mistyped = copy.deepcopy(compose())
    mistyped["services"]["db"]["helthcheck"] = mistyped["services"]["db"].pop("healthcheck")
    unknown_condition = copy.deepcopy(compose())
    unknown_condition["services"]["migrate"]["depends_on"]["db"]["condition"] = "service_ready"
    for broken in (mistyped, unknown_condition):
        assert list(validator().iter_errors(broken)) != []


def test_every_service_of_ours_runs_a_real_command() -> None:
    assert set(ours()) == {
        "migrate",
        "api-1",
        "api-2",
        "prober",
        "checkpoint",
        "witness",
        "alert-sink",
    }
    for name, service in ours().items():
        if name == "alert-sink":
            assert service["command"][:3] == ["python", "-m", ALERT_SINK]
            continue
        assert_real_command(service["command"])
        assert_metrics_can_aggregate(service["command"], set(service["environment"]))


def test_migrations_run_once_before_the_api() -> None:
    assert ours()["migrate"]["command"] == ["voucher-service", "migrate"]
    assert ours()["migrate"]["restart"] == "no"
    for name, service in ours().items():
        if name in ("migrate", "witness", "alert-sink"):  # these never touch the database
            continue
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_two_replicas_behind_the_proxy_which_alone_they_trust() -> None:
    replicas = api_replicas()
    assert len(replicas) == 2
    conf = (DEPLOY / "nginx" / "voucher.conf").read_text()
    upstream = re.search(r"upstream voucher_api \{(.*?)\}", conf, re.S)
    assert upstream is not None
    servers = set(re.findall(r"^\s*server\s+(\S+)", upstream.group(1), re.M))
    assert servers == {f"{name}:{port_of(s)}" for name, s in replicas.items()}
    # nginx is the edge: it replaces whatever X-Forwarded-For a client sent.
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", conf)
    assert re.search(r"location = /metrics \{\s*return 404;", conf)

    proxy = services()["proxy"]
    assert binds(proxy) == [
        ((DEPLOY / "nginx" / "voucher.conf").resolve(), "/etc/nginx/conf.d/default.conf")
    ]
    (proxy_network,) = proxy["networks"]
    (subnet,) = compose()["networks"][proxy_network]["ipam"]["config"]
    on_proxy_network = {n for n, s in services().items() if proxy_network in s["networks"]}
    assert on_proxy_network == {"proxy", *replicas}
    for name, service in replicas.items():
        assert service["environment"]["VOUCHER_TRUSTED_PROXIES"] == subnet["subnet"]
        assert service["depends_on"]["db"] == {"condition": "service_healthy"}
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert share_a_network(name, "db")
    assert set(proxy["depends_on"]) == set(replicas)


def test_long_running_services_have_healthchecks_and_data_lives_in_named_volumes() -> None:
    for name, service in services().items():
        if service.get("restart") != "no":
            assert "healthcheck" in service, name
    # The image's own HEALTHCHECK asks the API: only the API may keep it.
    for name, service in ours().items():
        if name == "witness":  # it asks its own port
            assert f":{port_of(service)}/healthz" in " ".join(service["healthcheck"]["test"])
        elif name not in api_replicas():
            assert service["healthcheck"] == {"disable": True}, name
    named = {
        volume.split(":")[0]
        for service in services().values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "/"))
    }
    assert named == set(compose()["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in services()["db"]["volumes"]


def test_prometheus_config_as_mounted_passes_promtool(tmp_path: Path) -> None:
    promtool = require("promtool")
    prometheus = services()["prometheus"]
    (config,) = [a.split("=", 1)[1] for a in prometheus["command"] if a.startswith("--config.file")]
    root = stage_binds(binds(prometheus), tmp_path)
    checked = subprocess.run(
        [promtool, "check", "config", str(root / config.lstrip("/"))],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    count = sum(len(group["rules"]) for group in rules["groups"])
    assert f"SUCCESS: {count} rules found" in checked.stdout, checked.stdout


def test_prometheus_scrapes_each_replica_as_the_alerts_expect() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"{name}:{port_of(s)}" for name, s in api_replicas().items()}
    for name in api_replicas():
        assert share_a_network("prometheus", name)
    alerts = (DEPLOY / "prometheus" / "alerts.yml").read_text()
    assert set(re.findall(r'job="([^"]+)"', alerts)) == {job["job_name"]}


def test_grafana_provisions_the_datasource_and_the_dashboard(tmp_path: Path) -> None:
    grafana = services()["grafana"]
    root = stage_binds(binds(grafana), tmp_path)
    provisioning = root / "etc/grafana/provisioning"

    (datasources_file,) = (provisioning / "datasources").glob("*.yaml")
    (datasource,) = yaml.safe_load(datasources_file.read_text())["datasources"]
    url = urlsplit(datasource["url"])
    assert url.hostname == "prometheus" and url.port == 9090
    assert share_a_network("grafana", "prometheus")
    assert datasource["isDefault"] is True

    (providers_file,) = (provisioning / "dashboards").glob("*.yaml")
    (provider,) = yaml.safe_load(providers_file.read_text())["providers"]
    dashboards = list((root / provider["options"]["path"].lstrip("/")).glob("*.json"))
    assert sorted(d.read_text() for d in dashboards) == sorted(
        path.read_text() for path in (DEPLOY / "grafana").glob("*.json")
    )
    assert len(dashboards) == 2
    for file in dashboards:
        dashboard = json.loads(file.read_text())
        (variable,) = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
        assert variable["query"] == datasource["type"]


def database_user(service: dict[str, Any]) -> str | None:
    environment = service.get("environment", {})
    url = environment.get("VOUCHER_DATABASE_URL")
    if url is None:
        return environment.get("PGUSER")  # type: ignore[no-any-return]
    # Not urlsplit: the password is ${VAR:?message}, whose "?" would start a query.
    found = re.match(r"postgresql://([^:@/]+)", url)
    return found[1] if found else None


def test_no_service_connects_as_a_superuser_or_the_owner_but_migrate() -> None:
    """The superuser only initialises the cluster; migrate alone is the tables' owner and
    grants the runtime role, which every other service of ours connects as."""
    migrate = ours()["migrate"]
    runtime = migrate["environment"]["VOUCHER_DB_RUNTIME_ROLE"]
    owner = database_user(migrate)
    assert owner and runtime and owner != runtime
    users = {name: database_user(service) for name, service in services().items()}
    apart = {"migrate": owner, "witness": None, "alert-sink": None, "db": None}
    apart |= {name: None for name in services() if name not in ours() and name != "backup"}
    assert users == {**{name: runtime for name in users if name not in apart}, **apart}
    db = services()["db"]
    superuser = db["environment"]["POSTGRES_USER"]
    assert superuser not in (owner, runtime) and "POSTGRES_DB" not in db["environment"]
    assert "-U" in db["healthcheck"]["test"] and superuser not in db["healthcheck"]["test"]
    [(script, target)] = [b for b in binds(db) if b[1].startswith("/docker-entrypoint-initdb.d/")]
    assert script.exists()
    made = script.read_text()
    for role in (owner, runtime):
        assert f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" in made
    assert f"CREATE DATABASE voucher OWNER {owner};" in made


def test_the_witness_has_its_own_container_volume_and_network() -> None:
    checkpoint, witness = ours()["checkpoint"], ours()["witness"]
    assert checkpoint["command"][1:3] == ["audit", "checkpoint"]
    assert witness["command"][1:3] == ["witness", "serve"]
    mounts = {
        name: {volume.split(":")[0] for volume in service.get("volumes", [])}
        for name, service in services().items()
    }
    holders = {
        volume: {name for name, held in mounts.items() if volume in held}
        for volume in ("witness-data", "checkpoint-key", "checkpoints")
    }
    assert holders == {
        "witness-data": {"witness"},
        "checkpoint-key": {"checkpoint"},
        "checkpoints": {"checkpoint"},
    }
    # Only the checkpoint container reaches the witness, which reaches no database.
    (network,) = witness["networks"]
    assert {n for n, s in services().items() if network in s["networks"]} == {
        "checkpoint",
        "witness",
    }
    assert not share_a_network("witness", "db")
    url = urlsplit(checkpoint["environment"]["VOUCHER_WITNESS_URL"])
    assert (url.hostname, str(url.port)) == ("witness", port_of(witness))
    assert checkpoint["depends_on"]["witness"] == {"condition": "service_healthy"}
    assert "VOUCHER_WITNESS_VKEY" in checkpoint["environment"]
    assert checkpoint["environment"]["VOUCHER_CHECKPOINT_KEY"].startswith("/keys/")


def test_compose_refuses_to_start_without_passwords_and_logs_json() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    variables = set(re.findall(r"\$\{(\w*PASSWORD\w*)", text))
    assert variables == {
        "POSTGRES_PASSWORD",
        "VOUCHER_OWNER_PASSWORD",
        "VOUCHER_APP_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
    }
    # ${VAR:?message}: compose stops with the message when VAR is unset or empty.
    uses = re.findall(r"\$\{\w*PASSWORD\w*(:?.)", text)
    assert uses and set(uses) == {":?"}
    for name, service in ours().items():
        # Not the alert sink (it prints the alerts) nor the witness (the auditor's, set by
        # its arguments alone).
        if name not in ("alert-sink", "witness"):
            assert service["environment"]["VOUCHER_LOG_FORMAT"] == "json", name


def test_alerts_go_from_prometheus_to_alertmanager_to_the_sink(tmp_path: Path) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    [[target]] = [
        group["targets"]
        for manager in config["alerting"]["alertmanagers"]
        for group in manager["static_configs"]
    ]
    host, port = target.split(":")
    alertmanager = services()["alertmanager"]
    assert host == "alertmanager" and share_a_network("prometheus", "alertmanager")
    assert alertmanager["ports"] == [f"127.0.0.1:{port}:{port}"]
    (config_file,) = [
        a.split("=", 1)[1] for a in alertmanager["command"] if a.startswith("--config.file")
    ]
    root = stage_binds(binds(alertmanager), tmp_path)
    checked = subprocess.run(
        [require("amtool"), "check-config", str(root / config_file.lstrip("/"))],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    routing = yaml.safe_load((root / config_file.lstrip("/")).read_text())
    [hook] = [h for r in routing["receivers"] for h in r.get("webhook_configs", [])]
    url = urlsplit(hook["url"])
    sink = services()["alert-sink"]
    assert url.hostname == "alert-sink" and share_a_network("alertmanager", "alert-sink")
    assert sink["command"][sink["command"].index("--port") + 1] == str(url.port)
