"""The point-in-time recovery drill of docs/operations.md (section 5), with pgBackRest, on a
PostgreSQL cluster of the drill's own (``initdb`` in a temporary directory on a free port:
``localcluster.private_postgres``), never the shared server.

The cluster archives its WAL with the compose stack's settings (the ``-c`` options of the
``db`` service) into a repository made with the stack's pgBackRest configuration
(deploy/pgbackrest/pgbackrest.conf, its paths moved into the cluster's directory). The
drill migrates the schema, loads a month of the program through the service, takes a full
backup with the stack's own job (deploy/postgres/backup.sh, which records its success for
VoucherBackupMissing), does more good work, notes the time, and then a careless operator
releases every voucher's balance by hand. The cluster is stopped and restored to the noted
time with ``pgbackrest restore --type=time``: the good work is there, the bad change is not,
and ``voucher-service verify`` finds the books clean. Then, on the restored cluster's new
timeline, a restore point marks the moment before risky work by hand that goes wrong, and a
restore to it (``--type=name``) undoes that too."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.databases import backend
from tests.deploy.files import DEPLOY, compose
from tests.deploy.test_backup_drill import (
    CLOSE_OF_JUNE,
    api,
    bearer,
    books,
    load,
    usage,
    verify_cli,
)
from tests.monitoring.tools import require
from voucher_service.db.migrate import migrate
from voucher_service.db.session import create_db_engine
from voucher_tools.localcluster import PrivatePostgres, postgres_bin_dir, private_postgres

CONFIG = DEPLOY / "pgbackrest" / "pgbackrest.conf"
BACKUP_JOB = DEPLOY / "postgres" / "backup.sh"
STANZA = "voucher"


def archiving_settings() -> dict[str, str]:
    """The compose stack's PostgreSQL settings (``-c name=value`` after ``postgres``)."""
    command = compose()["services"]["db"]["command"]
    assert command[0] == "postgres", command
    pairs = [command[i + 1].split("=", 1) for i, arg in enumerate(command) if arg == "-c"]
    return {name: value for name, value in pairs}


def test_the_stack_archives_every_wal_segment_and_backs_up_with_pgbackrest() -> None:
    """`db` archives its WAL into the repository and `backup` backs it up, both with the one
    configuration, in the image that holds pgBackRest and the backup job; the job reads
    the cluster's files read-only and reaches the server over its socket."""
    settings = archiving_settings()
    assert settings["archive_mode"] == "on"
    assert settings["archive_command"] == f"pgbackrest --stanza={STANZA} archive-push %p"
    config = read_config()
    assert set(config.sections()) == {"global", STANZA}
    assert int(config["global"]["repo1-retention-full"]) >= 4  # a month of weekly fulls
    db, backup = (compose()["services"][name] for name in ("db", "backup"))
    assert db["image"] == backup["image"] and db["build"] == backup["build"]
    dockerfile = (DEPLOY / db["build"]["context"] / db["build"]["dockerfile"]).read_text()
    assert "pgbackrest" in dockerfile
    assert f"COPY {BACKUP_JOB.relative_to(DEPLOY)} /usr/local/bin/{backup['command'][0]}" in (
        dockerfile
    )
    mounts = {
        name: dict(volume.split(":", 1) for volume in service["volumes"])
        for name, service in (("db", db), ("backup", backup))
    }
    for service in mounts.values():
        assert service["./pgbackrest/pgbackrest.conf"] == "/etc/pgbackrest/pgbackrest.conf:ro"
        assert service["pgbackrest-repo"] == config["global"]["repo1-path"]
        assert service["pgsocket"] == config[STANZA]["pg1-socket-path"]
    assert mounts["db"]["pgdata"] + ":ro" == mounts["backup"]["pgdata"]
    assert mounts["db"]["pgdata"] == config[STANZA]["pg1-path"]
    assert backup["user"] == config[STANZA]["pg1-user"] == "postgres"
    assert "/tmp" in backup["tmpfs"] and config["global"]["lock-path"].startswith("/tmp/")


