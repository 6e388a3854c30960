"""deploy/kubernetes/: valid per the Kubernetes schemas (kubernetes-validate, strict), every
command a real CLI command, and the properties an operator relies on: replicas that survive a
drain, probes, resources, a locked-down container, the database URL only from a Secret, the
scheduled jobs, and network policies that let in only the ingress and Prometheus."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from tests.deploy.files import (
    DEPLOY,
    IMAGE,
    JOB_RUNNER,
    KUBERNETES,
    WITNESS,
    assert_metrics_can_aggregate,
    assert_real_command,
    containers,
    kubernetes,
    pod_spec,
    pod_template,
    workloads,
)

# The oldest Kubernetes release still maintained when these manifests were written.
KUBERNETES_VERSION = "1.30.0"


def resources(kind: str, directory: Path = KUBERNETES) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in kubernetes(directory) if d["kind"] == kind}


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return pod_template(workload)["metadata"]["labels"]  # type: ignore[no-any-return]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    expressions = selector.get("matchExpressions", [])
    assert all(e["operator"] == "In" for e in expressions), expressions
    return selector.get("matchLabels", {}).items() <= labels.items() and all(
        labels.get(e["key"]) in e["values"] for e in expressions
    )


def api() -> dict[str, Any]:
    return resources("Deployment")["voucher-api"]


def test_kustomization_applies_every_file() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted({name for name, _ in kubernetes()})


@pytest.mark.parametrize(
    "document",
    [d for directory in (KUBERNETES, WITNESS) for _, d in kubernetes(directory)],
    ids=lambda d: f"{d['kind']}/{d['metadata']['name']}",
)
def test_manifest_matches_the_kubernetes_schema(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_schema_refuses_a_misspelt_or_mistyped_field() -> None:
    misspelt = copy.deepcopy(api())
    container = pod_spec(misspelt)["containers"][0]
    container["readinessprobe"] = container.pop("readinessProbe")
    mistyped = copy.deepcopy(api())
    mistyped["spec"]["replicas"] = "two"
    for broken in (misspelt, mistyped):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def is_backup(workload: dict[str, Any]) -> bool:
    """The backup CronJobs (backup.yaml) run pgBackRest in PostgreSQL's image, not ours."""
    return pod_labels(workload).get("app.kubernetes.io/component") == "backup"


def test_every_container_runs_a_real_command_of_one_image() -> None:
    images = set()
    for workload, container in containers():
        if is_backup(workload):
            continue
        images.add(container["image"])
        assert_real_command(container["command"])
        assert_metrics_can_aggregate(container["command"], {e["name"] for e in container["env"]})
    assert len(images) == 1 and images.pop().split(":")[0] == IMAGE


def test_every_container_of_the_service_logs_json() -> None:
    """(The witness is the auditor's, configured by its arguments alone.)"""
    for workload, container in containers():
        if is_backup(workload):  # pgBackRest writes its own lines
            continue
        assert env_of(container)["VOUCHER_LOG_FORMAT"] == {
            "name": "VOUCHER_LOG_FORMAT",
            "value": "json",
        }, workload["metadata"]["name"]


def test_scheduled_and_one_off_work() -> None:
    scheduled = {
        name: pod_spec(job)["containers"][0]["command"]
        for name, job in resources("CronJob").items()
        if not is_backup(job)
    }
    verify = scheduled["voucher-verify"]
    assert verify[: verify.index("--") + 1] == [*JOB_RUNNER, "verify", "--"]
    scheduled["voucher-verify"] = verify[verify.index("--") + 1 :]
    assert sorted(command[1:] for command in scheduled.values()) == [
        ["audit", "checkpoint", "--out", "/checkpoints"],
        ["audit", "seal"],
        ["expire"],
        ["verify", "--checkpoint", "/checkpoints", "--public-key", "/keys/checkpoint.key.pub"],
    ]
    for job in resources("CronJob").values():
        assert job["spec"]["timeZone"] == "Asia/Shanghai"
        assert job["spec"]["concurrencyPolicy"] == "Forbid"
    (migrate,) = resources("Job").values()
    assert pod_spec(migrate)["containers"][0]["command"] == ["voucher-service", "migrate"]


