"""Recordings: the v2010 Recording resource (its audio is generated when fetched, not stored).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("call_sid", sa.String(34), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("channels", sa.Integer, nullable=False),
        sa.Column("track", sa.String(8), nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("duration", sa.Integer, nullable=False),
        sa.Column("audio_micros", sa.BigInteger, nullable=False),
        sa.Column("price", sa.String(16), nullable=True),
        sa.Column("price_unit", sa.String(3), nullable=False),
        sa.Column("error_code", sa.Integer, nullable=True),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_recordings_account_created", "recordings", ["account_sid", "date_created", "sid"]
    )
    op.create_index("ix_recordings_call", "recordings", ["call_sid", "date_created", "sid"])


def downgrade() -> None:
    op.drop_table("recordings")
