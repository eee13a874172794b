"""Scheduling: each account's count of scheduled messages, for the 35125 limit, filled from the
messages scheduled now.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_counts",
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), primary_key=True),
        sa.Column("scheduled", sa.Integer, nullable=False),
    )
    op.execute(
        "INSERT INTO scheduled_counts (account_sid, scheduled) "
        "SELECT account_sid, count(*) FROM messages WHERE status = 'scheduled' "
        "GROUP BY account_sid"
    )


def downgrade() -> None:
    op.drop_table("scheduled_counts")
