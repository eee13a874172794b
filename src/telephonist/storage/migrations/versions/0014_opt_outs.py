"""Opt-outs: handsets that texted STOP, per account and sender scope (a service or a number),
and a service's own opt-out keywords and replies.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opt_outs",
        sa.Column("account_sid", sa.String(34), primary_key=True),
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("recipient", sa.String(64), primary_key=True),
        sa.Column("date_created", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "opt_out_settings",
        sa.Column("service_sid", sa.String(34), primary_key=True),
        sa.Column("account_sid", sa.String(34), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("opt_out_settings")
    op.drop_table("opt_outs")
