"""Dispatch: the task queue, sender throughput, carrier log, scenarios, alerts, media bytes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SID = sa.String(34)
ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("due_at", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_until", sa.BigInteger, nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_tasks_due", "tasks", ["due_at"])
    op.create_index("ix_tasks_ref", "tasks", ["ref"])
    op.create_table(
        "senders",
        sa.Column("sender", sa.String(64), primary_key=True),
        sa.Column("next_free", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "carrier_log",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("message_sid", SID, nullable=False, unique=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("handset", sa.String(32), nullable=False),
        sa.Column("peer", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("num_media", sa.Integer, nullable=False),
        sa.Column("scenario", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_carrier_log_handset", "carrier_log", ["handset", "id"])
    op.create_table(
        "scenario_rules",
        sa.Column("pattern", sa.String(64), primary_key=True),
        sa.Column("scenario", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "notifications",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("error_code", sa.String(8), nullable=False),
        sa.Column("log", sa.String(1), nullable=False),
        sa.Column("message_text", sa.Text, nullable=False),
        sa.Column("more_info", sa.Text, nullable=False),
        sa.Column("request_method", sa.String(8), nullable=True),
        sa.Column("request_url", sa.Text, nullable=True),
        sa.Column("request_variables", sa.Text, nullable=True),
        sa.Column("response_body", sa.Text, nullable=True),
        sa.Column("response_headers", sa.Text, nullable=True),
        sa.Column("resource_sid", SID, nullable=True),
        sa.Column("date_created", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_notifications_account", "notifications", ["account_sid", "date_created"])
    op.create_table(
        "media_content",
        sa.Column(
            "media_sid", SID, sa.ForeignKey("media.sid", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "media_content",
        "notifications",
        "scenario_rules",
        "carrier_log",
        "senders",
        "tasks",
    ):
        op.drop_table(table)
