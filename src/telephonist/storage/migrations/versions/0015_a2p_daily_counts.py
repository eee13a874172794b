"""A2P 10DLC: each brand's messages per day, against its tier's daily cap.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "a2p_daily_counts",
        sa.Column("brand_sid", sa.String(34), primary_key=True),
        sa.Column("day", sa.Integer, primary_key=True),
        sa.Column("sent", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("a2p_daily_counts")
