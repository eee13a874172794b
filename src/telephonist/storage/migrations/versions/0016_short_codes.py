"""Short codes: each account's short codes (v2010 SMS/ShortCodes) and a Messaging Service's
short codes in its sender pool.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "short_codes",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("short_code", sa.String(8), nullable=False, unique=True),
        sa.Column("friendly_name", sa.String(64), nullable=False),
        sa.Column("iso_country", sa.String(2), nullable=False),
        sa.Column("cap_mms", sa.Boolean, nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_short_codes_account_created", "short_codes", ["account_sid", "date_created", "sid"]
    )
    op.create_table(
        "messaging_service_short_codes",
        sa.Column(
            "short_code_sid", sa.String(34), sa.ForeignKey("short_codes.sid"), primary_key=True
        ),
        sa.Column(
            "service_sid", sa.String(34), sa.ForeignKey("messaging_services.sid"), nullable=False
        ),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_messaging_service_short_codes_service",
        "messaging_service_short_codes",
        ["service_sid", "date_created", "short_code_sid"],
    )


def downgrade() -> None:
    op.drop_table("messaging_service_short_codes")
    op.drop_table("short_codes")
