"""provider telemetry snapshots and health probes; providers gain a health endpoint

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 00:22:46.968575
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "probe_result",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("probed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_probe_result_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probe_result")),
    )
    with op.batch_alter_table("probe_result", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_probe_result_provider_id"), ["provider_id", "probed_at"], unique=False
        )

    op.create_table(
        "telemetry_snapshot",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resource_model", sa.String(length=100), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("utilisation_bp", sa.Integer(), nullable=False),
        sa.Column("queue_wait_seconds", sa.Integer(), nullable=False),
        sa.Column(
            "list_price_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.CheckConstraint(
            "available >= 0 AND available <= total",
            name=op.f("ck_telemetry_snapshot_available_within_total"),
        ),
        sa.CheckConstraint(
            "list_price_fen >= 0", name=op.f("ck_telemetry_snapshot_price_nonnegative")
        ),
        sa.CheckConstraint(
            "queue_wait_seconds >= 0", name=op.f("ck_telemetry_snapshot_wait_nonnegative")
        ),
        sa.CheckConstraint(
            "utilisation_bp BETWEEN 0 AND 10000",
            name=op.f("ck_telemetry_snapshot_utilisation_range"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_telemetry_snapshot_provider_id_provider"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_snapshot")),
    )
    with op.batch_alter_table("telemetry_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telemetry_snapshot_provider_id"),
            ["provider_id", "resource_model", "observed_at"],
            unique=False,
        )

    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("health_url")

    with op.batch_alter_table("telemetry_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telemetry_snapshot_provider_id"))

    op.drop_table("telemetry_snapshot")
    with op.batch_alter_table("probe_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_probe_result_provider_id"))

    op.drop_table("probe_result")