def test_containers_are_locked_down_and_sized() -> None:
    for workload, container in [*containers(), *containers(WITNESS)]:
        where = f"{workload['metadata']['name']}/{container['name']}"
        pod = pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["automountServiceAccountToken"] is False, where
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }, where
        for bound in ("requests", "limits"):
            assert set(container["resources"][bound]) == {"cpu", "memory"}, where
        # A read-only root: the only writable places are scratch volumes and the
        # checkpoints' store; Secrets are mounted read-only.
        volumes = {v["name"]: v for v in pod["volumes"]}
        for mount in container["volumeMounts"]:
            volume = volumes[mount["name"]]
            if "secret" in volume or "configMap" in volume:
                assert mount.get("readOnly") is True, where
            else:
                assert "emptyDir" in volume or "persistentVolumeClaim" in volume, where


def test_only_the_checkpoint_job_holds_the_signing_key() -> None:
    """The private key reaches the checkpoint job alone, readable by its user only; verify
    gets the public half; both share the checkpoints' store, verify read-only."""
    holders = {}
    for workload, _ in containers():
        pod = pod_spec(workload)
        for volume in pod["volumes"]:
            secret = volume.get("secret", {})
            if secret.get("secretName") != "voucher-checkpoint-key":
                continue
            holders[workload["metadata"]["name"]] = [item["key"] for item in secret["items"]]
            assert secret["defaultMode"] & 0o077 in (0, 0o044), secret  # never writable
            assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsUser"]
    assert holders == {
        "voucher-checkpoint": ["checkpoint.key"],
        "voucher-verify": ["checkpoint.key.pub"],
    }
    (store,) = resources("PersistentVolumeClaim").values()
    claims = {
        workload["metadata"]["name"]: volume["persistentVolumeClaim"]
        for workload, _ in containers()
        for volume in pod_spec(workload)["volumes"]
        if "persistentVolumeClaim" in volume
    }
    assert {name: claim["claimName"] for name, claim in claims.items()} == {
        "voucher-checkpoint": store["metadata"]["name"],
        "voucher-verify": store["metadata"]["name"],
    }
    assert claims["voucher-verify"]["readOnly"] is True
    (job,) = [w for w, _ in containers() if w["metadata"]["name"] == "voucher-checkpoint"]
    env = {e["name"]: e.get("value") for e in pod_spec(job)["containers"][0]["env"]}
    assert env["VOUCHER_CHECKPOINT_KEY"] == "/keys/checkpoint.key"


def test_the_database_url_comes_from_a_secret_only() -> None:
    assert resources("Secret") == {}
    for workload, container in containers():
        variables = {e["name"]: e for e in container["env"]}
        url = variables["VOUCHER_DATABASE_URL"]
        assert set(url) == {"name", "valueFrom"}, workload["metadata"]["name"]
        assert set(url["valueFrom"]["secretKeyRef"]) == {"name", "key"}
        for variable in variables.values():
            assert "://" not in str(variable.get("value", "")), variable


def test_the_api_survives_drains_and_is_probed() -> None:
    deployment = api()
    labels = pod_labels(deployment)
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    (container,) = pod_spec(deployment)["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["command"][-2:] == ["--port", str(ports["http"])]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}

    (budget,) = resources("PodDisruptionBudget").values()
    assert selects(budget["spec"]["selector"], labels)
    (autoscaler,) = resources("HorizontalPodAutoscaler").values()
    target = autoscaler["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "voucher-api")
    assert autoscaler["spec"]["minReplicas"] >= deployment["spec"]["replicas"]
    # A drain may take a pod only while another still serves.
    assert budget["spec"]["minAvailable"] < autoscaler["spec"]["minReplicas"]

    (service,) = resources("Service").values()
    assert service["spec"]["selector"].items() <= labels.items()
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= set(ports)
    (ingress,) = resources("Ingress").values()
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert {p["backend"]["service"]["name"] for p in paths} == {service["metadata"]["name"]}
    assert not any("/metrics".startswith(p["path"]) for p in paths)


def policies_for(labels: dict[str, str], policy_type: str) -> list[dict[str, Any]]:
    return [
        p
        for p in resources("NetworkPolicy").values()
        if policy_type in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], labels)
    ]


