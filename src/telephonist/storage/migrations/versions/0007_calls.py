"""Calls: the v2010 Call resource, its transcript, its pending input and handset behaviours.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("parent_call_sid", sa.String(34), nullable=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("from_", sa.String(64), nullable=False),
        sa.Column("to", sa.String(64), nullable=False),
        sa.Column("phone_number_sid", sa.String(34), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answered_by", sa.String(24), nullable=True),
        sa.Column("caller_name", sa.String(64), nullable=True),
        sa.Column("forwarded_from", sa.String(64), nullable=True),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=True),
        sa.Column("answered_at", sa.BigInteger, nullable=True),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("duration", sa.Integer, nullable=True),
        sa.Column("price", sa.String(16), nullable=True),
        sa.Column("price_unit", sa.String(3), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_calls_account_created", "calls", ["account_sid", "date_created", "sid"])
    op.create_index("ix_calls_parent", "calls", ["parent_call_sid"])
    op.create_table(
        "call_events",
        sa.Column("call_sid", sa.String(34), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "call_inputs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(34), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_index("ix_call_inputs_call_sid", "call_inputs", ["call_sid"])
    op.create_table(
        "call_behaviors",
        sa.Column("account_sid", sa.String(34), primary_key=True),
        sa.Column("pattern", sa.String(64), primary_key=True),
        sa.Column("behavior", sa.Text, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("call_behaviors")
    op.drop_table("call_inputs")
    op.drop_table("call_events")
    op.drop_table("calls")
