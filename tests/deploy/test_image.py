"""The image is reproducible (issue 26, item 4): the Dockerfile builds on a base pinned by
digest, in two stages, installs every dependency from requirements.lock with its hash, and
runs as user and group 10001, as the Kubernetes manifests assume; the lock pins every
runtime dependency pyproject.toml names. No container engine here: the files are read."""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.files import IMAGE, ROOT, WITNESS, containers, pod_spec

DOCKERFILE = ROOT / "Dockerfile"
LOCK = ROOT / "requirements.lock"
UID = GID = 10001
DIGEST = re.compile(r"^python:3\.\d+-slim@sha256:[0-9a-f]{64}$")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, instruction: str) -> list[str]:
        return [text for name, text in self.instructions if name == instruction]


def stages() -> list[Stage]:
    """The Dockerfile's stages, each with its instructions (continued lines joined,
    comments left out)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found: list[Stage] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction, _, rest = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            words = rest.split()
            named = len(words) == 3 and words[1].upper() == "AS"
            found.append(Stage(words[0], words[2] if named else None))
        else:
            found[-1].instructions.append((instruction.upper(), " ".join(rest.split())))
    return found


def locked() -> dict[str, tuple[Version, list[str]]]:
    """Each package of the lock: its pinned version and its hashes."""
    text = re.sub(r"\\\n", " ", LOCK.read_text())
    pins = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement, *options = line.split(" --hash=")
        name, _, version = requirement.split(";")[0].strip().partition("==")
        assert version, f"not pinned with ==: {line}"
        pins[canonicalize_name(name)] = (Version(version), [o.strip() for o in options])
    return pins


def locked_for_pyproject() -> set[str]:
    """The packages the lock says it holds because pyproject.toml names them (``# via
    voucher-service (pyproject.toml)``, alone or among others)."""
    direct, package = set(), None
    for line in LOCK.read_text().splitlines():
        if re.match(r"^[A-Za-z0-9]", line):
            package = canonicalize_name(re.split(r"[=;\s]", line, maxsplit=1)[0])
        elif "voucher-service (pyproject.toml)" in line and package is not None:
            direct.add(package)
    return direct


def runtime_dependencies() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def test_the_lock_pins_every_runtime_dependency_within_its_bounds() -> None:
    """Fails when pyproject.toml gains (or tightens) a dependency and `make lock` was not run."""
    pins = locked()
    for requirement in runtime_dependencies():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: run `make lock`"
        version, _ = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {requirement.name} {version}, outside pyproject.toml's "
            f"{requirement.specifier}: run `make lock`"
        )


def test_the_lock_holds_no_dependency_pyproject_toml_dropped() -> None:
    named = {canonicalize_name(requirement.name) for requirement in runtime_dependencies()}
    assert locked_for_pyproject() == named, "run `make lock`"


def test_the_lock_pins_every_package_with_hashes_and_no_dev_tool() -> None:
    pins = locked()
    assert len(pins) > len(runtime_dependencies())  # their dependencies too
    for name, (_, hashes) in pins.items():
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), name
    assert not {"pytest", "mypy", "ruff", "playwright"} & set(pins)
    assert "make lock" in LOCK.read_text().split("\n", 3)[1], "the lock says how to remake it"


def test_the_image_builds_on_a_base_pinned_by_digest_in_two_stages() -> None:
    builder, final = stages()
    assert builder.name == "builder" and final.name is None
    assert DIGEST.match(builder.base) and final.base == builder.base, (builder.base, final.base)
    # The final stage takes the builder's virtualenv and nothing it would have to build.
    assert any("--from=builder /opt/venv /opt/venv" in copy for copy in final.arguments("COPY"))
    assert not any("pip install" in run for run in final.arguments("RUN"))


def test_the_builder_installs_the_lock_with_hashes_then_the_service_alone() -> None:
    builder, _ = stages()
    assert "requirements.lock ./" in builder.arguments("COPY")
    installs = [
        shlex.split(command)
        for run in builder.arguments("RUN")
        for command in run.split("&&")
        if " install " in command
    ]
    from_lock, service = installs
    assert {"--require-hashes", "-r", "requirements.lock"} <= set(from_lock), from_lock
    assert "--no-deps" in service and service[-1].startswith("/wheels/"), service


def test_the_image_runs_as_user_and_group_10001_as_kubernetes_does() -> None:
    _, final = stages()
    (users,) = final.arguments("RUN")[:1]
    assert f"groupadd --system --gid {GID} voucher" in users
    assert f"useradd --system --uid {UID} --gid {GID}" in users
    assert final.arguments("USER") == [f"{UID}:{GID}"]
    pods: list[dict[str, Any]] = [
        pod_spec(workload)
        for workload, container in [*containers(), *containers(WITNESS)]
        if container["image"].split(":")[0] == IMAGE
    ]
    assert pods
    for pod in pods:
        context = pod["securityContext"]
        assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (
            UID,
            GID,
            GID,
        ), context


def test_the_manifests_run_this_version_of_the_image() -> None:
    from voucher_service import __version__

    # The service's image, and the database's image that carries pgBackRest for the backup
    # jobs (deploy/postgres/Dockerfile), are both tagged with the release's version.
    for _, container in [*containers(), *containers(WITNESS)]:
        assert container["image"] in (
            f"{IMAGE}:{__version__}",
            f"voucher-postgres:{__version__}",
        ), container["image"]