def allowed_ports(policies: list[dict[str, Any]], direction: str) -> set[tuple[str, Any]]:
    return {
        (port["protocol"], port["port"])
        for policy in policies
        for rule in policy["spec"].get(direction, [])
        for port in rule["ports"]
    }


def test_network_policies_isolate_every_pod() -> None:
    for workload in workloads():
        labels = pod_labels(workload)
        name = workload["metadata"]["name"]
        assert policies_for(labels, "Ingress") and policies_for(labels, "Egress"), name
        egress = allowed_ports(policies_for(labels, "Egress"), "egress")
        assert {("UDP", 53), ("TCP", 53), ("TCP", 5432)} <= egress, name
        ingress = allowed_ports(policies_for(labels, "Ingress"), "ingress")
        assert ingress == ({("TCP", "http")} if name == "voucher-api" else set()), name


def test_only_the_ingress_controller_and_prometheus_reach_the_api() -> None:
    (policy,) = [p for p in policies_for(pod_labels(api()), "Ingress") if p["spec"].get("ingress")]
    (rule,) = policy["spec"]["ingress"]
    sources = {
        (peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],)
        + tuple(peer["podSelector"]["matchLabels"].values())
        for peer in rule["from"]
    }
    assert sources == {("ingress-nginx", "ingress-nginx"), ("monitoring", "prometheus")}


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container["env"]}


def test_only_the_migrate_job_connects_as_the_tables_owner() -> None:
    """migrate alone has the owner's URL and grants the runtime role; every other pod
    connects as that role (db/roles.py)."""
    secrets = {
        workload["metadata"]["name"]: env_of(container)["VOUCHER_DATABASE_URL"]["valueFrom"][
            "secretKeyRef"
        ]["name"]
        for workload, container in containers()
    }
    owner = secrets.pop("voucher-migrate")
    assert set(secrets.values()) == {"voucher-db"} and owner != "voucher-db"
    (migrate,) = resources("Job").values()
    (container,) = pod_spec(migrate)["containers"]
    assert env_of(container)["VOUCHER_DB_RUNTIME_ROLE"]["value"]


def namespace(directory: Path) -> str:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted({n for n, _ in kubernetes(directory)})
    return str(kustomization["namespace"])


def test_the_witness_runs_in_its_own_namespace_with_its_own_key_and_storage() -> None:
    assert namespace(WITNESS) != namespace(KUBERNETES)
    (deployment,) = resources("Deployment", WITNESS).values()
    (container,) = pod_spec(deployment)["containers"]
    assert_real_command(container["command"])
    assert container["command"][1:3] == ["witness", "serve"]
    # No database, none of the service's Secrets: a volume of its own for its key and state.
    assert not any(name.startswith("VOUCHER_") for name in env_of(container))
    volumes = pod_spec(deployment)["volumes"]
    assert not any("secret" in volume for volume in volumes)
    (claim,) = resources("PersistentVolumeClaim", WITNESS)
    assert [
        v["persistentVolumeClaim"]["claimName"] for v in volumes if "persistentVolumeClaim" in v
    ] == [claim]
    assert (
        deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    )
    # Reached only by the service's checkpoint and verify jobs; it reaches nothing.
    (policy,) = resources("NetworkPolicy", WITNESS).values()
    assert selects(policy["spec"]["podSelector"], pod_labels(deployment))
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"] and "egress" not in policy["spec"]
    ((peer,),) = [rule["from"] for rule in policy["spec"]["ingress"]]
    assert peer["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": namespace(KUBERNETES)
    }
    callers = {
        name
        for name, job in resources("CronJob").items()
        if selects(peer["podSelector"], pod_labels(job))
    }
    assert callers == {"voucher-checkpoint", "voucher-verify"}