def read_config() -> configparser.ConfigParser:
    config = configparser.ConfigParser(interpolation=None)
    config.optionxform = str  # type: ignore[assignment,method-assign]  # keep names as written
    config.read_string(CONFIG.read_text())
    return config


class Drill:
    """The cluster, its pgBackRest configuration and repository, and commands run as the
    cluster's owner (``postgres`` when the suite runs as root, as in CI)."""

    def __init__(self, database: PrivatePostgres) -> None:
        self.database = database
        root = database.data.parent  # the cluster's directory, owned by its user
        self.config = root / "pgbackrest.conf"
        self.repo = root / "repo"
        config = read_config()
        config["global"]["repo1-path"] = str(self.repo)
        config["global"]["lock-path"] = str(root / "lock")
        config[STANZA]["pg1-path"] = str(database.data)
        config[STANZA]["pg1-socket-path"] = str(database.data)  # the cluster's socket
        config[STANZA]["pg1-port"] = str(database.port)
        with self.config.open("w") as out:
            config.write(out, space_around_delimiters=False)
        # The backup job beside them, where the cluster's user surely may read it.
        self.backup_job_script = Path(shutil.copy(BACKUP_JOB, root / BACKUP_JOB.name))
        for directory in (self.repo, root / "lock"):
            directory.mkdir()
        for path in (self.config, self.backup_job_script, self.repo, root / "lock"):
            if database.run_as:
                shutil.chown(path, user=database.run_as)

    def environment(self) -> dict[str, str]:
        """pgBackRest finds its configuration by PGBACKREST_CONFIG: in the server, for its
        archive_command and restore_command, and in every command the drill runs."""
        return {**os.environ, "PGBACKREST_CONFIG": str(self.config)}

    def run(self, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.database.run_as, "--"] if self.database.run_as else []
        done = subprocess.run(
            [*prefix, *command],
            env={**self.environment(), **env},
            capture_output=True,
            text=True,
            timeout=120,
            cwd="/",
        )
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        return done

    def pgbackrest(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return self.run("pgbackrest", f"--stanza={STANZA}", *arguments)

    def archive_wal(self) -> None:
        """Restart the cluster with WAL archiving (the stack's settings) and make the stanza."""
        self.database.stop()
        with (self.database.data / "postgresql.conf").open("a") as conf:
            for name, value in archiving_settings().items():
                conf.write(f"{name} = '{value}'\n")
        self.database.start()
        self.pgbackrest("stanza-create")
        self.pgbackrest("check")  # a WAL segment reaches the repository

    def backup_job(self, kind: str) -> None:
        """The stack's backup job, once (as the Kubernetes CronJobs run it)."""
        url = make_url(self.database.url).set(drivername="postgresql+psycopg")
        self.run(
            "sh",
            str(self.backup_job_script),
            kind,
            VOUCHER_DATABASE_URL=url.render_as_string(hide_password=False),
        )

    def backups(self) -> list[dict[str, object]]:
        (stanza,) = json.loads(self.pgbackrest("--output=json", "info").stdout)
        assert stanza["status"]["message"] == "ok", stanza
        return stanza["backup"]  # type: ignore[no-any-return]

    def restore(self, *target: str) -> None:
        """Stop the cluster, restore it in place to ``target``, start it and wait until it
        has replayed the archive to the target and been promoted."""
        self.database.stop()
        self.pgbackrest("--delta", *target, "--target-action=promote", "restore")
        # The cluster's socket lives in its data directory (an odd place; not so in the
        # stack): its lock file came back with the backup, naming a postmaster long gone.
        for lock in self.database.data.glob(".s.PGSQL.*.lock"):
            lock.unlink()
        try:
            self.database.start()
        except subprocess.CalledProcessError:
            log = self.database.data / "server.log"
            pytest.fail(f"the restored cluster did not start:\n{log.read_text()[-3000:]}")
        engine = create_db_engine(self.database.url)
        try:
            deadline = time.monotonic() + 60
            while True:
                with engine.connect() as db:
                    if not db.execute(text("SELECT pg_is_in_recovery()")).scalar_one():
                        return
                assert time.monotonic() < deadline, "the restored cluster was not promoted"
                time.sleep(0.2)
        finally:
            engine.dispose()


def sql(url: str, statement: str) -> object:
    """Run ``statement`` in a transaction of its own: its value, or how many rows it changed."""
    engine = create_db_engine(url)
    try:
        with engine.begin() as db:
            result = db.execute(text(statement))
            return result.scalar() if result.returns_rows else result.rowcount
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.skipif(
    backend() != "postgresql" or postgres_bin_dir() is None,
    reason="a private PostgreSQL cluster (initdb) in the PostgreSQL run",
)
def test_restore_to_a_time_and_to_a_named_point(monkeypatch: pytest.MonkeyPatch) -> None:
    require("pgbackrest", package="pgbackrest")
    with private_postgres() as database:
        drill = Drill(database)
        monkeypatch.setenv("PGBACKREST_CONFIG", str(drill.config))  # for the server's commands
        drill.archive_wal()
        url = database.url
        migrate(url)
        demo = load(url)

        drill.backup_job("full")
        [full] = drill.backups()
        assert full["type"] == "full"
        # The backup job's success is the one VoucherBackupMissing watches.
        assert sql(url, "SELECT last_success_at IS NOT NULL FROM job_run WHERE job = 'backup'")

        # Good work after the backup: in the WAL only.
        with api(url, [CLOSE_OF_JUNE]) as http:
            for i in range(5):
                posted = http.post(
                    f"/v1/provider/{demo.provider}/usage-records",
                    headers=bearer(demo.keys["provider"]),
                    json=usage(f"after-backup-{i}", demo.vouchers[0], demo.enterprises[0], "8.00"),
                )
                assert posted.status_code == 201, posted.text
        good = books(url)
        assert good["usage_records"] == [(16 + 61 + 5,)]  # the demo's, the month's, these
        before_the_mistake = str(sql(url, "SELECT clock_timestamp()::text"))

        # The careless operator releases one voucher's balance by hand, and forgets the WHERE.
        released = "UPDATE voucher SET released_fen = released_fen + balance_fen, balance_fen = 0"
        assert sql(url, released) == sql(url, "SELECT COUNT(*) FROM voucher")
        broken = verify_cli(url)
        assert broken.returncode != 0, broken.stdout
        # Before stopping: the current WAL segment, with the mistake, into the repository
        # (check switches to a new segment and waits until the old one is archived).
        drill.pgbackrest("check")

        # The backup set named: pgBackRest otherwise picks the newest set that stopped
        # before the target, compared in whole seconds, and on a fast machine the backup
        # stops in the same second as the target is taken (seen in CI: "unable to find
        # backup set with stop time less than ...").
        drill.restore("--type=time", f"--target={before_the_mistake}", f"--set={full['label']}")
        assert books(url) == good
        verified = verify_cli(url)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "ledger consistent" in verified.stdout

        # Risky work by hand, the moment marked first, goes wrong; restored to the mark. The
        # restored cluster archives again on its new timeline, and the same full backup
        # replays onto it.
        sql(url, "SELECT pg_create_restore_point('before-fixing-a-voucher')::text")
        one = " WHERE id = (SELECT MIN(id) FROM voucher WHERE balance_fen > 0)"
        assert sql(url, released + one) == 1
        assert books(url) != good
        drill.pgbackrest("check")
        drill.restore("--type=name", "--target=before-fixing-a-voucher")
        assert books(url) == good
        verified = verify_cli(url)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert [backup["label"] for backup in drill.backups()] == [full["label"]]
