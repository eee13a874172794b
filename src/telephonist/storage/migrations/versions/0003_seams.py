"""Providers and lanes: messages record their carrier and its reference; tasks their lane
and the account they are for.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("provider", sa.String(32), nullable=True))
        batch.add_column(sa.Column("provider_sid", sa.String(64), nullable=True))
    op.create_index("ix_messages_provider_sid", "messages", ["provider_sid"])
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("lane", sa.String(8), nullable=False, server_default="send"))
        batch.add_column(sa.Column("partition_key", sa.String(64), nullable=True))
    op.execute("UPDATE tasks SET lane = 'webhook' WHERE kind IN ('webhook', 'inbound')")
    op.create_index("ix_tasks_lane_due", "tasks", ["lane", "due_at"])
    # Messages handed to the simulator before providers were recorded.
    op.execute(
        "UPDATE messages SET provider = 'simulator', provider_sid = 'SIM' || substr(sid, 3) "
        "WHERE direction != 'inbound' AND status IN ('sent', 'delivered', 'undelivered')"
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_lane_due", "tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("partition_key")
        batch.drop_column("lane")
    op.drop_index("ix_messages_provider_sid", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("provider_sid")
        batch.drop_column("provider")