def test_the_checkpoint_and_verify_jobs_ask_the_witness() -> None:
    (service,) = resources("Service", WITNESS).values()
    (config,) = [c for c in resources("ConfigMap").values() if "url" in c["data"]]
    url = urlsplit(config["data"]["url"])
    assert url.hostname == f"{service['metadata']['name']}.{namespace(WITNESS)}.svc"
    assert url.port == service["spec"]["ports"][0]["port"]
    for name in ("voucher-checkpoint", "voucher-verify"):
        job = resources("CronJob")[name]
        (container,) = pod_spec(job)["containers"]
        env = env_of(container)
        for variable, key in (("VOUCHER_WITNESS_URL", "url"), ("VOUCHER_WITNESS_VKEY", "vkey")):
            assert env[variable]["valueFrom"]["configMapKeyRef"] == {
                "name": config["metadata"]["name"],
                "key": key,
            }, name
        egress = allowed_ports(policies_for(pod_labels(job), "Egress"), "egress")
        assert ("TCP", url.port) in egress, name
    # The API, the prober and the rest may not reach it.
    for name in ("voucher-api", "voucher-prober"):
        labels = pod_labels(resources("Deployment")[name])
        assert ("TCP", url.port) not in allowed_ports(policies_for(labels, "Egress"), "egress")


def test_backups_full_weekly_and_differential_daily_with_the_backup_job() -> None:
    """Two CronJobs run the backup job of deploy/postgres/backup.sh, in the image built from
    deploy/postgres/Dockerfile: a full on Sundays, a differential every other day, one at a
    time, after expire and verify; with the stack's retention, encrypted, the repository's
    secrets from Secrets, and the outcome recorded as the runtime role (job_run)."""
    jobs = {name: job for name, job in resources("CronJob").items() if is_backup(job)}
    schedules = {
        pod_spec(job)["containers"][0]["command"][1]: job["spec"]["schedule"]
        for job in jobs.values()
    }
    assert schedules == {"full": "0 2 * * 0", "diff": "0 2 * * 1-6"}
    dockerfile = (DEPLOY / "postgres" / "Dockerfile").read_text()
    (config_map,) = [c for c in resources("ConfigMap").values() if "pgbackrest.conf" in c["data"]]
    config = config_map["data"]["pgbackrest.conf"]
    stack = (DEPLOY / "pgbackrest" / "pgbackrest.conf").read_text()
    for setting in ("repo1-retention-full=", "repo1-retention-diff=", "lock-path="):
        [line] = [line for line in stack.splitlines() if line.startswith(setting)]
        assert line in config.splitlines(), setting
    assert "repo1-cipher-type=aes-256-cbc" in config and "cipher-pass" not in config
    for job in jobs.values():
        assert job["spec"]["concurrencyPolicy"] == "Forbid"
        assert job["spec"]["timeZone"] == "Asia/Shanghai"
        pod = pod_spec(job)
        (container,) = pod["containers"]
        assert f"/usr/local/bin/{container['command'][0]}" in dockerfile
        assert container["image"].split(":")[0] == "voucher-postgres"
        env = env_of(container)
        assert env["VOUCHER_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "voucher-db"
        for name in ("S3_KEY", "S3_KEY_SECRET", "CIPHER_PASS"):
            assert "secretKeyRef" in env[f"PGBACKREST_REPO1_{name}"]["valueFrom"], name
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        assert mounts["/etc/pgbackrest/pgbackrest.conf"]["subPath"] == "pgbackrest.conf"
        assert "/tmp" in mounts
    # They may reach the database server's pgBackRest server and the object storage.
    (labels,) = {tuple(pod_labels(job).items()) for job in jobs.values()}
    egress = allowed_ports(policies_for(dict(labels), "Egress"), "egress")
    assert {("TCP", 8432), ("TCP", 443), ("TCP", 5432)} <= egress
