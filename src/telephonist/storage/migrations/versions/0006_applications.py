"""Applications: the v2010 Application resource.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("friendly_name", sa.String(64), nullable=True),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_applications_account_created",
        "applications",
        ["account_sid", "date_created", "sid"],
    )


def downgrade() -> None:
    op.drop_table("applications")
