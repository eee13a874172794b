"""Sticky senders: the number a Messaging Service last used for each recipient.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sticky_senders",
        sa.Column("service_sid", sa.String(34), primary_key=True),
        sa.Column("to", sa.String(64), primary_key=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sticky_senders")
